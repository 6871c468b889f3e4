package io.postwire.testing;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Direct database reads for assertions (tests only; blocking is fine on the test thread). */
public final class Db {

  private Db() {}

  public static long count(Pool pool, String sql, Object... args) {
    return pool.preparedQuery(sql)
        .execute(Tuple.from(args))
        .await()
        .atMost(Duration.ofSeconds(10))
        .iterator()
        .next()
        .getLong(0);
  }

  public static List<Row> rows(Pool pool, String sql, Object... args) {
    List<Row> rows = new ArrayList<>();
    pool.preparedQuery(sql)
        .execute(Tuple.from(args))
        .await()
        .atMost(Duration.ofSeconds(10))
        .forEach(rows::add);
    return rows;
  }

  public static void exec(Pool pool, String sql, Object... args) {
    pool.preparedQuery(sql).execute(Tuple.from(args)).await().atMost(Duration.ofSeconds(10));
  }
}
