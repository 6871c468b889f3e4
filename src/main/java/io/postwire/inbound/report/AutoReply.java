package io.postwire.inbound.report;

/**
 * An automatic reply (RFC 3834 section 5, or a common vacation convention): never a bounce.
 *
 * @param reason the header field or subject that identified it, e.g. {@code Auto-Submitted:
 *     auto-replied}
 * @param original what the reply shows of the message it answers ({@code In-Reply-To} as message id
 *     when nothing else is shown)
 */
public record AutoReply(String reason, OriginalMessage original) implements InboundReport {}
