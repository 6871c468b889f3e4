package io.postwire.inbound;

/**
 * What the bounce and feedback mailboxes act on, read from one received message (by {@link
 * ReportReader}): one finding per recipient a delivery status notification reports on, or one for
 * the whole message.
 */
public sealed interface Finding {

  /**
   * One per-recipient block of an RFC 3464 report (§2.3) whose {@code Action} is {@code failed} or
   * {@code delayed}, or what a bounce without a delivery-status part says (read from its text).
   *
   * @param standard whether it came from an RFC 3464 report (false: from a bounce's text)
   * @param failed {@code Action: failed} (else delayed)
   * @param finalRecipient the address of {@code Final-Recipient} (type prefix removed), or null
   * @param originalRecipient the address of {@code Original-Recipient}, or null
   * @param status the RFC 3463 {@code Status}
   * @param diagnosticCode the {@code Diagnostic-Code} text (type prefix removed), or null
   * @param remoteMta the {@code Remote-MTA} name (type prefix removed), or null
   */
  record Dsn(
      boolean standard,
      boolean failed,
      String finalRecipient,
      String originalRecipient,
      String status,
      String diagnosticCode,
      String remoteMta)
      implements Finding {}

  /**
   * An RFC 5965 feedback report.
   *
   * @param feedbackType {@code abuse}, {@code fraud}, … (lower case)
   * @param originalMailFrom the {@code Original-Mail-From} address, or null
   * @param originalRcptTo the {@code Original-Rcpt-To} address, or null
   * @param originalMessageId the quoted original message's {@code Message-ID}, or null
   * @param userAgent the reporter's {@code User-Agent}, or null
   */
  record Complaint(
      String feedbackType,
      String originalMailFrom,
      String originalRcptTo,
      String originalMessageId,
      String userAgent)
      implements Finding {}

  /**
   * An automatic reply (RFC 3834 {@code Auto-Submitted: auto-replied}, {@code X-Autoreply},
   * vacation messages): never a bounce.
   *
   * @param reason the field or subject that made it one
   */
  record AutoReply(String reason) implements Finding {}

  /** Nothing the service can act on (a message it cannot read, a DSN saying delivered). */
  record Unrecognized(String why) implements Finding {}
}
