package io.postwire.inbound.report;

/**
 * Mail that is neither a delivery report, a feedback report nor an auto-reply.
 *
 * @param reason why it was not recognized (for logs and events; no message content)
 */
public record UnrecognizedMail(String reason) implements InboundReport {}
