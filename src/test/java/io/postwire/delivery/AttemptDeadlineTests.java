package io.postwire.delivery;

import static io.postwire.delivery.AttemptDeadlineResource.SILENT;
import static io.postwire.delivery.AttemptDeadlineResource.TARPIT;
import static io.postwire.delivery.MxDeliveryResource.dns;
import static io.postwire.delivery.MxDeliveryResource.server;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Budgets of one delivery attempt in MX mode: a total deadline ({@code
 * postwire.delivery.attempt-timeout}) and a cap on the MX names tried ({@code
 * postwire.delivery.max-mx-hosts}), against scripted MX hosts and the test resolver on loopback.
 */
@QuarkusTest
@TestProfile(AttemptDeadlineTests.Deadline.class)
class AttemptDeadlineTests {

  /** MX mode with a 3 s attempt deadline and 60 s SMTP timeouts. */
  public static class Deadline implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(AttemptDeadlineResource.class));
    }
  }

  @Inject Pool pool;

  @AfterEach
  void finishWhatIsLeft() {
    if (!MxDeliveryTests.sent.isEmpty()) {
      Db.exec(
          pool,
          """
          update delivery set status = 'failed', next_attempt_at = null, lease_owner = null
          where status in ('queued', 'deferred')
          and message_id::text = any(string_to_array($1, ','))""",
          String.join(",", MxDeliveryTests.sent));
      MxDeliveryTests.sent.clear();
    }
  }

  @Test
  void anAttemptPastItsDeadlineIsDeferredAndItsConnectionClosed() {
    String from = registerDomain();
    String to = MxDeliveryTests.recipientDomain();
    dns.mx(to, 10, "silent." + to).a("silent." + to, SILENT);
    String rcpt = "late@" + to;
    long started = System.nanoTime();
    String id = MxDeliveryTests.send(from, List.of(rcpt), Map.of());

    Map<String, Object> r = MxDeliveryTests.awaitStatus(id, rcpt, "deferred");

    // the 3 s deadline ends the attempt, not the 60 s greeting timeout
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    Map<String, Object> last = MxDeliveryTests.lastResponse(r);
    assertThat((String) last.get("text")).startsWith("attempt deadline exceeded");
    assertThat(last.get("enhancedCode")).isEqualTo("4.4.2");
    // retried with the normal backoff (10 min ± 20 % here), its lease given up
    assertThat(Instant.parse((String) r.get("nextAttemptAt")))
        .isAfter(Instant.now().plus(Duration.ofMinutes(5)));
    assertThat(
            Db.count(
                pool,
                """
                select count(*) from delivery where message_id = $1::uuid
                and status = 'deferred' and lease_owner is null""",
                id))
        .isEqualTo(1);
    // the abandoned transaction's connection is closed at once
    await().atMost(Duration.ofSeconds(5)).until(() -> server(SILENT).openConnections() == 0);
    assertThat(server(SILENT).connectionsAccepted()).isEqualTo(1);
  }

  @Test
  void triesAtMostTenMxNamesEvenWhenEveryLookupFails() {
    String from = registerDomain();
    String to = MxDeliveryTests.recipientDomain();
    for (int i = 0; i < 20; i++) {
      dns.mx(to, 10 + i, "mx" + i + "." + to);
      dns.servfail("mx" + i + "." + to);
    }
    String rcpt = "many@" + to;
    String id = MxDeliveryTests.send(from, List.of(rcpt), Map.of());

    MxDeliveryTests.awaitStatus(id, rcpt, "deferred");

    long namesLookedUp =
        dns.queries().stream()
            .map(q -> q.split(" ")[0])
            .filter(name -> name.startsWith("mx") && name.endsWith("." + to + "."))
            .distinct()
            .count();
    assertThat(namesLookedUp).isEqualTo(10);
  }

  /**
   * A tarpit domain holds at most its share of the delivery slots
   * (postwire.delivery.max-slots-per-domain, 1 here): its other mail waits, everyone else's goes.
   */
  @Test
  void aTarpitDomainHoldsNoMoreThanItsSlotsWhileOtherMailGoes() {
    String from = registerDomain();
    String tarpit = MxDeliveryTests.recipientDomain();
    dns.mx(tarpit, 10, "silent." + tarpit).a("silent." + tarpit, TARPIT);
    String good = MxDeliveryTests.recipientDomain();
    dns.mx(good, 10, "mx." + good).a("mx." + good, MxDeliveryResource.MAIN);
    for (int i = 0; i < 4; i++) {
      MxDeliveryTests.send(from, List.of("slow" + i + "@" + tarpit), Map.of());
    }
    String id = MxDeliveryTests.send(from, List.of("fast@" + good), Map.of());

    MxDeliveryTests.awaitStatus(id, "fast@" + good, "delivered");
    assertThat(server(TARPIT).openConnections()).isLessThanOrEqualTo(1);
    // within one 3 s deadline, only one of the four tarpit deliveries got a slot
    await().atMost(Duration.ofSeconds(10)).until(() -> server(TARPIT).connectionsAccepted() > 0);
    assertThat(server(TARPIT).maxOpenConnections()).isEqualTo(1);
  }
}
