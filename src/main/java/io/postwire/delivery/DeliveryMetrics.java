package io.postwire.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The delivery meters: {@code postwire.delivery.duration} (one SMTP transaction), {@code
 * postwire.queue.depth} per state (due, deferred, leased), and {@code postwire.deliveries} per
 * recipient outcome. The timer and gauges exist on a replica whose pipeline runs.
 */
@ApplicationScoped
public class DeliveryMetrics {

  private static final String[] STATES = {"due", "deferred", "leased"};

  private final MeterRegistry registry;
  private final AtomicLong[] depth = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private volatile Timer duration;

  public DeliveryMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Registers the timer and the queue depth gauges (when the pipeline starts). */
  void register() {
    duration =
        Timer.builder("postwire.delivery.duration")
            .description("Time of one delivery attempt (one SMTP transaction)")
            .publishPercentileHistogram()
            .register(registry);
    for (int i = 0; i < STATES.length; i++) {
      AtomicLong value = depth[i];
      Gauge.builder("postwire.queue.depth", value, AtomicLong::get)
          .tag("state", STATES[i])
          .description("Deliveries waiting in the queue")
          .register(registry);
    }
  }

  /** One attempt took {@code nanos}. */
  void attempted(long nanos) {
    duration.record(Duration.ofNanos(nanos));
  }

  /** The queue depth per state: due, deferred, leased. */
  void depth(long[] counts) {
    for (int i = 0; i < depth.length; i++) {
      depth[i].set(counts[i]);
    }
  }

  /** One recipient reached {@code outcome} (a status, or {@code internal_error}). */
  void count(String outcome) {
    outcomes
        .computeIfAbsent(
            outcome,
            o ->
                Counter.builder("postwire.deliveries")
                    .tag("outcome", o)
                    .description("Delivery outcomes per recipient")
                    .register(registry))
        .increment();
  }
}
