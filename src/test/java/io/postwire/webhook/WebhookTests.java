package io.postwire.webhook;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.dkim.DkimConfig;
import io.postwire.dkim.DkimKeyService.Rekeyed;
import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.postwire.webhook.WebhookReceiver.Answer;
import io.postwire.webhook.WebhookReceiver.Call;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhooks end to end (sandbox delivery): an in-JVM receiver on loopback (allowed by the test
 * profile's postwire.egress.allow) checks every signature itself. Each test has its own domain and
 * path, so tests sharing the database never see each other's events.
 */
@QuarkusTest
class WebhookTests {

  private static WebhookReceiver receiver;

  @Inject Pool pool;

  @ConfigProperty(name = "postwire.dkim.master-key")
  String masterKey;

  @BeforeAll
  static void start() throws Exception {
    receiver = new WebhookReceiver();
  }

  @AfterAll
  static void stop() {
    receiver.close();
  }

  private static String path() {
    return "/hook-" + UUID.randomUUID();
  }

  /** Creates a webhook as admin; returns its JSON (with the secret). */
  private static JsonPath create(String path, List<String> events, String domain) {
    return admin()
        .body(Map.of("url", receiver.url(path), "events", events, "domains", List.of(domain)))
        .post("/v1/webhooks")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  private static String send(String domain, String to) {
    return Api.send(Api.message(domain, to)).then().statusCode(202).extract().path("id");
  }

  private static List<Map<String, Object>> attempts(String webhook) {
    return admin()
        .get("/v1/webhooks/" + webhook + "/deliveries")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("items");
  }

  @Test
  void aDomainEventReachesTheWebhooksOfItsDomainOnly() {
    String domain = Api.registerDomain();
    String other = Api.registerDomain();
    String path = path();
    String otherPath = path();
    create(path, List.of("domain.paused"), domain);
    create(otherPath, List.of("*"), other);
    // as the reputation guard writes it: no message, the domain's own event
    Db.exec(
        pool,
        "insert into event (domain, type, detail) values ($1, 'domain.paused',"
            + " '{\"reason\":\"test\"}'::jsonb)",
        domain);
    await().atMost(Duration.ofSeconds(20)).until(() -> receiver.calls(path).size() == 1);
    var event = receiver.calls(path).get(0).json();
    assertThat(event.getString("type")).isEqualTo("domain.paused");
    assertThat(event.getString("domain")).isEqualTo(domain);
    assertThat(event.containsKey("messageId")).isTrue();
    assertThat(event.getString("messageId")).isNull();
    assertThat(event.getString("recipient")).isNull();
    assertThat(event.getJsonObject("detail").getString("reason")).isEqualTo("test");
    send(other, "a@example.org");
    await().atMost(Duration.ofSeconds(20)).until(() -> receiver.calls(otherPath).size() >= 2);
    assertThat(receiver.calls(otherPath))
        .noneMatch(c -> c.json().getString("type").equals("domain.paused"));
  }

  @Test
  void everyEventArrivesSignedOncePerRecipientInSeqOrder() {
    String domain = Api.registerDomain();
    String path = path();
    JsonPath hook = create(path, List.of("*"), domain);
    String secret = hook.getString("secret");
    assertThat(secret).startsWith("whsec_");
    assertThat(java.util.Base64.getDecoder().decode(secret.substring(6))).hasSizeBetween(24, 32);
    assertThat(hook.getString("status")).isEqualTo("active");
    for (int i = 0; i < 3; i++) {
      send(domain, "a@example.org");
      send(domain, "b@example.org");
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> receiver.calls(path).size() >= 12); // queued + delivered, 6 recipients
    List<Call> calls = receiver.calls(path);
    assertThat(calls).hasSize(12).allMatch(c -> c.signedWith(secret));
    Map<String, List<Long>> seqs = new HashMap<>();
    for (Call c : calls) {
      var event = c.json();
      assertThat(c.id()).isEqualTo(event.getString("id"));
      assertThat(event.getString("domain")).isEqualTo(domain);
      assertThat(event.getString("type")).isIn("message.queued", "message.delivered");
      assertThat(event.fieldNames())
          .contains(
              "id",
              "seq",
              "type",
              "at",
              "messageId",
              "domain",
              "recipient",
              "tags",
              "metadata",
              "detail");
      seqs.computeIfAbsent(event.getString("recipient"), r -> new ArrayList<>())
          .add(event.getLong("seq"));
    }
    assertThat(seqs.keySet()).containsExactlyInAnyOrder("a@example.org", "b@example.org");
    seqs.values().forEach(list -> assertThat(list).isSorted().doesNotHaveDuplicates());
    assertThat(calls.stream().map(Call::id).distinct().count()).isEqualTo(12);
    // a signature made with another secret does not verify
    assertThat(
            calls
                .get(0)
                .signedWith("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32])))
        .isFalse();
    // the secret is shown once
    admin()
        .get("/v1/webhooks/" + hook.getString("id"))
        .then()
        .statusCode(200)
        .body("secret", org.hamcrest.Matchers.nullValue())
        .body("url", equalTo(receiver.url(path)));
  }

  @Test
  void aFailureOrATimeoutIsRetriedAndALaterEventForTheRecipientWaits() {
    String domain = Api.registerDomain();
    String path = path();
    String webhook = create(path, List.of("*"), domain).getString("id");
    // 500, then no answer within postwire.webhooks.timeout (2s in tests), then 200
    receiver.script(
        path,
        n -> n == 0 ? Answer.status(500) : n == 1 ? new Answer(200, null, 4000) : Answer.ok());
    send(domain, "c@example.org");
    await().atMost(Duration.ofSeconds(20)).until(() -> receiver.calls(path).size() >= 4);
    List<Call> calls = receiver.calls(path);
    // the queued event three times, and only then the delivered one
    assertThat(calls.subList(0, 3))
        .extracting(c -> c.json().getString("type"))
        .containsOnly("message.queued");
    assertThat(calls.subList(0, 3)).extracting(Call::id).containsOnly(calls.get(0).id());
    assertThat(calls.get(3).json().getString("type")).isEqualTo("message.delivered");
    await().atMost(Duration.ofSeconds(5)).until(() -> attempts(webhook).size() >= 4);
    List<Map<String, Object>> log = attempts(webhook); // newest first
    Map<String, Object> first = log.get(log.size() - 1);
    assertThat(first.get("status")).isEqualTo("retrying");
    assertThat(first.get("httpStatus")).isEqualTo(500);
    assertThat(first.get("eventId")).isEqualTo(calls.get(0).id());
    assertThat(log.get(log.size() - 2).get("httpStatus")).isNull();
    assertThat(log.get(log.size() - 2).get("status")).isEqualTo("retrying");
    assertThat((Integer) log.get(log.size() - 2).get("durationMs")).isGreaterThanOrEqualTo(1900);
    assertThat(log.get(log.size() - 3).get("status")).isEqualTo("delivered");
  }

  @Test
  void aSlowEndpointGetsAtMostItsShareAndDoesNotHoldUpAnother() {
    String domain = Api.registerDomain();
    String slow = path();
    String fast = path();
    String slowId = create(slow, List.of("message.queued"), domain).getString("id");
    create(fast, List.of("message.queued"), domain);
    receiver.script(slow, n -> new Answer(200, null, 1500));
    for (int i = 0; i < 12; i++) {
      send(domain, "s" + i + "@example.org");
    }
    // twelve recipients, each one event: all could go at once, but per-endpoint (4) holds
    await().atMost(Duration.ofSeconds(3)).until(() -> receiver.calls(fast).size() == 12);
    assertThat(receiver.calls(slow).size()).isLessThan(12);
    // the replica holds the next share under its lease while the first is in flight, no more;
    // the rest stays unleased for any replica
    long leased =
        Db.count(
            pool,
            "select count(*) from webhook_delivery where webhook_id = $1::uuid"
                + " and status = 'pending' and lease_until > now()",
            slowId);
    assertThat(leased).isBetween(1L, 8L);
    await().atMost(Duration.ofSeconds(15)).until(() -> receiver.calls(slow).size() == 12);
    assertThat(receiver.mostAtOnce(slow)).isBetween(2, 4);
    // what was sent leaves the table (its tries stay in the delivery log)
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                Db.count(
                        pool,
                        "select count(*) from webhook_delivery where webhook_id = $1::uuid",
                        slowId)
                    == 0);
    assertThat(
            Db.count(
                pool, "select count(*) from webhook_attempt where webhook_id = $1::uuid", slowId))
        .isEqualTo(12);
  }

  @Test
  void anEndpointThatHangsUntilTheTimeoutHoldsOnlyItsShareWhileAnotherGetsItsEvents() {
    String domain = Api.registerDomain();
    String hung = path();
    String fast = path();
    create(hung, List.of("message.queued"), domain);
    create(fast, List.of("message.queued"), domain);
    // never answers within postwire.webhooks.timeout (2 s in tests): every try ends in a timeout
    receiver.script(hung, n -> new Answer(200, null, 60_000));
    // more events than postwire.webhooks.concurrency (16): without the per-endpoint share the
    // hung endpoint would hold every slot
    int n = 20;
    for (int i = 0; i < n; i++) {
      send(domain, "h" + i + "@example.org");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.calls(fast).size() == n);
    assertThat(receiver.mostAtOnce(hung)).isBetween(1, 4);
    assertThat(receiver.mostAtOnce(fast)).isGreaterThanOrEqualTo(1);
  }

  @Test
  void retryAfterIsHonoured() {
    String domain = Api.registerDomain();
    String path = path();
    create(path, List.of("message.queued"), domain);
    receiver.script(path, n -> n == 0 ? new Answer(503, "2", 0) : Answer.ok());
    send(domain, "d@example.org");
    await().atMost(Duration.ofSeconds(15)).until(() -> receiver.calls(path).size() >= 2);
    List<Call> calls = receiver.calls(path);
    // the schedule says 300 ms in tests; Retry-After said 2 s
    assertThat(calls.get(1).receivedAtMillis() - calls.get(0).receivedAtMillis())
        .isGreaterThanOrEqualTo(1900);
  }

  @Test
  void goneDisablesTheWebhook() {
    String domain = Api.registerDomain();
    String path = path();
    String webhook = create(path, List.of("*"), domain).getString("id");
    receiver.script(path, n -> Answer.status(410));
    send(domain, "e@example.org");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                "disabled"
                    .equals(
                        admin().get("/v1/webhooks/" + webhook).then().extract().path("status")));
    List<Map<String, Object>> log = attempts(webhook);
    assertThat(log).hasSize(1);
    assertThat(log.get(0).get("status")).isEqualTo("disabled");
    assertThat(log.get(0).get("httpStatus")).isEqualTo(410);
    send(domain, "e2@example.org");
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> receiver.calls(path).size() == 1);
    // a replay makes it active again: the endpoint is back
    receiver.script(path, n -> Answer.ok());
    admin()
        .body(Map.of("after", 0))
        .post("/v1/webhooks/" + webhook + "/replay")
        .then()
        .statusCode(202);
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.calls(path).size() >= 5);
    admin().get("/v1/webhooks/" + webhook).then().body("status", equalTo("active"));
  }

  @Test
  void afterTheLastTryTheDeliveryFailsAndCanBeReplayedByIdOrBySeq() {
    String domain = Api.registerDomain();
    String path = path();
    String webhook = create(path, List.of("message.queued"), domain).getString("id");
    receiver.script(path, n -> Answer.status(500));
    send(domain, "f@example.org");
    // one try and the three retries of the test schedule
    await().atMost(Duration.ofSeconds(15)).until(() -> attempts(webhook).size() >= 4);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> receiver.calls(path).size() == 4);
    assertThat(attempts(webhook).get(0).get("status")).isEqualTo("failed");
    String eventId = receiver.calls(path).get(0).id();
    long seq = receiver.calls(path).get(0).json().getLong("seq");

    receiver.script(path, n -> Answer.ok());
    admin()
        .body(Map.of("eventIds", List.of(eventId)))
        .post("/v1/webhooks/" + webhook + "/replay")
        .then()
        .statusCode(202)
        .body("queued", equalTo(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.calls(path).size() == 5);
    assertThat(receiver.calls(path).get(4).id()).isEqualTo(eventId);

    admin()
        .body(Map.of("after", seq - 1))
        .post("/v1/webhooks/" + webhook + "/replay")
        .then()
        .statusCode(202)
        .body("queued", equalTo(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.calls(path).size() == 6);
    assertThat(receiver.calls(path).get(5).id()).isEqualTo(eventId);

    admin().body(Map.of()).post("/v1/webhooks/" + webhook + "/replay").then().statusCode(422);
  }

  @Test
  void afterARotationBothSecretsSign() {
    String domain = Api.registerDomain();
    String path = path();
    JsonPath hook = create(path, List.of("message.queued"), domain);
    String old = hook.getString("secret");
    String webhook = hook.getString("id");
    String fresh =
        admin()
            .post("/v1/webhooks/" + webhook + "/rotate-secret")
            .then()
            .statusCode(200)
            .extract()
            .path("secret");
    assertThat(fresh).startsWith("whsec_").isNotEqualTo(old);
    send(domain, "g@example.org");
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.calls(path).size() >= 1);
    Call call = receiver.calls(path).get(0);
    assertThat(call.signature().split(" ")).hasSize(2);
    assertThat(call.signedWith(old)).isTrue();
    assertThat(call.signedWith(fresh)).isTrue();
  }

  /** Master-key settings: this key and these previous ones. */
  static DkimConfig keys(String master, String... previous) {
    return new DkimConfig() {
      @Override
      public Optional<String> masterKey() {
        return Optional.of(master);
      }

      @Override
      public Optional<List<String>> previousMasterKeys() {
        return previous.length == 0 ? Optional.empty() : Optional.of(List.of(previous));
      }
    };
  }

  @Test
  void aMasterKeyRekeyReSealsTheSecretsSoTheySignOnceTheOldKeyIsGone() {
    String domain = Api.registerDomain();
    String path = path();
    JsonPath hook = create(path, List.of("message.queued"), domain);
    String webhook = hook.getString("id");
    String old = hook.getString("secret");
    String fresh =
        admin()
            .post("/v1/webhooks/" + webhook + "/rotate-secret")
            .then()
            .statusCode(200)
            .extract()
            .path("secret");
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    String newKey = java.util.Base64.getEncoder().encodeToString(raw);
    UUID id = UUID.fromString(webhook);
    byte[] body = "{\"test\":1}".getBytes(StandardCharsets.UTF_8);

    // before the rekey the new master key alone opens neither secret
    WebhookSecrets newOnly = new WebhookSecrets(keys(newKey), pool);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> newOnly.open(id, sealed(id)[0]))
        .isInstanceOf(IllegalArgumentException.class);
    WebhookSecrets rotated = new WebhookSecrets(keys(newKey, masterKey), pool);
    Rekeyed done = rotated.rekey().await().atMost(Duration.ofSeconds(60));
    try {
      assertThat(done.resealed()).isGreaterThanOrEqualTo(2); // this webhook's two secrets
      assertThat(rotated.rekey().await().atMost(Duration.ofSeconds(60)).resealed()).isZero();
      // the old key removed from postwire.dkim.previous-master-keys: both still sign, verifiably
      byte[][] stored = sealed(id);
      for (int i = 0; i < 2; i++) {
        String signature =
            WebhookSecrets.sign(newOnly.open(id, stored[i]), "msg_1", 1_700_000_000L, body);
        String shown = i == 0 ? fresh : old;
        Call call = new Call("msg_1", 1_700_000_000L, signature, "{\"test\":1}", 0);
        assertThat(call.signedWith(shown)).isTrue();
        assertThat(call.signedWith(i == 0 ? old : fresh)).isFalse();
      }
    } finally {
      // the database is shared with the running service, whose master key is the test one: back
      new WebhookSecrets(keys(masterKey, newKey), pool)
          .rekey()
          .await()
          .atMost(Duration.ofSeconds(60));
    }
    // and the running service signs with both again
    send(domain, "k@example.org");
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.calls(path).size() >= 1);
    Call call = receiver.calls(path).get(0);
    assertThat(call.signedWith(fresh)).isTrue();
    assertThat(call.signedWith(old)).isTrue();
  }

  /** The webhook's stored secret and previous secret, as sealed. */
  private byte[][] sealed(UUID id) {
    Row row = Db.rows(pool, "select secret, previous_secret from webhook where id = $1", id).get(0);
    return new byte[][] {
      row.getBuffer("secret").getBytes(), row.getBuffer("previous_secret").getBytes()
    };
  }

  @Test
  void theRekeyEndpointReportsTheWebhookSecretsBesideTheDkimKeys() {
    String domain = Api.registerDomain();
    create(path(), List.of("message.queued"), domain);
    JsonPath report = admin().post("/v1/admin/rekey").then().statusCode(200).extract().jsonPath();
    assertThat(report.getInt("kinds.webhookSecrets.current")).isGreaterThanOrEqualTo(1);
    assertThat(report.getInt("kinds.webhookSecrets.resealed")).isZero();
    assertThat(report.getInt("kinds.dkimKeys.current")).isGreaterThanOrEqualTo(1);
    for (String field : List.of("resealed", "current", "unreadable")) {
      assertThat(report.getInt(field))
          .isEqualTo(
              report.getInt("kinds.webhookSecrets." + field)
                  + report.getInt("kinds.dkimKeys." + field));
    }
  }

  @Test
  void aScopedKeyManagesAndSeesOnlyItsDomains() {
    String mine = Api.registerDomain();
    String other = Api.registerDomain();
    String key = Api.scopedKey(mine);
    String theirs = create(path(), List.of("*"), other).getString("id");
    Api.as(key)
        .body(
            Map.of("url", receiver.url(path()), "events", List.of("*"), "domains", List.of(other)))
        .post("/v1/webhooks")
        .then()
        .statusCode(403);
    Api.as(key)
        .body(Map.of("url", receiver.url(path()), "events", List.of("*")))
        .post("/v1/webhooks")
        .then()
        .statusCode(403);
    String own =
        Api.as(key)
            .body(
                Map.of(
                    "url", receiver.url(path()), "events", List.of("*"), "domains", List.of(mine)))
            .post("/v1/webhooks")
            .then()
            .statusCode(201)
            .extract()
            .path("id");
    Api.as(key).get("/v1/webhooks/" + theirs).then().statusCode(404);
    Api.as(key).delete("/v1/webhooks/" + theirs).then().statusCode(404);
    Api.as(key).post("/v1/webhooks/" + theirs + "/rotate-secret").then().statusCode(404);
    Api.as(key).get("/v1/webhooks/" + theirs + "/deliveries").then().statusCode(404);
    Api.as(key)
        .body(Map.of("after", 0))
        .post("/v1/webhooks/" + theirs + "/replay")
        .then()
        .statusCode(404);
    List<String> listed =
        Api.as(key)
            .get("/v1/webhooks?limit=500")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("items.id");
    assertThat(listed).contains(own).doesNotContain(theirs);

    send(mine, "h@example.org");
    send(other, "h@example.org");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                admin()
                            .get("/v1/events?domain=" + other + "&limit=500")
                            .then()
                            .extract()
                            .jsonPath()
                            .getList("items")
                            .size()
                        >= 2
                    && admin()
                            .get("/v1/events?domain=" + mine + "&limit=500")
                            .then()
                            .extract()
                            .jsonPath()
                            .getList("items")
                            .size()
                        >= 2);
    List<String> seen = new ArrayList<>();
    long after = 0;
    while (true) {
      JsonPath page =
          Api.as(key)
              .get("/v1/events?limit=500&after=" + after)
              .then()
              .statusCode(200)
              .extract()
              .jsonPath();
      List<String> domains = page.getList("items.domain");
      if (domains.isEmpty()) {
        break;
      }
      seen.addAll(domains);
      after = page.getLong("next");
    }
    assertThat(seen).isNotEmpty().containsOnly(mine);
    Api.as(key)
        .get("/v1/events?domain=" + other)
        .then()
        .statusCode(200)
        .body("items.size()", equalTo(0));
    Api.as(key).delete("/v1/webhooks/" + own).then().statusCode(204);
  }

  @Test
  void webhookRequestsAreValidated() {
    String domain = Api.registerDomain();
    admin()
        .body(
            Map.of("url", "ftp://127.0.0.1/x", "events", List.of("*"), "domains", List.of(domain)))
        .post("/v1/webhooks")
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("url"));
    admin()
        .body(
            Map.of("url", "https://10.1.2.3/x", "events", List.of("*"), "domains", List.of(domain)))
        .post("/v1/webhooks")
        .then()
        .statusCode(422)
        .body("errors[0].message", equalTo("destination not allowed by egress policy"));
    admin()
        .body(
            Map.of(
                "url",
                receiver.url("/x"),
                "events",
                List.of("message.nope"),
                "domains",
                List.of(domain)))
        .post("/v1/webhooks")
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("events[0]"));
    admin()
        .body(Map.of("url", receiver.url("/x"), "events", List.of(), "domains", List.of(domain)))
        .post("/v1/webhooks")
        .then()
        .statusCode(422);
    admin().get("/v1/webhooks/not-a-uuid").then().statusCode(404);
    admin().get("/v1/webhooks/" + UUID.randomUUID()).then().statusCode(404);
  }

  @Test
  void metricsCountDeliveriesAndThePendingEvents() {
    String domain = Api.registerDomain();
    String path = path();
    create(path, List.of("message.queued"), domain);
    send(domain, "m@example.org");
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.calls(path).size() >= 1);
    String metrics =
        io.restassured.RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
    assertThat(metrics)
        .contains("postwire_webhook_deliveries_total{outcome=\"delivered\"")
        .contains("postwire_events_pending ")
        .contains("postwire_events_oldest_pending_seconds ");
  }
}
