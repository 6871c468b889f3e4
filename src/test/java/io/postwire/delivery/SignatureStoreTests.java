package io.postwire.delivery;

import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The first stored signature wins, and a worker that loses the race sends the winner's: {@link
 * DeliveryStore#storeSignature} against the real database, racing a transaction the test holds.
 */
@QuarkusTest
@TestProfile(ClaimBudgetTests.NoPipeline.class)
class SignatureStoreTests {

  @Inject Pool pool;

  @Inject DeliveryStore store;

  private UUID queued() {
    return UUID.fromString(
        Api.queueHeld(registerDomain(), List.of("one@example.org", "two@example.net")));
  }

  @Test
  void theFirstSignatureStoredIsReturned() {
    UUID id = queued();
    assertThat(store.storeSignature(id, "first").await().atMost(Duration.ofSeconds(10)))
        .isEqualTo("first");
    assertThat(store.storeSignature(id, "second").await().atMost(Duration.ofSeconds(10)))
        .isEqualTo("first");
    assertThat(
            Db.count(
                pool,
                """
                select count(*) from event where message_id = $1::uuid
                and type = 'signed'""",
                id.toString()))
        .isEqualTo(1);
  }

  @Test
  void aSignatureCommittedWhileTheStoreWaitsIsTheOneReturned() throws Exception {
    UUID id = queued();
    SqlConnection conn = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      Transaction tx = conn.begin().await().atMost(Duration.ofSeconds(10));
      conn.preparedQuery("update message set signature = 'winner' where id = $1")
          .execute(Tuple.of(id))
          .await()
          .atMost(Duration.ofSeconds(10));
      // the store's statement takes its snapshot now, then waits for the row lock
      CompletableFuture<String> racing =
          store.storeSignature(id, "loser").subscribeAsCompletionStage();
      waitUntilBlocked(id);
      tx.commit().await().atMost(Duration.ofSeconds(10));
      assertThat(racing.get(10, TimeUnit.SECONDS)).isEqualTo("winner");
    } finally {
      conn.close().await().atMost(Duration.ofSeconds(10));
    }
  }

  /** Until a backend waits for a lock while updating this message (at most 10 s). */
  private void waitUntilBlocked(UUID id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      long waiting =
          Db.count(
              pool,
              """
              select count(*) from pg_stat_activity where wait_event_type = 'Lock'
              and query like '%update message set signature = $2%'""");
      if (waiting > 0) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the store never waited for the row lock of " + id);
  }
}
