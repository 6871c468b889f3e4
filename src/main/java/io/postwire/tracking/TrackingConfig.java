package io.postwire.tracking;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Open and click tracking ({@code postwire.tracking.*}); the links live under {@code
 * postwire.public-url}.
 */
@ConfigMapping(prefix = "postwire.tracking")
public interface TrackingConfig {

  /**
   * An open or click this soon after the recipient's delivery is flagged {@code machine}: privacy
   * proxies fetch images and link scanners follow links as the message arrives, people do not.
   */
  @WithDefault("2s")
  Duration machineWindow();

  /**
   * Longest URL (UTF-8 octets) a click token carries; a longer link is left as the sender wrote it,
   * so the token, and the request line holding it, stay bounded.
   */
  @WithDefault("2000")
  int maxUrlLength();

  /**
   * Events waiting to be written at most; beyond it an open or click still answers but its event is
   * counted as dropped ({@code postwire_tracking_events_total{outcome="dropped"}}) and logged.
   */
  @WithDefault("10000")
  int maxPendingEvents();

  /**
   * How long a tracking request waits for its event to be written before answering anyway (the
   * write goes on): a slow database never holds up a redirect longer than this.
   */
  @WithDefault("250ms")
  Duration writeWait();
}
