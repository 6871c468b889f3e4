package io.postwire.platform;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * The datasource settings Postwire reads itself, for its one LISTEN connection ({@link
 * DatabaseSignals}): Quarkus's own names, {@code quarkus.datasource.*}.
 */
@ConfigMapping(prefix = "quarkus.datasource")
public interface DatasourceConfig {

  /** {@code quarkus.datasource.username}. */
  Optional<String> username();

  /** {@code quarkus.datasource.password}. */
  Optional<String> password();

  /** {@code quarkus.datasource.reactive.*}. */
  Reactive reactive();

  /** The reactive client's settings. */
  interface Reactive {
    /** {@code quarkus.datasource.reactive.url}; empty when the database is not known here. */
    Optional<String> url();
  }
}
