package io.postwire.delivery.smtp;

import java.util.Map;

/**
 * The outcome of one transaction.
 *
 * @param host the host name of the server that answered
 * @param ip the IP address we were connected to, or {@code null} if no connection was made
 * @param tls whether the transaction ran over TLS
 * @param recipients each envelope recipient's final reply: the RCPT reply when it was refused, else
 *     the reply to the end of DATA (or the failure that ended the transaction)
 * @param durationMs how long the transaction took, connection included
 */
public record SmtpResult(
    String host, String ip, boolean tls, Map<String, SmtpReply> recipients, long durationMs) {}
