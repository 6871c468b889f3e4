package io.postwire.analytics;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** The reputation guard's settings ({@code postwire.reputation.*}). */
@ConfigMapping(prefix = "postwire.reputation")
public interface ReputationConfig {

  /** Whether the guard pauses domains at all (the rates are measured and exported either way). */
  @WithDefault("true")
  boolean enabled();

  /** The sliding window the rates are taken over (whole hours: the hour it starts in counts). */
  @WithDefault("24h")
  Duration window();

  /** A domain whose bounces over recipients sent in the window exceed this is paused. */
  @WithDefault("0.05")
  double maxBounceRate();

  /** A domain whose complaints over recipients sent in the window exceed this is paused. */
  @WithDefault("0.003")
  double maxComplaintRate();

  /** Recipients sent in the window below which the guard never pauses. */
  @WithDefault("500")
  long minVolume();

  /** How often the per-domain rate gauges are recomputed. */
  @WithDefault("30s")
  Duration metricsInterval();
}
