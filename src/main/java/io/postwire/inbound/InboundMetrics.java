package io.postwire.inbound;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code postwire_inbound_messages_total{kind}}: what the inbound listener received and what it
 * made of it ({@code dsn}, {@code dsn_delayed}, {@code nonstandard_bounce}, {@code complaint},
 * {@code auto_reply}, {@code unrecognized}, {@code ignored}, {@code refused}, and the kinds of the
 * other mailboxes such as {@code unsubscribe} and {@code inbox_test}).
 */
@ApplicationScoped
public class InboundMetrics {

  private final MeterRegistry registry;

  public InboundMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Counts one message (or refused recipient) of {@code kind}. */
  public void count(String kind) {
    Counter.builder("postwire.inbound.messages")
        .description("Messages the inbound listener received, by what they were")
        .tag("kind", kind)
        .register(registry)
        .increment();
  }
}
