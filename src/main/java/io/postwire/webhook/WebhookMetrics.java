package io.postwire.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code postwire_webhook_deliveries_total{outcome}}, {@code postwire_events_pending} (webhook
 * deliveries not yet done) and {@code postwire_events_oldest_pending_seconds} (the age of the
 * oldest of their events).
 */
@ApplicationScoped
public class WebhookMetrics {

  private final MeterRegistry registry;
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong oldest = new AtomicLong();

  public WebhookMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void register() {
    Gauge.builder("postwire.events.pending", pending, AtomicLong::get)
        .description("Webhook deliveries of events not yet delivered or failed")
        .register(registry);
    Gauge.builder("postwire.events.oldest.pending.seconds", oldest, AtomicLong::get)
        .description("Age of the oldest event with a webhook delivery not yet done")
        .register(registry);
  }

  void backlog(long[] counts) {
    pending.set(counts[0]);
    oldest.set(counts[1]);
  }

  void count(String outcome) {
    outcomes
        .computeIfAbsent(
            outcome,
            o ->
                Counter.builder("postwire.webhook.deliveries")
                    .tag("outcome", o)
                    .description("Webhook POSTs by outcome")
                    .register(registry))
        .increment();
  }
}
