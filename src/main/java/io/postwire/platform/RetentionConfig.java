package io.postwire.platform;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** How long messages are kept ({@code postwire.retention.*}); suppressions are kept for good. */
@ConfigMapping(prefix = "postwire.retention")
public interface RetentionConfig {

  /** Age after which a message's rendered content is deleted once all its recipients are final. */
  @WithDefault("30d")
  Duration content();

  /** Age after which a finished message, its deliveries and its events are deleted. */
  @WithDefault("90d")
  Duration messages();
}
