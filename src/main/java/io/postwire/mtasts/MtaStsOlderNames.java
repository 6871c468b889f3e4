package io.postwire.mtasts;

import io.smallrye.config.ConfigMapping;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The names the MTA-STS settings had before {@code postwire.mta-sts.*}, when delivery and the audit
 * each had their own: still documented and accepted. They are declared here only so that start-up
 * knows them (a name under {@code postwire.delivery} or {@code postwire.audit} that maps to nothing
 * stops the start; {@link MtaStsProducer} injects them, which registers them); {@link MtaStsConfig}
 * reads them, by name, as its defaults.
 */
public final class MtaStsOlderNames {

  private MtaStsOlderNames() {}

  /** {@code postwire.delivery.mta-sts.*}. */
  @ConfigMapping(prefix = "postwire.delivery.mta-sts")
  public interface Delivery {
    Optional<Boolean> enabled();

    OptionalInt port();

    Optional<String> trustStore();

    Optional<String> trustStorePassword();

    Optional<Duration> timeout();
  }

  /** {@code postwire.audit.mta-sts.*}. */
  @ConfigMapping(prefix = "postwire.audit.mta-sts")
  public interface Audit {
    OptionalInt port();

    Optional<String> trustStore();

    Optional<String> trustStorePassword();

    Optional<Duration> timeout();
  }
}
