package io.postwire.inbound.report;

/**
 * What one inbound message turned out to be: a delivery status notification (RFC 3464, or a
 * non-standard bounce classified from its text), a feedback report (RFC 5965), an auto-reply (RFC
 * 3834 and common vacation conventions), or none of these.
 */
public sealed interface InboundReport
    permits DeliveryReport, ComplaintReport, AutoReply, UnrecognizedMail {}
