package io.postwire.analytics;

import static io.postwire.analytics.AnalyticsProfile.OTHER;
import static io.postwire.analytics.StatsFixture.awaitTotals;
import static io.postwire.analytics.StatsFixture.count;
import static io.postwire.analytics.StatsFixture.event;
import static io.postwire.analytics.StatsFixture.send;
import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reputation guard with the profile's limits (10 recipients, bounce rate above 0.2, complaint
 * rate above 0.1): it pauses just past a limit and not at it, never below the minimum volume; a
 * pause refuses sends, holds queued deliveries, shows in the domain, the events, the wellness check
 * and the metrics; a resume clears it for good on the same data.
 */
@QuarkusTest
@TestProfile(AnalyticsProfile.class)
class ReputationGuardTests {

  @Inject Pool pool;

  String domain;

  @BeforeEach
  void register() {
    domain = Api.registerDomain();
  }

  @AfterEach
  void remove() {
    // a paused domain would keep the wellness check DOWN for the tests after this one
    admin().delete("/v1/domains/" + domain);
  }

  private static List<String> recipients(int n) {
    List<String> to = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      to.add("r" + i + "-" + UUID.randomUUID().toString().substring(0, 6) + "@" + OTHER);
    }
    return to;
  }

  private Object paused() {
    return admin()
        .get("/v1/domains/" + domain)
        .then()
        .statusCode(200)
        .extract()
        .path("sendingPaused");
  }

  private void awaitPaused() {
    await().atMost(Duration.ofSeconds(20)).until(() -> paused() != null);
  }

  private void events(UUID message, List<String> to, int n, String type) {
    for (int i = 0; i < n; i++) {
      event(pool, message, to.get(i), type, "{\"bounceCategory\":\"invalid_recipient\"}");
    }
  }

  @Test
  void pausesOnceTheBounceRateExceedsTheLimitAndNotAtIt() {
    List<String> to = recipients(10);
    UUID m = send(domain, to, List.of());
    events(m, to, 2, "bounced");
    awaitTotals(domain, "hour", null, t -> count(t, "all", "bounced") == 2);
    // 2 of 10 is the limit itself: not exceeded
    assertThat(paused()).isNull();

    event(pool, m, to.get(2), "bounced", "{}");
    awaitPaused();
    Map<String, Object> pause =
        admin().get("/v1/domains/" + domain).then().extract().path("sendingPaused");
    assertThat((String) pause.get("reason")).contains("bounce rate 0.3000").contains("3 of 10");
    assertThat(Instant.parse((String) pause.get("since"))).isBefore(Instant.now().plusSeconds(1));

    JsonPath events =
        admin()
            .get("/v1/events?types=domain.paused&domain=" + domain)
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(events.getList("items")).hasSize(1);
    assertThat(events.getString("items[0].type")).isEqualTo("domain.paused");
    assertThat(events.getString("items[0].domain")).isEqualTo(domain);
    assertThat(events.getString("items[0].messageId")).isNull();
    assertThat(events.getString("items[0].recipient")).isNull();
    assertThat(events.getString("items[0].detail.reason")).contains("bounce rate");

    given()
        .get("/q/health/well")
        .then()
        .statusCode(503)
        .body("checks.find { it.name == 'sending-paused' }.status", equalTo("DOWN"))
        .body(
            "checks.find { it.name == 'sending-paused' }.data." + '"' + domain + '"',
            org.hamcrest.Matchers.containsString("bounce rate"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                given()
                    .get("/q/metrics")
                    .asString()
                    .contains("postwire_domain_sending_paused{domain=\"" + domain + "\"} 1.0"));
    assertThat(given().get("/q/metrics").asString())
        .contains("postwire_domain_bounce_rate{domain=\"" + domain + "\"} 0.3");
  }

  @Test
  void neverPausesBelowTheMinimumVolume() {
    List<String> to = recipients(9);
    UUID m = send(domain, to, List.of());
    events(m, to, 9, "bounced");
    awaitTotals(domain, "hour", null, t -> count(t, "all", "bounced") == 9);
    assertThat(paused()).isNull();
  }

  @Test
  void pausesOnceTheComplaintRateExceedsTheLimit() {
    List<String> to = recipients(10);
    UUID m = send(domain, to, List.of());
    event(pool, m, to.get(0), "complained", "{}");
    awaitTotals(domain, "hour", null, t -> count(t, "all", "complained") == 1);
    assertThat(paused()).isNull();
    event(pool, m, to.get(1), "complained", "{}");
    awaitPaused();
    assertThat(
            (String)
                admin().get("/v1/domains/" + domain).then().extract().path("sendingPaused.reason"))
        .contains("complaint rate 0.2000");
  }

  @Test
  void aPausedDomainIsRefusedItsDeliveriesWaitAndAResumeLetsThemGo() {
    List<String> to = recipients(10);
    UUID m = send(domain, to, List.of());
    // queued before the pause, due two seconds later
    String waiting = "w-" + UUID.randomUUID().toString().substring(0, 6) + "@" + OTHER;
    String held =
        admin()
            .body(
                Map.of(
                    "from",
                    "a@" + domain,
                    "to",
                    List.of(waiting),
                    "text",
                    "x",
                    "sendAt",
                    Instant.now().plusSeconds(2).toString()))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    events(m, to, 10, "bounced");
    awaitPaused();

    admin()
        .body(Map.of("from", "a@" + domain, "to", List.of("x@" + OTHER), "text", "x"))
        .post("/v1/messages")
        .then()
        .statusCode(403)
        .body("code", equalTo("sending_paused"));
    admin()
        .body(Api.rawMessage("b@" + domain, "x@" + OTHER, "From: a@" + domain + "\n\nHi\n"))
        .post("/v1/messages/raw")
        .then()
        .statusCode(403)
        .body("code", equalTo("sending_paused"));
    admin()
        .body(List.of(Map.of("from", "a@" + domain, "to", List.of("x@" + OTHER), "text", "x")))
        .post("/v1/messages/batch")
        .then()
        .statusCode(200)
        .body("[0].error.code", equalTo("sending_paused"));

    // past its sendAt, the held recipient is neither attempted nor expired
    await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6)).until(() -> true);
    assertThat(
            Db.rows(
                    pool,
                    "select status, attempts from delivery where message_id = $1",
                    UUID.fromString(held))
                .get(0)
                .getString("status"))
        .isEqualTo("queued");
    assertThat(
            Db.count(
                pool,
                "select attempts::bigint from delivery where message_id = $1",
                UUID.fromString(held)))
        .isZero();

    String scoped = Api.scopedKey(domain);
    as(scoped).post("/v1/domains/" + domain + "/resume").then().statusCode(403);
    admin()
        .post("/v1/domains/" + domain + "/resume")
        .then()
        .statusCode(200)
        .body("name", equalTo(domain))
        .body("sendingPaused", nullValue());
    admin().post("/v1/domains/nope-" + domain + "/resume").then().statusCode(404);

    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                "delivered"
                    .equals(
                        admin()
                            .get("/v1/messages/" + held)
                            .then()
                            .extract()
                            .path("recipients[0].status")));

    // the window counts from the resume: 10 more sent, and the 10 bounces of 21 that paused it
    // (well over the limit) do not pause it again
    send(domain, recipients(10), List.of());
    awaitTotals(domain, "hour", null, t -> count(t, "all", "sent") == 21);
    assertThat(paused()).isNull();
  }
}
