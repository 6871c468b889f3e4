package io.postwire.analytics;

import static io.postwire.analytics.AnalyticsProfile.APPLE;
import static io.postwire.analytics.AnalyticsProfile.GMAIL;
import static io.postwire.analytics.AnalyticsProfile.MICROSOFT;
import static io.postwire.analytics.AnalyticsProfile.OTHER;
import static io.postwire.analytics.StatsFixture.awaitTotals;
import static io.postwire.analytics.StatsFixture.count;
import static io.postwire.analytics.StatsFixture.event;
import static io.postwire.analytics.StatsFixture.send;
import static io.postwire.analytics.StatsFixture.totals;
import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/stats} counts what a test sent and what happened to it, per grouping, from the
 * rollups; CSV; scoped keys; refused parameters.
 */
@QuarkusTest
@TestProfile(AnalyticsProfile.class)
class StatsTests {

  @Inject Pool pool;

  String domain;

  @BeforeEach
  void register() {
    domain = Api.registerDomain();
  }

  @AfterEach
  void remove() {
    admin().delete("/v1/domains/" + domain);
  }

  private static String rcpt(String recipientDomain) {
    return "r" + UUID.randomUUID().toString().substring(0, 8) + "@" + recipientDomain;
  }

  /**
   * Three messages to four recipients at four providers, then what asynchronous writers add: a hard
   * bounce, a complaint, two human opens of one recipient and a machine open of another, a click.
   * Every grouping shows exactly that.
   */
  @Test
  void statsEqualWhatWasSentAndWhatHappenedPerGrouping() {
    String g1 = rcpt(GMAIL);
    String g2 = rcpt(GMAIL);
    String ms = rcpt(MICROSOFT);
    String other = rcpt(OTHER);
    String apple = rcpt(APPLE);
    UUID m1 = send(domain, List.of(g1, g2), List.of("news"));
    UUID m2 = send(domain, List.of(ms, apple), List.of("news", "promo"));
    UUID m3 = send(domain, List.of(other), List.of());
    // sandbox mode delivers all five
    awaitTotals(domain, "hour", null, t -> count(t, "all", "delivered") == 5);

    event(pool, m3, other, "bounced", "{\"bounceCategory\":\"invalid_recipient\"}");
    event(pool, m2, apple, "bounced", "{\"bounceCategory\":\"quota\"}");
    event(pool, m1, g1, "complained", "{}");
    event(pool, m1, g1, "opened", "{}");
    event(pool, m1, g1, "opened", "{}");
    event(pool, m1, g2, "opened", "{\"machine\":true}");
    event(pool, m2, ms, "clicked", "{\"url\":\"https://example.org/\"}");
    event(pool, m2, ms, "unsubscribed", "{}");

    Map<String, Map<String, Number>> all =
        awaitTotals(domain, "hour", null, t -> count(t, "all", "unsubscribed") == 1);
    assertThat(all.get("all"))
        .containsEntry("sent", 5L)
        .containsEntry("delivered", 5L)
        .containsEntry("deferred", 0L)
        .containsEntry("bounced", 2L)
        .containsEntry("hardBounced", 1L)
        .containsEntry("complained", 1L)
        .containsEntry("unsubscribed", 1L)
        .containsEntry("opened", 3L)
        .containsEntry("uniqueOpened", 1L)
        .containsEntry("clicked", 1L)
        .containsEntry("uniqueClicked", 1L);

    Map<String, Map<String, Number>> byProvider = totals(admin(), domain, "hour", "provider");
    assertThat(byProvider).containsOnlyKeys("gmail", "microsoft", "apple", "other");
    assertThat(byProvider.get("gmail"))
        .containsEntry("sent", 2L)
        .containsEntry("complained", 1L)
        .containsEntry("opened", 3L)
        .containsEntry("uniqueOpened", 1L);
    assertThat(byProvider.get("microsoft"))
        .containsEntry("sent", 1L)
        .containsEntry("clicked", 1L)
        .containsEntry("uniqueClicked", 1L)
        .containsEntry("unsubscribed", 1L);
    assertThat(byProvider.get("apple"))
        .containsEntry("bounced", 1L)
        .containsEntry("hardBounced", 0L);
    assertThat(byProvider.get("other"))
        .containsEntry("sent", 1L)
        .containsEntry("bounced", 1L)
        .containsEntry("hardBounced", 1L);

    Map<String, Map<String, Number>> byRecipientDomain =
        totals(admin(), domain, "hour", "recipientDomain");
    assertThat(byRecipientDomain).containsOnlyKeys(GMAIL, MICROSOFT, APPLE, OTHER);
    assertThat(count(byRecipientDomain, GMAIL, "sent")).isEqualTo(2);
    assertThat(count(byRecipientDomain, OTHER, "hardBounced")).isEqualTo(1);

    Map<String, Map<String, Number>> byTag = totals(admin(), domain, "hour", "tag");
    assertThat(byTag).containsOnlyKeys("news", "promo");
    assertThat(count(byTag, "news", "sent")).isEqualTo(4);
    assertThat(count(byTag, "promo", "sent")).isEqualTo(2);
    assertThat(count(byTag, "promo", "clicked")).isEqualTo(1);

    Map<String, Map<String, Number>> byDay = totals(admin(), domain, "day", "provider");
    assertThat(byDay).isEqualTo(byProvider);
  }

  @Test
  void bucketsStartOnTheHourOrTheDayAndRatesAreFractionsOfSent() {
    String to = rcpt(OTHER);
    UUID m = send(domain, List.of(to, rcpt(OTHER), rcpt(OTHER), rcpt(OTHER)), List.of());
    event(pool, m, to, "bounced", "{}");
    awaitTotals(
        domain, "hour", null, t -> count(t, "all", "bounced") == 1 && count(t, "all", "sent") == 4);
    Instant now = Instant.now();
    List<Map<String, Object>> hours =
        admin()
            .get("/v1/stats?domain=" + domain + "&interval=hour")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("items");
    assertThat(hours).isNotEmpty();
    for (Map<String, Object> item : hours) {
      Instant start = Instant.parse((String) item.get("start"));
      assertThat(start).isEqualTo(start.truncatedTo(ChronoUnit.HOURS)).isBeforeOrEqualTo(now);
      assertThat(item.get("domain")).isEqualTo(domain);
    }
    Map<String, Object> day =
        admin()
            .get(
                "/v1/stats?domain="
                    + domain
                    + "&interval=day&from="
                    + now.minus(1, ChronoUnit.DAYS))
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getMap("items.find { it.sent == 4 }");
    assertThat(day).isNotNull();
    assertThat(Instant.parse((String) day.get("start")))
        .isEqualTo(Instant.parse((String) day.get("start")).truncatedTo(ChronoUnit.DAYS));
    assertThat(((Number) day.get("bounceRate")).doubleValue()).isEqualTo(0.25);
    assertThat(((Number) day.get("complaintRate")).doubleValue()).isEqualTo(0.0);
  }

  /**
   * A recipient domain whose DNS does not answer counts as other for now and is not stored, so it
   * is looked up again later; a resolved one is stored.
   */
  @Test
  void aTemporaryDnsFailureCountsAsOtherAndIsNotKept() {
    send(domain, List.of(rcpt(AnalyticsProfile.SLOW), rcpt(GMAIL)), List.of());
    Map<String, Map<String, Number>> byProvider =
        awaitTotals(domain, "hour", "provider", t -> count(t, "other", "sent") == 1);
    assertThat(count(byProvider, "gmail", "sent")).isEqualTo(1);
    assertThat(
            Db.count(
                pool,
                "select count(*) from recipient_provider where domain = $1",
                AnalyticsProfile.SLOW))
        .isZero();
    assertThat(
            Db.rows(pool, "select provider from recipient_provider where domain = $1", GMAIL)
                .get(0)
                .getString("provider"))
        .isEqualTo("gmail");
  }

  @Test
  void csvHasAHeaderRowAndQuotesWhatNeedsIt() {
    String tag = "spring, \"sale\"";
    send(domain, List.of(rcpt(GMAIL)), List.of(tag));
    awaitTotals(domain, "hour", "tag", t -> count(t, tag, "sent") == 1);
    String csv =
        admin()
            .accept("text/csv")
            .get("/v1/stats?domain=" + domain + "&groupBy=tag&interval=day")
            .then()
            .statusCode(200)
            .contentType(startsWith("text/csv"))
            .extract()
            .asString();
    String[] lines = csv.split("\r\n");
    assertThat(lines[0])
        .isEqualTo(
            "start,domain,tag,sent,delivered,deferred,bounced,hardBounced,complained,"
                + "unsubscribed,opened,uniqueOpened,clicked,uniqueClicked,deliveryRate,"
                + "bounceRate,complaintRate");
    assertThat(lines).hasSize(2);
    assertThat(lines[1]).contains("," + domain + ",\"spring, \"\"sale\"\"\",1,");
  }

  @Test
  void aScopedKeySeesOnlyItsDomains() {
    String mine = domain;
    String theirs = Api.registerDomain();
    try {
      send(mine, List.of(rcpt(OTHER)), List.of());
      send(theirs, List.of(rcpt(OTHER)), List.of());
      awaitTotals(theirs, "hour", null, t -> count(t, "all", "sent") == 1);
      awaitTotals(mine, "hour", null, t -> count(t, "all", "sent") == 1);
      String key = Api.scopedKey(mine);

      List<String> seen =
          as(key)
              .get("/v1/stats?interval=day")
              .then()
              .statusCode(200)
              .extract()
              .jsonPath()
              .getList("items.domain");
      assertThat(seen).containsOnly(mine);
      as(key)
          .get("/v1/stats?domain=" + theirs)
          .then()
          .statusCode(403)
          .body("code", equalTo("forbidden"));
      assertThat(
              admin()
                  .get("/v1/stats?interval=day")
                  .jsonPath()
                  .getList("items.domain", String.class))
          .contains(mine, theirs);
    } finally {
      admin().delete("/v1/domains/" + theirs);
    }
  }

  @Test
  void badParametersAre422ProblemsNamingTheField() {
    Map<String, String> bad =
        Map.of(
            "interval=week", "interval",
            "groupBy=country", "groupBy",
            "from=yesterday", "from",
            "to=2026-13-01T00:00:00Z", "to",
            "from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "from",
            "from=2020-01-01T00:00:00Z&to=2021-06-01T00:00:00Z&interval=hour", "from",
            "limit=0", "limit",
            "after=-3", "after",
            "domain=not_a_domain!", "domain");
    bad.forEach(
        (query, field) ->
            admin()
                .get("/v1/stats?" + query)
                .then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("code", equalTo("validation_failed"))
                .body("errors[0].field", equalTo(field)));
  }

  @Test
  void pagesAreBoundedAndFollowTheirCursor() {
    send(domain, List.of(rcpt(GMAIL), rcpt(MICROSOFT), rcpt(APPLE)), List.of());
    awaitTotals(domain, "hour", "provider", t -> t.size() == 3);
    var first =
        admin()
            .get("/v1/stats?domain=" + domain + "&groupBy=provider&interval=day&limit=2")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(first.getList("items")).hasSize(2);
    String next = first.getString("next");
    assertThat(next).isNotNull();
    var second =
        admin()
            .get(
                "/v1/stats?domain="
                    + domain
                    + "&groupBy=provider&interval=day&limit=2&after="
                    + next)
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(second.getList("items")).hasSize(1);
    assertThat(second.getString("next")).isNull();
  }
}
