package io.postwire.security;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.platform.ApiConfig;
import io.postwire.platform.Refusal;
import io.quarkus.runtime.Startup;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The messages each API key may send per second on this replica ({@code postwire.api.rate-limit}):
 * a token bucket per key, refilled at the rate and holding at most the burst. A send takes one
 * token, a batch one per item; beyond the limit the request is refused ({@code rate_limited}) with
 * the seconds saying when it would pass, before anything is stored.
 *
 * <p>A batch larger than the burst could never find that many tokens; it passes once the bucket is
 * full and leaves the bucket in debt, so the key's average rate still holds.
 */
@Singleton
@Startup
public class SendRateLimiter {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final int IDLE_KEYS_KEPT = 10_000;

  private final double ratePerSecond;
  private final double burst;
  private final LongSupplier clock;
  private final Counter refusals;
  private final Map<UUID, Bucket> buckets = new ConcurrentHashMap<>();

  /** Tokens left (negative: debt) as of {@code atNanos}. */
  private record Bucket(double tokens, long atNanos) {}

  @Inject
  public SendRateLimiter(ApiConfig config, MeterRegistry registry) {
    this(
        config.rateLimit().orElse(0),
        config.rateLimitBurst().orElse(0),
        System::nanoTime,
        registry.counter("postwire.api.rate.limited"));
  }

  /**
   * @param ratePerSecond messages per second per key; 0 = no limit
   * @param burst tokens a bucket holds at most; 0 = one second's worth (at least 1)
   */
  SendRateLimiter(double ratePerSecond, int burst, LongSupplier clock, Counter refusals) {
    if (ratePerSecond < 0 || burst < 0) {
      throw new IllegalArgumentException(
          "postwire.api.rate-limit and postwire.api.rate-limit-burst may not be negative");
    }
    this.ratePerSecond = ratePerSecond;
    this.burst = burst > 0 ? burst : Math.max(1, Math.ceil(ratePerSecond));
    this.clock = clock;
    this.refusals = refusals;
  }

  /** Whether a limit is configured. */
  public boolean enabled() {
    return ratePerSecond > 0;
  }

  /**
   * Takes {@code messages} tokens from {@code key}'s bucket, or refuses the request.
   *
   * @throws Refusal {@code rate_limited} with Retry-After in whole seconds
   */
  public void take(UUID key, int messages) {
    if (!enabled()) {
      return;
    }
    double needed = Math.min(messages, burst);
    long now = clock.getAsLong();
    double[] shortBy = {0};
    buckets.compute(
        key,
        (k, b) -> {
          double tokens = b == null ? burst : refilled(b, now);
          if (tokens < needed) {
            shortBy[0] = needed - tokens;
            return new Bucket(tokens, now);
          }
          return new Bucket(tokens - messages, now);
        });
    if (buckets.size() > IDLE_KEYS_KEPT) {
      // a full bucket is the same as none: forget keys that have been quiet long enough
      buckets.entrySet().removeIf(e -> refilled(e.getValue(), now) >= burst);
    }
    if (shortBy[0] > 0) {
      refusals.increment();
      long seconds = (long) Math.ceil(shortBy[0] / ratePerSecond);
      throw Refusal.rateLimited(
          "This API key may send "
              + rate()
              + " messages per second (bursts of "
              + (long) burst
              + "); try again in "
              + seconds
              + " s",
          Math.max(1, seconds));
    }
  }

  private double refilled(Bucket b, long now) {
    double elapsed = (double) Math.max(0, now - b.atNanos()) / NANOS_PER_SECOND;
    return Math.min(burst, b.tokens() + elapsed * ratePerSecond);
  }

  private String rate() {
    return ratePerSecond == Math.rint(ratePerSecond)
        ? Long.toString((long) ratePerSecond)
        : Double.toString(ratePerSecond);
  }
}
