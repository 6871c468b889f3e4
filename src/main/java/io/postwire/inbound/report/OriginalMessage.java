package io.postwire.inbound.report;

/**
 * What a report shows of the message it is about (RFC 3464 section 2 third part, RFC 5965 section 2
 * third part). Every field is null when the report does not show it.
 *
 * @param messageId the original's {@code Message-ID}, with its angle brackets
 * @param returnPath the original's envelope sender ({@code Return-Path}, angle brackets removed)
 * @param from the original's {@code From} field
 * @param to the original's {@code To} field
 */
public record OriginalMessage(String messageId, String returnPath, String from, String to) {

  /** Nothing shown. */
  public static final OriginalMessage NONE = new OriginalMessage(null, null, null, null);
}
