package io.postwire.delivery.smtp;

import io.smallrye.mutiny.Uni;

/**
 * One SMTP transaction to one destination host: the envelope and the exact bytes to send in, the
 * per-recipient outcome out.
 *
 * <p>Implementations never fail the returned {@code Uni} for protocol or network trouble: those are
 * outcomes ({@link SmtpResult}), so that every recipient gets an exact, recorded answer.
 */
public interface SmtpTransport {

  /** Runs one mail transaction (connecting or reusing a pooled connection as needed). */
  Uni<SmtpResult> send(SmtpTransaction transaction);

  /**
   * Runs one mail transaction under the given limits for its host; transports without per-host
   * pools ignore them.
   */
  default Uni<SmtpResult> send(SmtpTransaction transaction, HostLimits limits) {
    return send(transaction);
  }
}
