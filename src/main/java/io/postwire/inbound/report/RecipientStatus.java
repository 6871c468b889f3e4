package io.postwire.inbound.report;

/**
 * The status of one recipient in a delivery report (RFC 3464 section 2.3).
 *
 * @param finalRecipient the recipient address ({@code Final-Recipient}, address type removed); null
 *     only in a non-standard bounce whose text names no address
 * @param originalRecipient the {@code Original-Recipient} address, null when absent
 * @param action the {@code Action} (for a non-standard bounce: failed, or delayed for a 4xx)
 * @param status the RFC 3463 status code {@code class.subject.detail}
 * @param diagnosticCode the {@code Diagnostic-Code} (e.g. {@code smtp; 550 5.1.1 user unknown}), or
 *     in a non-standard bounce the reply line found in the text; null when absent
 * @param remoteMta the {@code Remote-MTA} name (type prefix removed), null when absent
 */
public record RecipientStatus(
    String finalRecipient,
    String originalRecipient,
    Action action,
    String status,
    String diagnosticCode,
    String remoteMta) {}
