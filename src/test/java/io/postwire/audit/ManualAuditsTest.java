package io.postwire.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.platform.Refusal;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Admission of manual audits: one at a time per domain, at most one per interval. */
class ManualAuditsTest {

  private final AtomicLong now = new AtomicLong();

  @Test
  void runsOneManualAuditOfADomainAtATime() {
    ManualAudits gate = new ManualAudits(Duration.ZERO, now::get);
    AtomicReference<UniEmitter<? super String>> running = new AtomicReference<>();
    gate.admit("a.example", () -> Uni.createFrom().<String>emitter(running::set))
        .subscribe()
        .with(ignored -> {});

    assertThatThrownBy(
            () -> gate.admit("a.example", () -> Uni.createFrom().item("x")).await().indefinitely())
        .isInstanceOfSatisfying(
            Refusal.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Refusal.Kind.RATE_LIMITED);
              assertThat(e.code()).isEqualTo("rate_limited");
              assertThat(e.retryAfterSeconds()).isPositive();
            });
    assertThat(gate.admit("b.example", () -> Uni.createFrom().item("b")).await().indefinitely())
        .isEqualTo("b");

    running.get().complete("done");
    assertThat(gate.admit("a.example", () -> Uni.createFrom().item("y")).await().indefinitely())
        .isEqualTo("y");
  }

  @Test
  void freesTheSlotWhenAnAuditFails() {
    ManualAudits gate = new ManualAudits(Duration.ZERO, now::get);
    assertThatThrownBy(
            () ->
                gate.admit(
                        "a.example",
                        () -> Uni.createFrom().<String>failure(new RuntimeException("dns")))
                    .await()
                    .indefinitely())
        .hasMessage("dns");

    assertThat(gate.admit("a.example", () -> Uni.createFrom().item("y")).await().indefinitely())
        .isEqualTo("y");
  }

  @Test
  void waitsTheIntervalBetweenTwoManualAuditsAndSaysHowLong() {
    ManualAudits gate = new ManualAudits(Duration.ofSeconds(10), now::get);
    gate.admit("a.example", () -> Uni.createFrom().item("1")).await().indefinitely();
    now.addAndGet(Duration.ofMillis(2_500).toNanos());

    assertThatThrownBy(
            () -> gate.admit("a.example", () -> Uni.createFrom().item("2")).await().indefinitely())
        .isInstanceOfSatisfying(Refusal.class, e -> assertThat(e.retryAfterSeconds()).isEqualTo(8));

    now.addAndGet(Duration.ofMillis(7_500).toNanos());
    assertThat(gate.admit("a.example", () -> Uni.createFrom().item("3")).await().indefinitely())
        .isEqualTo("3");
  }
}
