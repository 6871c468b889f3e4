package io.postwire.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The settings every session of the service's pool starts with (DatabasePool). */
@QuarkusTest
class DatabasePoolTests {

  @Inject Pool pool;

  @Test
  void everySessionPlansEachStatementForItsParametersAndHasAStatementTimeout() {
    // more executions of one prepared statement than PostgreSQL needs before it would switch to a
    // generic plan (5), on whichever sessions the pool hands out
    for (int i = 0; i < 12; i++) {
      Row row =
          pool.preparedQuery(
                  "select current_setting('plan_cache_mode') as plans,"
                      + " current_setting('statement_timeout') as timeout, $1::int as n")
              .execute(Tuple.of(i))
              .await()
              .atMost(Duration.ofSeconds(10))
              .iterator()
              .next();
      assertThat(row.getString("plans")).isEqualTo("force_custom_plan");
      assertThat(row.getString("timeout")).isNotEqualTo("0");
    }
  }
}
