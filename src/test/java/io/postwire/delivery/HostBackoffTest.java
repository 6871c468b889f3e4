package io.postwire.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The 421 backoff of MX hosts (RFC 5321 §3.8: 421 means the server is closing the channel). */
class HostBackoffTest {

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void aHostThatSaid421IsLeftAloneForTheInitialWait() {
    ManualClock clock = new ManualClock();
    HostBackoff backoff = new HostBackoff(Duration.ofMinutes(1), Duration.ofMinutes(30), clock);
    assertThat(backoff.remaining("192.0.2.1")).isEmpty();
    backoff.refused("192.0.2.1");
    assertThat(backoff.remaining("192.0.2.1")).contains(Duration.ofMinutes(1));
    assertThat(backoff.remaining("192.0.2.2")).isEmpty();
    clock.now = clock.now.plusSeconds(59);
    assertThat(backoff.remaining("192.0.2.1")).contains(Duration.ofSeconds(1));
    clock.now = clock.now.plusSeconds(1);
    assertThat(backoff.remaining("192.0.2.1")).isEmpty();
  }

  @Test
  void theWaitDoublesWithEachFurther421UpToTheMaximum() {
    ManualClock clock = new ManualClock();
    HostBackoff backoff = new HostBackoff(Duration.ofMinutes(1), Duration.ofMinutes(5), clock);
    assertThat(backoff.refused("h")).isEqualTo(Duration.ofMinutes(1));
    assertThat(backoff.refused("h")).isEqualTo(Duration.ofMinutes(2));
    assertThat(backoff.refused("h")).isEqualTo(Duration.ofMinutes(4));
    assertThat(backoff.refused("h")).isEqualTo(Duration.ofMinutes(5));
    assertThat(backoff.refused("h")).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void aTransactionTheHostTookPartInClearsItsBackoff() {
    ManualClock clock = new ManualClock();
    HostBackoff backoff = new HostBackoff(Duration.ofMinutes(1), Duration.ofMinutes(30), clock);
    backoff.refused("h");
    backoff.refused("h");
    backoff.succeeded("h");
    assertThat(backoff.remaining("h")).isEmpty();
    assertThat(backoff.refused("h")).isEqualTo(Duration.ofMinutes(1));
  }
}
