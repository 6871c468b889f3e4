package io.postwire.event;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Event settings ({@code postwire.events.*}). */
@ConfigMapping(prefix = "postwire.events")
public interface EventConfig {

  /** How often each replica tries to give committed events their seq. */
  @WithDefault("200ms")
  Duration sequenceInterval();

  /** Events one sequencer transaction numbers at most. */
  @WithDefault("2000")
  int sequenceBatch();
}
