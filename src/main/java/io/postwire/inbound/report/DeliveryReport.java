package io.postwire.inbound.report;

import java.util.List;

/**
 * A delivery status notification.
 *
 * @param standard true for an RFC 3464 report (multipart/report; report-type=delivery-status);
 *     false when classified from the text of a bounce without a delivery-status part
 * @param reportingMta the RFC 3464 section 2.2.2 {@code Reporting-MTA} name (type prefix removed),
 *     null when absent
 * @param recipients one entry per reported recipient, in report order, at most {@link
 *     InboundReports#MAX_RECIPIENTS}; never empty
 * @param original what the report shows of the message it is about
 */
public record DeliveryReport(
    boolean standard,
    String reportingMta,
    List<RecipientStatus> recipients,
    OriginalMessage original)
    implements InboundReport {

  public DeliveryReport {
    recipients = List.copyOf(recipients);
  }
}
