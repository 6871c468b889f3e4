package io.postwire.platform;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.message;
import static io.postwire.testing.Api.rawMessage;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention (API.md, "Retention"): old rows are made by setting {@code created_at} back, and one
 * housekeeping run is invoked directly.
 */
@QuarkusTest
class HousekeepingTests {

  @Inject Pool pool;
  @Inject Housekeeping housekeeping;

  String domain;

  @BeforeEach
  void aDomain() {
    domain = registerDomain();
  }

  String sendAndFinish() {
    String id = send(message(domain, "bob@example.org"));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                admin()
                    .get("/v1/messages/" + id)
                    .then()
                    .statusCode(200)
                    .body("status", equalTo("delivered")));
    return id;
  }

  static String send(Map<String, Object> body) {
    return admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");
  }

  void age(String id, int days) {
    Db.exec(
        pool,
        "update message set created_at = now() - $2::int * interval '1 day' where id = $1::uuid",
        id,
        days);
  }

  Housekeeping.Purged runOnce() {
    return housekeeping.run().await().atMost(Duration.ofSeconds(30));
  }

  long contentKept(String id) {
    return Db.count(
        pool, "select count(*) from message where id = $1::uuid and content is not null", id);
  }

  @Test
  void dropsTheContentOfFinishedMessagesPastContentRetentionButKeepsStatusAndEvents() {
    String old = sendAndFinish();
    String recent = sendAndFinish();
    age(old, 31);
    age(recent, 29);

    assertThat(runOnce().count("contents")).isGreaterThanOrEqualTo(1);

    assertThat(contentKept(old)).isZero();
    assertThat(contentKept(recent)).isOne();
    admin()
        .get("/v1/messages/" + old)
        .then()
        .statusCode(200)
        .body("status", equalTo("delivered"))
        .body("recipients[0].status", equalTo("delivered"))
        .body("events.type", hasItem("delivered"));
  }

  @Test
  void deletesFinishedMessagesWithTheirDeliveriesAndEventsPastMessageRetention() {
    String old = sendAndFinish();
    String recent = sendAndFinish();
    age(old, 91);
    age(recent, 89);

    assertThat(runOnce().count("messages")).isGreaterThanOrEqualTo(1);

    admin().get("/v1/messages/" + old).then().statusCode(404);
    assertThat(Db.count(pool, "select count(*) from delivery where message_id = $1::uuid", old))
        .isZero();
    assertThat(Db.count(pool, "select count(*) from event where message_id = $1::uuid", old))
        .isZero();
    admin().get("/v1/messages/" + recent).then().statusCode(200);
  }

  @Test
  void keepsMessagesStillWaitingForDeliveryAndEverySuppression() {
    Map<String, Object> later = new HashMap<>(message(domain, "carol@example.org"));
    later.put("sendAt", Instant.now().plus(Duration.ofDays(2)).toString());
    String waiting = send(later);
    age(waiting, 120);
    String address = "kept-" + UUID.randomUUID() + "@example.org";
    admin()
        .body(Map.of("reason", "manual"))
        .put("/v1/suppressions/" + address)
        .then()
        .statusCode(200);
    Db.exec(
        pool,
        "update suppression set created_at = now() - interval '1000 days' where address = $1",
        address);

    runOnce();

    admin().get("/v1/messages/" + waiting).then().statusCode(200).body("status", equalTo("queued"));
    assertThat(contentKept(waiting)).isOne();
    admin().get("/v1/suppressions/" + address).then().statusCode(200);
  }

  @Test
  void purgesMtaStsPoliciesPastTheirMaxAgeThroughTheDeliveryPurge() {
    String expired = "expired-" + UUID.randomUUID() + ".example";
    String valid = "valid-" + UUID.randomUUID() + ".example";
    for (String domain : new String[] {expired, valid}) {
      Db.exec(
          pool,
          """
          insert into mta_sts_policy (domain, policy_id, policy, fetched_at, expires_at)
          values ($1, 'id1', 'version: STSv1', now() - interval '2 days',
          now() + $2::int * interval '1 day')""",
          domain,
          domain.equals(expired) ? -1 : 1);
    }

    assertThat(runOnce().count("mtaStsPolicies")).isGreaterThanOrEqualTo(1);

    assertThat(Db.count(pool, "select count(*) from mta_sts_policy where domain = $1", expired))
        .isZero();
    assertThat(Db.count(pool, "select count(*) from mta_sts_policy where domain = $1", valid))
        .isOne();
  }

  @Test
  void purgesWebhookAttemptsPastMessageRetention() {
    UUID webhook = UUID.randomUUID();
    Db.exec(
        pool,
        "insert into webhook (id, url, events, domains, secret) values ($1::uuid,"
            + " 'http://127.0.0.1:9/x', '{*}', '{}', '\\x00'::bytea)",
        webhook.toString());
    for (int days : new int[] {1, 91}) {
      Db.exec(
          pool,
          "insert into webhook_attempt (webhook_id, event_uid, status, at, duration_ms)"
              + " values ($1::uuid, gen_random_uuid(), 'delivered',"
              + " now() - $2::int * interval '1 day', 1)",
          webhook.toString(),
          days);
    }

    assertThat(runOnce().count("webhookAttempts")).isGreaterThanOrEqualTo(1);

    assertThat(
            Db.count(
                pool,
                "select count(*) from webhook_attempt where webhook_id = $1::uuid",
                webhook.toString()))
        .isOne();
    Db.exec(pool, "delete from webhook where id = $1::uuid", webhook.toString());
  }

  @Test
  void runsOnOneReplicaAtATime() {
    SqlConnection other = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      other
          .query("select pg_advisory_lock(" + Housekeeping.LOCK_KEY + ")")
          .execute()
          .await()
          .atMost(Duration.ofSeconds(10));
      assertThat(runOnce()).isNull();
    } finally {
      other
          .query("select pg_advisory_unlock(" + Housekeeping.LOCK_KEY + ")")
          .execute()
          .await()
          .atMost(Duration.ofSeconds(10));
      other.closeAndAwait();
    }
    assertThat(runOnce()).isNotNull();
  }

  @Test
  void refusesSendAtOrExpiresAtBeyondWhatRetentionWaitsFor() {
    Instant tooFar = Instant.now().plus(Duration.ofDays(31));
    Map<String, Object> late = new HashMap<>(message(domain, "bob@example.org"));
    late.put("sendAt", tooFar.toString());
    admin()
        .body(late)
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("sendAt"));
    Map<String, Object> longLived = new HashMap<>(message(domain, "bob@example.org"));
    longLived.put("expiresAt", tooFar.toString());
    admin()
        .body(longLived)
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("expiresAt"));
    Map<String, Object> raw =
        new HashMap<>(
            rawMessage(
                "s@" + domain,
                "bob@example.org",
                "From: s@" + domain + "\nTo: bob@example.org\nSubject: x\n\nbody\n"));
    raw.put("sendAt", tooFar.toString());
    admin()
        .body(raw)
        .post("/v1/messages/raw")
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("sendAt"));
    Map<String, Object> within = new HashMap<>(message(domain, "bob@example.org"));
    within.put("sendAt", Instant.now().plus(Duration.ofDays(29)).toString());
    admin().body(within).post("/v1/messages").then().statusCode(202);
  }
}
