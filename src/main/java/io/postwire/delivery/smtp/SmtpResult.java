package io.postwire.delivery.smtp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The outcome of one transaction.
 *
 * @param host the host name of the server that answered
 * @param ip the IP address we connected (or tried to connect) to; {@code null} only when no address
 *     was known
 * @param tls whether the transaction ran over TLS
 * @param recipients each envelope recipient's final reply: the RCPT reply when it was refused, else
 *     the reply to the end of DATA (or the failure that ended the transaction)
 * @param durationMs how long the transaction took, connection included
 * @param tlsFailed the STARTTLS handshake (or the certificate check) failed, so every recipient got
 *     a transient code-0 reply; under {@code OPPORTUNISTIC} the caller may retry this host once
 *     with {@code TlsPolicy.NONE} (as Postfix's {@code may} level does), never under {@code
 *     REQUIRED} or {@code REQUIRED_VERIFIED}
 */
public record SmtpResult(
    String host,
    String ip,
    boolean tls,
    Map<String, SmtpReply> recipients,
    long durationMs,
    boolean tlsFailed) {

  /** A result whose TLS, if any, worked. */
  public SmtpResult(
      String host, String ip, boolean tls, Map<String, SmtpReply> recipients, long durationMs) {
    this(host, ip, tls, recipients, durationMs, false);
  }

  /**
   * {@code reply} for every recipient of {@code tx}, the duration counted from {@code startNanos}
   * (a {@link System#nanoTime()} reading).
   */
  static SmtpResult forAll(
      SmtpTransaction tx,
      String ip,
      boolean tls,
      SmtpReply reply,
      long startNanos,
      boolean tlsFailed) {
    Map<String, SmtpReply> all = new LinkedHashMap<>();
    tx.recipients().forEach(r -> all.put(r, reply));
    return new SmtpResult(
        tx.host(), ip, tls, Collections.unmodifiableMap(all), since(startNanos), tlsFailed);
  }

  /** Milliseconds since {@code startNanos}, a {@link System#nanoTime()} reading. */
  static long since(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  /** The reply for one recipient, or {@code null} if it was not part of the transaction. */
  public SmtpReply reply(String recipient) {
    return recipients.get(recipient);
  }
}
