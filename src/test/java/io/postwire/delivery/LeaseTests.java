package io.postwire.delivery;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.postwire.testing.ScriptedRelayResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Restart safety (ARCHITECTURE.md, "PostgreSQL is the queue"): a dead replica's leases expire and
 * its rows are delivered; a live worker renews its leases so a slow transaction keeps its rows.
 */
@QuarkusTest
@TestProfile(LeaseTests.ShortLease.class)
class LeaseTests {

  /** Relay to a scripted server with a 2 s lease. */
  public static class ShortLease implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(ScriptedRelayResource.class));
    }
  }

  @Inject Pool pool;

  long received(String recipient) {
    return ScriptedRelayResource.server.messages().stream()
        .filter(m -> m.recipients().contains(recipient))
        .count();
  }

  @Test
  void rowsLeftLeasedByACrashedReplicaAreDeliveredAfterTheLeaseExpires() {
    String domain = registerDomain();
    String id = Api.queueHeld(domain, List.of("crash@example.org"));
    // what a replica killed mid-delivery leaves behind: its lease on the row
    Db.exec(
        pool,
        """
        update delivery set lease_owner = 'dead-replica',
        next_attempt_at = now() + interval '1500 milliseconds' where message_id = $1::uuid""",
        id);
    assertThat(received("crash@example.org")).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> received("crash@example.org") == 1);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                Db.count(
                        pool,
                        """
                        select count(*) from delivery where message_id = $1::uuid
                        and status = 'delivered' and lease_owner is null""",
                        id)
                    == 1);
  }

  @Test
  void aSlowTransactionLongerThanTheLeaseKeepsItsRows() throws Exception {
    String domain = registerDomain();
    ScriptedRelayResource.server.slowDataEnd(Duration.ofSeconds(5));
    try {
      admin()
          .body(Map.of("from", "a@" + domain, "to", List.of("slow@example.org"), "text", "x"))
          .post("/v1/messages")
          .then()
          .statusCode(202);
      await().atMost(Duration.ofSeconds(15)).until(() -> received("slow@example.org") >= 1);
      // a lost lease would let the poll claim the row again and send it a second time
      Thread.sleep(3000);
      assertThat(received("slow@example.org")).isEqualTo(1);
      assertThat(
              Db.count(
                  pool,
                  """
                  select count(*) from delivery where recipient = 'slow@example.org'
                  and status = 'delivered' and attempts = 1"""))
          .isEqualTo(1);
    } finally {
      ScriptedRelayResource.server.slowDataEnd(Duration.ZERO);
    }
  }
}
