package io.postwire.delivery;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;

/**
 * Tells a failure of the database (connection lost, statement refused, pool exhausted) from one
 * inside the service: the first leaves a leased row to expire and be claimed again, the second is
 * an internal failure, counted toward {@code postwire.delivery.max-internal-failures}.
 */
final class DatabaseFailures {

  private DatabaseFailures() {}

  static boolean is(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String type = t.getClass().getName();
      if (type.startsWith("io.vertx.pgclient.")
          || type.startsWith("io.vertx.sqlclient.")
          || type.startsWith("io.vertx.mutiny.sqlclient.")
          || t instanceof ConnectException
          || t instanceof ClosedChannelException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
