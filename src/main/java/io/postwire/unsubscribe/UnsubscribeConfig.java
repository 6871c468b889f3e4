package io.postwire.unsubscribe;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** One-click unsubscribe ({@code postwire.unsubscribe.*}, API.md "Inbound mail"). */
@ConfigMapping(prefix = "postwire.unsubscribe")
public interface UnsubscribeConfig {

  /**
   * Whether a send that does not say {@code "unsubscribe"} carries the List-Unsubscribe header
   * fields; a send's own {@code true} or {@code false} wins.
   */
  @WithName("default")
  @WithDefault("false")
  boolean onByDefault();

  /**
   * Unsubscribe requests ({@code GET} and {@code POST /u/<token>}) one client address may make per
   * second; {@code 0} means no limit. The page costs a database query, so it is bounded like the
   * API's failed key lookups.
   */
  @WithDefault("5")
  double rate();

  /** Unsubscribe requests one client address may make at once before {@link #rate} applies. */
  @WithDefault("20")
  int burst();
}
