package io.postwire.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-address bound of the unsubscribe pages, on a clock the test moves. */
class ClientRateTest {

  @Test
  void anAddressGetsItsBurstThenTheRateAndOthersAreNotAffected() {
    AtomicLong now = new AtomicLong();
    ClientRate rate = new ClientRate(2, 3, now::get);
    assertThat(rate.take("192.0.2.1")).isZero();
    assertThat(rate.take("192.0.2.1")).isZero();
    assertThat(rate.take("192.0.2.1")).isZero();
    assertThat(rate.take("192.0.2.1")).isEqualTo(1);
    assertThat(rate.take("192.0.2.2")).isZero();
    now.addAndGet(500_000_000L); // half a second: one token at 2 per second
    assertThat(rate.take("192.0.2.1")).isZero();
    assertThat(rate.take("192.0.2.1")).isEqualTo(1);
  }

  @Test
  void rateZeroMeansNoLimit() {
    ClientRate rate = new ClientRate(0, 1, () -> 0);
    for (int i = 0; i < 100; i++) {
      assertThat(rate.take("192.0.2.1")).isZero();
    }
  }
}
