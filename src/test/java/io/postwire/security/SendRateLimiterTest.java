package io.postwire.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.postwire.platform.Refusal;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-key token bucket, on a clock the test moves. */
class SendRateLimiterTest {

  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
  private final Counter refusals = new SimpleMeterRegistry().counter("refused");
  private final UUID key = UUID.randomUUID();

  private SendRateLimiter limiter(double rate, int burst) {
    return new SendRateLimiter(rate, burst, nanos::get, refusals);
  }

  private void advanceMillis(long millis) {
    nanos.addAndGet(millis * 1_000_000L);
  }

  private static int retryAfter(Runnable take) {
    try {
      take.run();
    } catch (Refusal e) {
      assertThat(e.kind()).isEqualTo(Refusal.Kind.RATE_LIMITED);
      assertThat(e.code()).isEqualTo("rate_limited");
      return e.retryAfterSeconds();
    }
    throw new AssertionError("the request was admitted");
  }

  @Test
  void admitsTheBurstThenRefusesWithWhenToRetry() {
    SendRateLimiter limiter = limiter(10, 5);
    for (int i = 0; i < 5; i++) {
      limiter.take(key, 1);
    }
    assertThat(retryAfter(() -> limiter.take(key, 1))).isEqualTo(1);
    assertThat(refusals.count()).isEqualTo(1);
  }

  @Test
  void refillsAtTheRateUpToTheBurst() {
    SendRateLimiter limiter = limiter(10, 5);
    for (int i = 0; i < 5; i++) {
      limiter.take(key, 1);
    }
    advanceMillis(100); // one token at 10/s
    limiter.take(key, 1);
    assertThatThrownBy(() -> limiter.take(key, 1)).isInstanceOf(Refusal.class);

    advanceMillis(60_000); // a long pause fills the bucket, never beyond the burst
    for (int i = 0; i < 5; i++) {
      limiter.take(key, 1);
    }
    assertThatThrownBy(() -> limiter.take(key, 1)).isInstanceOf(Refusal.class);
  }

  @Test
  void aRefusalTakesNothing() {
    SendRateLimiter limiter = limiter(1, 1);
    limiter.take(key, 1);
    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> limiter.take(key, 1)).isInstanceOf(Refusal.class);
    }
    advanceMillis(1_000);
    assertThatCode(() -> limiter.take(key, 1)).doesNotThrowAnyException();
  }

  @Test
  void keysHaveTheirOwnBuckets() {
    SendRateLimiter limiter = limiter(1, 2);
    limiter.take(key, 2);
    assertThatThrownBy(() -> limiter.take(key, 1)).isInstanceOf(Refusal.class);
    assertThatCode(() -> limiter.take(UUID.randomUUID(), 2)).doesNotThrowAnyException();
  }

  @Test
  void aBatchTakesOneTokenPerMessage() {
    SendRateLimiter limiter = limiter(100, 100);
    limiter.take(key, 60);
    // 40 left: a batch of 50 waits for 10 more tokens, a tenth of a second at 100/s
    assertThat(retryAfter(() -> limiter.take(key, 50))).isEqualTo(1);
    limiter.take(key, 40);
  }

  @Test
  void aBatchLargerThanTheBurstPassesOnAFullBucketAndLeavesADebt() {
    SendRateLimiter limiter = limiter(10, 20);
    limiter.take(key, 1);
    // not a full bucket: 19 of 20
    assertThatThrownBy(() -> limiter.take(key, 500)).isInstanceOf(Refusal.class);
    advanceMillis(100);
    limiter.take(key, 500); // 20 - 500 = -480
    // one more message needs 481 tokens: 48.1 s at 10/s
    assertThat(retryAfter(() -> limiter.take(key, 1))).isEqualTo(49);
    advanceMillis(48_200);
    assertThatCode(() -> limiter.take(key, 1)).doesNotThrowAnyException();
  }

  @Test
  void aFractionalRateHasABurstOfOneAndWaitsWholeSeconds() {
    SendRateLimiter limiter = limiter(0.5, 0);
    limiter.take(key, 1);
    assertThat(retryAfter(() -> limiter.take(key, 1))).isEqualTo(2);
    advanceMillis(2_000);
    assertThatCode(() -> limiter.take(key, 1)).doesNotThrowAnyException();
  }

  @Test
  void noRateMeansNoLimit() {
    SendRateLimiter limiter = limiter(0, 0);
    assertThat(limiter.enabled()).isFalse();
    for (int i = 0; i < 10_000; i++) {
      limiter.take(key, 500);
    }
  }

  @Test
  void aNegativeSettingIsAStartUpError() {
    assertThatThrownBy(() -> limiter(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter(1, -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
