package io.postwire.platform;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import java.util.function.Supplier;

/**
 * Runs a job on one replica at a time: a PostgreSQL session advisory lock, taken without waiting
 * and held on one connection for the whole run, then released and the connection closed, however
 * the run ends.
 */
public final class AdvisoryLock {

  private AdvisoryLock() {}

  /** The job's result, or {@code null} without running it when another replica holds the lock. */
  public static <T> Uni<T> holding(Pool pool, long key, Supplier<Uni<? extends T>> job) {
    return pool.getConnection().chain(conn -> holding(conn, key, job));
  }

  private static <T> Uni<T> holding(SqlConnection conn, long key, Supplier<Uni<? extends T>> job) {
    return conn.query("select pg_try_advisory_lock(" + key + ")")
        .execute()
        .chain(
            rows -> {
              if (!rows.iterator().next().getBoolean(0)) {
                return Uni.createFrom().<T>nullItem();
              }
              return Uni.createFrom()
                  .<T>deferred(job)
                  .onTermination()
                  .call(
                      () ->
                          conn.query("select pg_advisory_unlock(" + key + ")")
                              .execute()
                              .onFailure()
                              .recoverWithNull());
            })
        .onTermination()
        .call(conn::close);
  }
}
