package io.postwire.inbound.report;

/**
 * A feedback report (RFC 5965, ARF): a recipient or their mailbox provider reports a message.
 *
 * @param feedbackType the RFC 5965 section 3.1 {@code Feedback-Type} in lower case ({@code abuse},
 *     {@code fraud}, {@code not-spam}, {@code other}, {@code virus}, or an extension)
 * @param userAgent the {@code User-Agent} field, null when absent
 * @param originalMailFrom the {@code Original-Mail-From} address (angle brackets removed), null
 *     when absent
 * @param originalRcptTo the first {@code Original-Rcpt-To} address, null when absent
 * @param arrivalDate the {@code Arrival-Date} (or legacy {@code Received-Date}), null when absent
 * @param reportedDomain the first {@code Reported-Domain}, null when absent
 * @param original what the report shows of the reported message
 */
public record ComplaintReport(
    String feedbackType,
    String userAgent,
    String originalMailFrom,
    String originalRcptTo,
    String arrivalDate,
    String reportedDomain,
    OriginalMessage original)
    implements InboundReport {}
