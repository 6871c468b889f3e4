package io.postwire.security;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.platform.ApiConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Bounds the database lookups that unknown keys cause ({@code postwire.api.failed-auth-rate}): a
 * token bucket per client address, charged one token for every lookup that found no key. While an
 * address has no token left, a token that is not already known is refused with 429 before any
 * query, so guessing keys or a client stuck with a revoked one costs the database little.
 */
@Singleton
public class FailedLookupLimiter {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final int ADDRESSES_KEPT = 10_000;

  private final double ratePerSecond;
  private final double burst;
  private final LongSupplier clock;
  private final Counter refusals;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private record Bucket(double tokens, long atNanos) {}

  @Inject
  public FailedLookupLimiter(ApiConfig config, MeterRegistry registry) {
    this(
        config.failedAuthRate(),
        config.failedAuthBurst(),
        System::nanoTime,
        registry.counter("postwire.api.auth.limited"));
  }

  FailedLookupLimiter(double ratePerSecond, int burst, LongSupplier clock, Counter refusals) {
    if (ratePerSecond < 0 || burst < 0) {
      throw new IllegalArgumentException(
          "postwire.api.failed-auth-rate and postwire.api.failed-auth-burst may not be negative");
    }
    this.ratePerSecond = ratePerSecond;
    this.burst = Math.max(1, burst);
    this.clock = clock;
    this.refusals = refusals;
  }

  /**
   * Whole seconds until {@code address} may cause another lookup, or 0 when it may now (always 0
   * when the rate is 0, which means no limit).
   */
  public long secondsUntilAllowed(String address) {
    if (ratePerSecond <= 0 || address == null) {
      return 0;
    }
    Bucket bucket = buckets.get(address);
    if (bucket == null) {
      return 0;
    }
    double tokens = refilled(bucket, clock.getAsLong());
    if (tokens >= 1) {
      return 0;
    }
    refusals.increment();
    return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerSecond));
  }

  /** Charges {@code address} for one lookup that found no key. */
  public void failed(String address) {
    if (ratePerSecond <= 0 || address == null) {
      return;
    }
    long now = clock.getAsLong();
    buckets.compute(address, (a, b) -> new Bucket((b == null ? burst : refilled(b, now)) - 1, now));
    if (buckets.size() > ADDRESSES_KEPT) {
      // a full bucket is the same as none: forget addresses that have been quiet long enough
      buckets.entrySet().removeIf(e -> refilled(e.getValue(), now) >= burst);
      if (buckets.size() > ADDRESSES_KEPT) {
        // memory stays bounded when very many addresses fail at once, at the price of a reset
        buckets.clear();
      }
    }
  }

  private double refilled(Bucket b, long now) {
    double elapsed = (double) Math.max(0, now - b.atNanos()) / NANOS_PER_SECOND;
    return Math.min(burst, b.tokens() + elapsed * ratePerSecond);
  }
}
