package io.postwire.audit;

import io.postwire.platform.Refusal;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Admits manual audits ({@code POST /v1/domains/{name}/audit}): one at a time per domain, and at
 * most one per {@code postwire.audit.manual-interval}; an audit costs dozens of DNS queries and an
 * HTTPS fetch, so a client looping on the endpoint must not turn the service into an amplifier.
 * Refusals are 429 {@code rate_limited} with Retry-After. The state is per replica.
 */
@ApplicationScoped
public class ManualAudits {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /** A domain's manual audits: whether one runs, and when the last one started. */
  private record State(boolean running, long startedAtNanos) {}

  private final ConcurrentMap<String, State> domains = new ConcurrentHashMap<>();
  private final long intervalNanos;
  private final LongSupplier clock;

  @Inject
  public ManualAudits(AuditConfig config) {
    this(config.manualInterval(), System::nanoTime);
  }

  ManualAudits(Duration interval, LongSupplier clock) {
    this.intervalNanos = interval.toNanos();
    this.clock = clock;
  }

  /**
   * Runs {@code audit} if the domain may be audited now, else fails with 429. The slot is freed
   * when the audit ends, however it ends.
   */
  public <T> Uni<T> admit(String domain, Supplier<Uni<T>> audit) {
    long now = clock.getAsLong();
    long[] waitNanos = {0};
    boolean[] busy = {false};
    domains.compute(
        domain,
        (d, state) -> {
          if (state != null && state.running()) {
            busy[0] = true;
            return state;
          }
          if (state != null && now - state.startedAtNanos() < intervalNanos) {
            waitNanos[0] = intervalNanos - (now - state.startedAtNanos());
            return state;
          }
          return new State(true, now);
        });
    if (busy[0]) {
      return Uni.createFrom().failure(refusal("an audit of " + domain + " is already running", 1));
    }
    if (waitNanos[0] > 0) {
      long seconds = Math.max(1, (waitNanos[0] + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND);
      return Uni.createFrom()
          .failure(
              refusal(
                  domain + " was audited moments ago; try again in " + seconds + " s", seconds));
    }
    return Uni.createFrom()
        .<T>deferred(() -> audit.get())
        .onTermination()
        .invoke(
            () -> domains.computeIfPresent(domain, (d, s) -> new State(false, s.startedAtNanos())));
  }

  private static Refusal refusal(String detail, long retryAfterSeconds) {
    return Refusal.rateLimited(detail, retryAfterSeconds);
  }
}
