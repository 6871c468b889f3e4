package io.postwire.platform;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnectOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Builds the reactive pool with bounds on every wait, so a database that does not answer costs a
 * request a bounded time and a 503, never a hang: a connect timeout ({@code
 * postwire.api.connect-timeout}, also the longest wait for a pooled connection) and a server-side
 * {@code statement_timeout} ({@code postwire.api.statement-timeout}) set on every session when it
 * starts. A statement that waits on a lock longer than that is cancelled by PostgreSQL (SQLSTATE
 * 57014), which {@link ProblemMapper} answers with 503 {@code unavailable}. Work that needs longer
 * sets its own limit in its transaction ({@code SET LOCAL statement_timeout}).
 *
 * <p>Every statement is planned for its own parameters and the tables as they are ({@code
 * plan_cache_mode = force_custom_plan}), never from a generic plan cached for a prepared statement.
 * The queue tables swing between empty and hundreds of thousands of rows within a minute; a generic
 * plan made while one was nearly empty (or analyzed so) kept nested loops over whole-table scans
 * once it was full: a webhook claim over 2,000 pending rows took 1.3 s instead of 0.2 ms. A custom
 * plan sees the table's current size; planning costs less than the measurement's noise (bench/).
 */
@ApplicationScoped
public class DatabasePool implements PgPoolCreator {

  private final ApiConfig config;

  public DatabasePool(ApiConfig config) {
    this.config = config;
  }

  @Override
  public Pool create(Input input) {
    int connectMillis = (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis());
    for (PgConnectOptions options : input.pgConnectOptionsList()) {
      options.setConnectTimeout(connectMillis);
      options.addProperty("statement_timeout", Long.toString(config.statementTimeout().toMillis()));
      options.addProperty("plan_cache_mode", "force_custom_plan");
    }
    input
        .poolOptions()
        .setConnectionTimeout(connectMillis)
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    return PgBuilder.pool()
        .with(input.poolOptions())
        .connectingTo(new ArrayList<SqlConnectOptions>(input.pgConnectOptionsList()))
        .using(input.vertx())
        .build();
  }
}
