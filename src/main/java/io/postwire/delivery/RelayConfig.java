package io.postwire.delivery;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** The smarthost used in relay mode ({@code postwire.relay.*}). */
@ConfigMapping(prefix = "postwire.relay")
public interface RelayConfig {

  /** Host name or IP of the relay; required in relay mode. */
  Optional<String> host();

  /** Port of the relay. */
  @WithDefault("25")
  int port();

  /** SMTP AUTH user name, if the relay wants one. */
  Optional<String> username();

  /** SMTP AUTH password. */
  Optional<String> password();

  /** {@code disabled}, {@code optional} (STARTTLS when offered) or {@code required}. */
  @WithDefault("optional")
  String starttls();
}
