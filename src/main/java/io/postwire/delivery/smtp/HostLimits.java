package io.postwire.delivery.smtp;

import java.time.Duration;

/**
 * Traffic limits of one destination host's connection pool (per replica).
 *
 * @param maxConnections connections open at once to the host
 * @param maxMessagesPerConnection messages sent over one connection before it is closed
 * @param ratePerMinute messages per minute to the host (a token bucket holding one minute's worth),
 *     0 for no limit
 * @param idleTimeout how long an idle pooled connection to the host is kept
 */
public record HostLimits(
    int maxConnections, int maxMessagesPerConnection, int ratePerMinute, Duration idleTimeout) {

  /** Validates the limits. */
  public HostLimits {
    if (maxConnections < 1 || maxMessagesPerConnection < 1 || ratePerMinute < 0) {
      throw new IllegalArgumentException("host limits must be positive");
    }
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idle timeout must be positive");
    }
  }

  /** The limits {@code options} give every host. */
  public static HostLimits of(SmtpClientOptions options) {
    return new HostLimits(
        options.maxConnectionsPerHost(),
        options.maxMessagesPerConnection(),
        0,
        options.idleTimeout());
  }
}
