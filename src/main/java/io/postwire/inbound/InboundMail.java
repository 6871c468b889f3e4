package io.postwire.inbound;

import java.time.Instant;

/**
 * One message the inbound listener received for one recipient address, with what the receiving
 * server saw of its transport (what an inbox test reports on).
 *
 * @param mailFrom the envelope sender (RFC 5321 reverse-path), empty for the null sender {@code <>}
 * @param localPart the recipient's local part as the client gave it
 * @param domain the recipient's domain (lower case, A-label)
 * @param content the message as received (CRLF line ends, dot-stuffing removed, at most the
 *     listener's size limit); read-only
 * @param clientAddress the connecting client's IP address (text form)
 * @param helo the name the client gave in EHLO or HELO
 * @param tlsProtocol the TLS protocol of the session (e.g. {@code TLSv1.3}), null when plaintext
 * @param tlsCipher the TLS cipher suite of the session, null when plaintext
 * @param receivedAt when the message's DATA ended
 */
public record InboundMail(
    String mailFrom,
    String localPart,
    String domain,
    byte[] content,
    String clientAddress,
    String helo,
    String tlsProtocol,
    String tlsCipher,
    Instant receivedAt) {

  /** The recipient address this mail was accepted for. */
  public String recipient() {
    return localPart + "@" + domain;
  }
}
