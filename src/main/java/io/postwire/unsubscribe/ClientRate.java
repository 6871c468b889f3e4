package io.postwire.unsubscribe;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per client address for the public unsubscribe pages: each request takes one token;
 * an address with none left waits. Memory stays bounded: full buckets are forgotten, and past
 * {@value #ADDRESSES_KEPT} addresses the table starts over.
 */
final class ClientRate {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  static final int ADDRESSES_KEPT = 10_000;

  private final double ratePerSecond;
  private final double burst;
  private final LongSupplier clock;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private record Bucket(double tokens, long atNanos) {}

  ClientRate(double ratePerSecond, int burst, LongSupplier clock) {
    if (ratePerSecond < 0 || burst < 0) {
      throw new IllegalArgumentException(
          "postwire.unsubscribe.rate and postwire.unsubscribe.burst may not be negative");
    }
    this.ratePerSecond = ratePerSecond;
    this.burst = Math.max(1, burst);
    this.clock = clock;
  }

  /** Takes a token for {@code address}: 0 when it had one, else whole seconds to wait. */
  long take(String address) {
    if (ratePerSecond <= 0 || address == null) {
      return 0;
    }
    long now = clock.getAsLong();
    long[] wait = {0};
    buckets.compute(
        address,
        (a, b) -> {
          double tokens = b == null ? burst : refilled(b, now);
          if (tokens < 1) {
            wait[0] = Math.max(1, (long) Math.ceil((1 - tokens) / ratePerSecond));
            return new Bucket(tokens, now);
          }
          return new Bucket(tokens - 1, now);
        });
    if (buckets.size() > ADDRESSES_KEPT) {
      buckets.entrySet().removeIf(e -> refilled(e.getValue(), now) >= burst);
      if (buckets.size() > ADDRESSES_KEPT) {
        buckets.clear();
      }
    }
    return wait[0];
  }

  private double refilled(Bucket b, long now) {
    double elapsed = (double) Math.max(0, now - b.atNanos()) / NANOS_PER_SECOND;
    return Math.min(burst, b.tokens() + elapsed * ratePerSecond);
  }
}
