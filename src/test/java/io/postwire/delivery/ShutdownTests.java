package io.postwire.delivery;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

/** Graceful shutdown: stop claiming, finish or release in-flight work within the grace period. */
@QuarkusTest
@TestProfile(ShutdownTests.Graceful.class)
class ShutdownTests {

  /** Relay to a scripted server; 8 s grace. */
  public static class Graceful implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(ScriptedRelayResource.class));
    }
  }

  @Inject Pool pool;
  @Inject DeliveryPipeline pipeline;

  @Test
  void shutdownFinishesInFlightDeliveriesAndLeavesNothingLeased() {
    String domain = registerDomain();
    ScriptedRelayResource.server.slowDataEnd(Duration.ofSeconds(2));
    for (int i = 0; i < 5; i++) {
      admin()
          .body(Map.of("from", "a@" + domain, "to", List.of("s" + i + "@example.org"), "text", "x"))
          .post("/v1/messages")
          .then()
          .statusCode(202);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> pipeline.inFlight() > 0);
    long started = System.nanoTime();
    pipeline.stop(null);
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(took).isLessThan(Duration.ofSeconds(10));
    assertThat(pipeline.running()).isFalse();
    // each one finished (delivered) or released (due again, no lease): none lost, none held
    assertThat(
            Db.count(
                pool,
                """
                select count(*) from delivery d join message m on m.id = d.message_id
                where m.domain = $1 and d.lease_owner is not null""",
                domain))
        .isZero();
    assertThat(
            Db.count(
                pool,
                """
                select count(*) from delivery d join message m on m.id = d.message_id
                where m.domain = $1 and (d.status = 'delivered'
                or d.status = 'queued' and d.next_attempt_at <= now())""",
                domain))
        .isEqualTo(5);
    ScriptedRelayResource.server.slowDataEnd(Duration.ZERO);
  }
}
