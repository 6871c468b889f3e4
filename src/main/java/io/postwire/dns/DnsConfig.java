package io.postwire.dns;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The service's resolver ({@code postwire.dns.*}). */
@ConfigMapping(prefix = "postwire.dns")
public interface DnsConfig {

  /**
   * Comma list of {@code host[:port]} resolver addresses (IPv6 as {@code [::1]:5353}, default port
   * 53). Empty means the system's resolvers, allowed in prod only.
   */
  Optional<String> servers();

  /** Timeout of one lookup, retries included. */
  @WithDefault("5s")
  Duration timeout();

  /** Records kept in the cache (which honours TTLs). */
  @WithDefault("10000")
  int cacheSize();
}
