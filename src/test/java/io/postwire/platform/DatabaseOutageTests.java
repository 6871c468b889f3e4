package io.postwire.platform;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A database that does not serve us costs a request a bounded time and a 503 {@code unavailable}
 * with Retry-After (API.md, errors): a lock held past {@code postwire.api.statement-timeout} (10 s
 * by default) and a login PostgreSQL refuses.
 */
@QuarkusTest
class DatabaseOutageTests {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Inject Pool pool;

  @Test
  void answersUnavailableWhenALockOutlastsTheStatementTimeout() {
    String domain = registerDomain();
    SqlConnection holder = pool.getConnection().await().atMost(WAIT);
    Transaction tx = holder.begin().await().atMost(WAIT);
    ScheduledExecutorService release = Executors.newSingleThreadScheduledExecutor();
    try {
      holder.query("lock table domain in access exclusive mode").execute().await().atMost(WAIT);
      // without a statement timeout the request would wait for the lock: let go after 30 s at
      // the latest, so such a failure shows as a slow 200 instead of a hung test
      release.schedule(() -> tx.rollback().await().atMost(WAIT), 30, TimeUnit.SECONDS);
      long started = System.nanoTime();
      admin()
          .get("/v1/domains/" + domain)
          .then()
          .statusCode(503)
          .contentType("application/problem+json")
          .header("Retry-After", notNullValue())
          .body("code", equalTo("unavailable"));
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    } finally {
      release.shutdownNow();
      tx.rollback().onFailure().recoverWithNull().await().atMost(WAIT);
      holder.close().await().atMost(WAIT);
    }
    admin().get("/v1/domains/" + domain).then().statusCode(200);
  }

  @Test
  void answersUnavailableWhenTheDatabaseRefusesTheLogin() throws Exception {
    String domain = registerDomain();
    // a real refusal: the service's role may no longer log in (SQLSTATE 28000), and its open
    // sessions are ended, so the next request has to log in again
    SqlConnection session = pool.getConnection().await().atMost(WAIT);
    try {
      session.query("alter role current_user nologin").execute().await().atMost(WAIT);
      session
          .query(
              """
              select pg_terminate_backend(pid) from pg_stat_activity where pid <>
              pg_backend_pid() and usename = current_user and datname = current_database()""")
          .execute()
          .await()
          .atMost(WAIT);
      Thread.sleep(500);
      for (int i = 0; i < 3; i++) {
        long started = System.nanoTime();
        admin()
            .get("/v1/domains/" + domain)
            .then()
            .statusCode(503)
            .contentType("application/problem+json")
            .header("Retry-After", notNullValue())
            .body("code", equalTo("unavailable"));
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .isLessThan(Duration.ofSeconds(10));
      }
    } finally {
      session.query("alter role current_user login").execute().await().atMost(WAIT);
      session.close().await().atMost(WAIT);
    }
    // every pool finds its ended sessions and logs in again
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              admin().get("/v1/domains/" + domain).then().statusCode(200);
              RestAssured.given().get("/q/health/ready").then().statusCode(200);
            });
  }
}
