package io.postwire.analytics;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Rollup and statistics settings ({@code postwire.analytics.*}). */
@ConfigMapping(prefix = "postwire.analytics")
public interface AnalyticsConfig {

  /** How often each replica tries to fold newly sequenced events into the rollups. */
  @WithDefault("1s")
  Duration foldInterval();

  /** Events one fold transaction reads at most. */
  @WithDefault("5000")
  int foldBatch();

  /** How long one MX lookup for a recipient domain's provider may take. */
  @WithDefault("3s")
  Duration providerTimeout();

  /** MX lookups the fold runs at once. */
  @WithDefault("16")
  int providerConcurrency();

  /** How long a recipient domain's provider is kept before it is looked up again. */
  @WithDefault("7d")
  Duration providerTtl();

  /** After a temporary DNS failure, how long the domain counts as {@code other} before a retry. */
  @WithDefault("5m")
  Duration providerRetry();

  /** Recipient domains whose provider is kept in memory (beyond them, the table answers). */
  @WithDefault("100000")
  int providerCacheSize();

  /** The longest span {@code GET /v1/stats} answers with {@code interval=hour}. */
  @WithDefault("31d")
  Duration maxHourRange();

  /** The longest span {@code GET /v1/stats} answers with {@code interval=day}. */
  @WithDefault("400d")
  Duration maxDayRange();
}
