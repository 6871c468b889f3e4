package io.postwire.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-address bucket of lookups of unknown keys, on a clock the test moves. */
class FailedLookupLimiterTest {

  private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
  private final Counter refusals = new SimpleMeterRegistry().counter("refused");

  private FailedLookupLimiter limiter(double rate, int burst) {
    return new FailedLookupLimiter(rate, burst, nanos::get, refusals);
  }

  @Test
  void allowsTheBurstThenAsksToWaitUntilATokenIsBack() {
    FailedLookupLimiter limiter = limiter(0.5, 3);
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.secondsUntilAllowed("192.0.2.1")).isZero();
      limiter.failed("192.0.2.1");
    }
    assertThat(limiter.secondsUntilAllowed("192.0.2.1")).isEqualTo(2);
    assertThat(refusals.count()).isEqualTo(1);

    nanos.addAndGet(2_000_000_000L);
    assertThat(limiter.secondsUntilAllowed("192.0.2.1")).isZero();
  }

  @Test
  void eachAddressHasItsOwnBucket() {
    FailedLookupLimiter limiter = limiter(1, 1);
    limiter.failed("192.0.2.1");
    assertThat(limiter.secondsUntilAllowed("192.0.2.1")).isEqualTo(1);
    assertThat(limiter.secondsUntilAllowed("192.0.2.2")).isZero();
  }

  @Test
  void aRateOfZeroMeansNoLimit() {
    FailedLookupLimiter limiter = limiter(0, 1);
    for (int i = 0; i < 100; i++) {
      limiter.failed("192.0.2.1");
    }
    assertThat(limiter.secondsUntilAllowed("192.0.2.1")).isZero();
  }

  @Test
  void chargesAnIpv6ClientByItsSlash64AndAnIpv4ClientByItsAddress() {
    assertThat(ApiKeyFilter.addressKey("2001:db8:1:2:aaaa::1"))
        .isEqualTo(ApiKeyFilter.addressKey("2001:db8:1:2:bbbb::2"))
        .isEqualTo("20010db800010002::/64");
    assertThat(ApiKeyFilter.addressKey("2001:db8:1:3::1")).isNotEqualTo("20010db800010002::/64");
    assertThat(ApiKeyFilter.addressKey("192.0.2.7")).isEqualTo("192.0.2.7");
  }
}
