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

  /** Answers kept in the cache (which honours TTLs); 0 disables it. */
  @WithDefault("10000")
  int cacheSize();

  /** The most bytes the cached answers may take together (their wire size plus overhead). */
  @WithDefault("16777216")
  long cacheMaxBytes();

  /** The longest an answer is cached, whatever its TTL says. */
  @WithDefault("1d")
  Duration cacheMaxTtl();

  /** The largest answer, in wire bytes, that is used at all; a larger one is a temporary error. */
  @WithDefault("32768")
  int maxAnswerSize();

  /**
   * This host's name in SPF explanations ({@code %{r}}, RFC 7208 §7.3): the EHLO name, {@code
   * postwire.delivery.ehlo-name}, read here by name so that {@code dns} needs nothing from {@code
   * delivery}; {@code postwire} when it is unset.
   */
  @WithDefault("${postwire.delivery.ehlo-name:postwire}")
  String receiverName();
}
