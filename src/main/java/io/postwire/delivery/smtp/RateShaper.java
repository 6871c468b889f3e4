package io.postwire.delivery.smtp;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rate of each host name, held under the same rate for the IP address it connects to: many MX
 * names on one address share one rate, as they share its connection slots (receivers throttle per
 * sending IP). Not thread-safe: {@link SmtpConnectionPool} uses it under its lock.
 */
final class RateShaper {

  /** The longest a transaction waits for its turn under a host's rate before it is deferred. */
  static final Duration MAX_RATE_WAIT = Duration.ofSeconds(30);

  /** The rate buckets of IP addresses, least recently used first, as many as host pools at most. */
  private final Map<String, TokenBucket> addressRates;

  RateShaper(int maxHosts) {
    int maxRates = Math.max(1, maxHosts);
    this.addressRates =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, TokenBucket> eldest) {
            return size() > maxRates;
          }
        };
  }

  /**
   * Takes a turn from the host's bucket and from that of {@code ip} (when known) at {@code
   * ratePerMinute} (0 = no limit). Returns how long to wait for the turn; a wait beyond {@link
   * #MAX_RATE_WAIT} is not taken (its tokens go back).
   */
  long reserve(TokenBucket host, String ip, int ratePerMinute) {
    if (ratePerMinute <= 0) {
      return 0;
    }
    long now = System.nanoTime();
    long delay = host.take(ratePerMinute, now);
    TokenBucket byIp = null;
    if (ip != null) {
      byIp = addressRates.computeIfAbsent(ip, k -> new TokenBucket());
      delay = Math.max(delay, byIp.take(ratePerMinute, now));
    }
    if (delay > MAX_RATE_WAIT.toMillis()) {
      host.giveBack();
      if (byIp != null) {
        byIp.giveBack();
      }
    }
    return delay;
  }
}
