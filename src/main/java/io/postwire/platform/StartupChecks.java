package io.postwire.platform;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.eclipse.microprofile.config.Config;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

/**
 * The start, in order: in prod, check every setting ({@link StartupSettings}) and stop with all
 * problems at once before the database is touched; then migrate the schema (Flyway, which
 * application.properties keeps from running on its own for this reason); then, in prod, refuse to
 * start when no admin key can ever exist (no {@code postwire.api.bootstrap-key} and none in the
 * database). Runs before every other start-up observer, all of which may use the schema.
 */
@ApplicationScoped
public class StartupChecks {

  private static final Logger LOG = Logger.getLogger(StartupChecks.class);

  /** Before every other start-up observer (the delivery pipeline, the scheduler, caches). */
  static final int FIRST = Integer.MIN_VALUE + 1000;

  private final Config config;
  private final Instance<Flyway> flyway;
  private final Pool pool;

  public StartupChecks(Config config, Instance<Flyway> flyway, Pool pool) {
    this.config = config;
    this.flyway = flyway;
    this.pool = pool;
  }

  void onStart(@Observes @Priority(FIRST) StartupEvent event) {
    boolean prod = LaunchMode.current() == LaunchMode.NORMAL;
    run(
        prod,
        name -> config.getOptionalValue(name, String.class),
        () -> flyway.get().migrate(),
        this::adminKeyExists);
  }

  /**
   * The start-up sequence, with its effects passed in so a test can watch the order.
   *
   * @throws IllegalStateException to fail the start, listing every problem
   */
  void run(
      boolean prod,
      Function<String, Optional<String>> settings,
      Runnable migrate,
      BooleanSupplier adminKeyExists) {
    if (prod) {
      List<String> problems = StartupSettings.problems(settings);
      if (!problems.isEmpty()) {
        throw new IllegalStateException(
            "Postwire cannot start; fix these settings (environment variables):\n  - "
                + String.join("\n  - ", problems));
      }
    }
    migrate.run();
    if (prod
        && settings.apply(StartupSettings.BOOTSTRAP_KEY).filter(k -> !k.isBlank()).isEmpty()
        && !adminKeyExists.getAsBoolean()) {
      throw new IllegalStateException(
          "Postwire cannot start; fix these settings (environment variables):\n  - "
              + StartupSettings.env(StartupSettings.BOOTSTRAP_KEY)
              + " is required while no admin API key exists in the database: set it to a long"
              + " random token, e.g. pw_$(openssl rand -hex 32)");
    }
    LOG.debug("start-up checks passed");
  }

  private boolean adminKeyExists() {
    return pool.query("select exists (select 1 from api_key where admin)")
        .execute()
        .await()
        .atMost(Duration.ofSeconds(30))
        .iterator()
        .next()
        .getBoolean(0);
  }
}
