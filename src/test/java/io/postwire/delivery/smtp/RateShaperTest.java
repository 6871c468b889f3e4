package io.postwire.delivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link RateShaper}: a host's rate, held under the same rate per IP address. */
class RateShaperTest {

  private static final long LONGEST = RateShaper.MAX_RATE_WAIT.toMillis();

  private final RateShaper rates = new RateShaper(10);

  @Test
  void aRateOfZeroNeverWaits() {
    TokenBucket host = new TokenBucket();
    for (int i = 0; i < 1000; i++) {
      assertThat(rates.reserve(host, "192.0.2.1", 0)).isZero();
    }
  }

  @Test
  void aMinutesWorthGoesAtOnceAndTheNextWaitsForItsToken() {
    TokenBucket host = new TokenBucket();
    for (int i = 0; i < 60; i++) {
      assertThat(rates.reserve(host, "192.0.2.1", 60)).isZero();
    }
    // one token a second at 60 per minute
    assertThat(rates.reserve(host, "192.0.2.1", 60)).isBetween(900L, 1000L);
  }

  @Test
  void aTurnBeyondTheLongestWaitIsNotTakenSoTheNextIsToldTheSameWait() {
    TokenBucket host = new TokenBucket();
    assertThat(rates.reserve(host, "192.0.2.1", 1)).isZero();

    long refused = rates.reserve(host, "192.0.2.1", 1);
    long again = rates.reserve(host, "192.0.2.1", 1);

    assertThat(refused).isGreaterThan(LONGEST).isLessThanOrEqualTo(60_000L);
    // a refused turn gives its tokens back: the wait does not grow by another minute
    assertThat(again).isGreaterThan(LONGEST).isLessThanOrEqualTo(60_000L);
  }

  @Test
  void hostNamesOnOneAddressShareItsRate() {
    assertThat(rates.reserve(new TokenBucket(), "192.0.2.1", 1)).isZero();

    assertThat(rates.reserve(new TokenBucket(), "192.0.2.1", 1)).isGreaterThan(LONGEST);
    assertThat(rates.reserve(new TokenBucket(), "192.0.2.2", 1)).isZero();
    // a relay reached by name has no address of its own: only its host's rate holds
    assertThat(rates.reserve(new TokenBucket(), null, 1)).isZero();
  }
}
