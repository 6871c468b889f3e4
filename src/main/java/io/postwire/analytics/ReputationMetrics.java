package io.postwire.analytics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Per-domain gauges for alerting: {@code postwire_domain_bounce_rate}, {@code
 * postwire_domain_complaint_rate} (over the reputation window, as the guard computes them) and
 * {@code postwire_domain_sending_paused} (1 while paused), recomputed every {@code
 * postwire.reputation.metrics-interval}. A removed domain's gauges go at the next refresh.
 */
@ApplicationScoped
public class ReputationMetrics {

  private static final Logger LOG = Logger.getLogger(ReputationMetrics.class);

  private final Pool pool;
  private final Vertx vertx;
  private final ReputationGuard guard;
  private final ReputationConfig config;
  private final MultiGauge bounceRate;
  private final MultiGauge complaintRate;
  private final MultiGauge paused;
  private final AtomicBoolean running = new AtomicBoolean();
  private long timer = -1;

  public ReputationMetrics(
      Pool pool,
      Vertx vertx,
      ReputationGuard guard,
      ReputationConfig config,
      MeterRegistry registry) {
    this.pool = pool;
    this.vertx = vertx;
    this.guard = guard;
    this.config = config;
    this.bounceRate =
        MultiGauge.builder("postwire.domain.bounce.rate")
            .description("Bounces over recipients sent in the reputation window, per domain")
            .register(registry);
    this.complaintRate =
        MultiGauge.builder("postwire.domain.complaint.rate")
            .description("Complaints over recipients sent in the reputation window, per domain")
            .register(registry);
    this.paused =
        MultiGauge.builder("postwire.domain.sending.paused")
            .description("1 while the reputation guard holds the domain's sending, else 0")
            .register(registry);
  }

  void start(@Observes StartupEvent event) {
    timer =
        vertx.setPeriodic(Math.max(100, config.metricsInterval().toMillis()), id -> refreshSoon());
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Recomputes the gauges now (unless a refresh is running). */
  public void refreshSoon() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    guard
        .windows(pool, null)
        .onTermination()
        .invoke(() -> running.set(false))
        .subscribe()
        .with(
            windows -> {
              List<MultiGauge.Row<?>> bounce = new ArrayList<>();
              List<MultiGauge.Row<?>> complaint = new ArrayList<>();
              List<MultiGauge.Row<?>> held = new ArrayList<>();
              for (ReputationGuard.Window w : windows) {
                Tags tags = Tags.of("domain", w.domain());
                bounce.add(MultiGauge.Row.of(tags, w.bounceRate()));
                complaint.add(MultiGauge.Row.of(tags, w.complaintRate()));
                held.add(MultiGauge.Row.of(tags, w.paused() ? 1 : 0));
              }
              bounceRate.register(bounce, true);
              complaintRate.register(complaint, true);
              paused.register(held, true);
            },
            e -> LOG.debugf("Reputation gauges not refreshed (next interval): %s", e.toString()));
  }
}
