package io.postwire.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Per-replica memory of MX hosts that said 421 ("service not available, closing", RFC 5321 §3.8,
 * §4.2.3) before taking part in a transaction: such a host is left alone for a while that doubles
 * with each further 421, instead of being hammered by every due delivery. A transaction the host
 * takes part in clears it. Kept in memory only: each replica learns by itself, and a restart
 * forgets.
 */
public final class HostBackoff {

  /** Hosts remembered at most; the oldest entries go first beyond it. */
  static final int MAX_HOSTS = 10_000;

  private final Duration initial;
  private final Duration max;
  private final Clock clock;
  private final Map<String, Entry> hosts =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
          return size() > MAX_HOSTS;
        }
      };

  private record Entry(Duration delay, Instant until) {}

  public HostBackoff(Duration initial, Duration max, Clock clock) {
    this.initial = initial;
    this.max = max.compareTo(initial) < 0 ? initial : max;
    this.clock = clock;
  }

  /** How much longer {@code ip} is backed off, or empty when it may be tried now. */
  public synchronized Optional<Duration> remaining(String ip) {
    Entry e = hosts.get(ip);
    if (e == null) {
      return Optional.empty();
    }
    Duration left = Duration.between(clock.instant(), e.until());
    return left.isNegative() || left.isZero() ? Optional.empty() : Optional.of(left);
  }

  /** Records a 421 from {@code ip}: backs it off for the initial wait, or twice the last one. */
  public synchronized Duration refused(String ip) {
    Entry previous = hosts.get(ip);
    Duration wait = previous == null ? initial : min(previous.delay().multipliedBy(2), max);
    hosts.put(ip, new Entry(wait, clock.instant().plus(wait)));
    return wait;
  }

  /** Forgets {@code ip}: it took part in a transaction. */
  public synchronized void succeeded(String ip) {
    hosts.remove(ip);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
