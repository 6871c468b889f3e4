package io.postwire.check;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The pre-send check ({@code postwire.check.*}). */
@ConfigMapping(prefix = "postwire.check")
public interface CheckConfig {

  /**
   * {@code host:port} of a SpamAssassin spamd (an IP literal, {@code [v6]:port} or a name); unset:
   * no spam engine. The operator's own host, like the relay: the egress policy does not apply.
   */
  Optional<String> spamd();

  /** How long to wait for the connection to spamd. */
  @WithDefault("2s")
  Duration spamdConnectTimeout();

  /** How long spamd may take to answer in full, from the connection on. */
  @WithDefault("20s")
  Duration spamdTimeout();

  /** Largest spamd answer read, in bytes; a longer one is cut off and counts as no answer. */
  @WithDefault("262144")
  int spamdMaxReply();

  /**
   * Largest message handed to spamd, in bytes (spamc's own default is 500 KiB); a larger one is not
   * scanned, with an info finding.
   */
  @WithDefault("512000")
  int spamdMaxSize();
}
