package io.postwire.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Test classes share one database. A class that starts its own delivery pipeline (a new test
 * profile) first retires what earlier classes left queued or deferred, so their retries never reach
 * this class's SMTP server.
 */
public final class PendingDeliveries {

  private PendingDeliveries() {}

  /** Marks every queued or deferred delivery failed; no-op before the first migration. */
  public static void retire() {
    String port = System.getProperty("postwire.embedded-database.port");
    if (port == null) {
      return;
    }
    String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        Statement s = c.createStatement()) {
      s.executeUpdate(
          """
          update delivery set status = 'failed', next_attempt_at = null, lease_owner = null,
          last_text = 'retired by the test suite' where status in ('queued', 'deferred')""");
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return; // the schema is not migrated yet: this is the first application of the run
      }
      throw new IllegalStateException("Could not retire pending deliveries", e);
    }
  }
}
