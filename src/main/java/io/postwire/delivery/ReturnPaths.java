package io.postwire.delivery;

/**
 * The envelope sender of one delivery when inbound mail is configured (implemented in {@code
 * inbound}): a VERP address ({@code b+<token>@<return-path domain>}) whose signed token names the
 * delivery, so an asynchronous bounce or report finds its recipient.
 */
public interface ReturnPaths {

  /**
   * The envelope sender for delivery {@code deliveryId} of a message from a domain whose own
   * return-path domain is {@code domainReturnPath} (null when it has none); null when the message's
   * own envelope sender stays (inbound mail is off).
   */
  String envelopeSender(long deliveryId, String domainReturnPath);
}
