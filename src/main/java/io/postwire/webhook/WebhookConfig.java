package io.postwire.webhook;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Webhook settings ({@code postwire.webhooks.*}). */
@ConfigMapping(prefix = "postwire.webhooks")
public interface WebhookConfig {

  /** Whether this replica sends webhooks. */
  @WithDefault("true")
  boolean enabled();

  /** The whole of one POST: connecting, sending and the answer's headers. */
  @WithDefault("10s")
  Duration timeout();

  /** POSTs in flight per replica. */
  @WithDefault("16")
  int concurrency();

  /** POSTs in flight per replica to one webhook, so a slow endpoint leaves room for others. */
  @WithDefault("4")
  int perEndpoint();

  /**
   * The waits after each failed try (about, ±20 %); after the last the delivery is {@code failed}.
   */
  @WithDefault("5s,5m,30m,2h,5h,10h,10h")
  List<Duration> retrySchedule();

  /** The longest {@code Retry-After} honoured. */
  @WithDefault("10h")
  Duration maxRetryAfter();

  /**
   * A PEM file of the certificate authorities trusted for https webhook URLs, instead of the JDK's
   * (an internal PKI); unset = the JDK's.
   */
  Optional<String> trustStore();

  /** How often each replica looks for due webhook deliveries. */
  @WithDefault("500ms")
  Duration pollInterval();
}
