package io.postwire.message;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.postwire.testing.Api.registerDomain;
import static io.postwire.testing.Api.scopedKey;
import static io.postwire.testing.Api.uniqueDomain;
import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.platform.ProblemMapper;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The enqueue rules are one set: a single send, a batch item, a raw send and a raw submission (as
 * an SMTP front hands it over) refuse and accept the same cases, with the same status and code.
 */
@QuarkusTest
class EnqueueRulesTests {

  @Inject RawSends messages;

  @Inject Pool pool;

  String domain;
  String other;
  String scoped;

  @BeforeEach
  void registerSenders() {
    domain = registerDomain();
    other = registerDomain();
    scoped = scopedKey(domain);
  }

  /** The four ways a message gets in. */
  enum Way {
    SINGLE,
    BATCH,
    RAW,
    SUBMISSION
  }

  @Test
  void aRegisteredDomainInScopeIsQueued() {
    String to = fresh();
    assertEveryWay(null, domain, List.of(to), "queued [queued]");
    assertEveryWay(scoped, domain, List.of(to), "queued [queued]");
  }

  @Test
  void anUnregisteredDomainIsRefusedBeforeTheScope() {
    String unregistered = uniqueDomain();
    assertEveryWay(null, unregistered, List.of(fresh()), "422 unknown_sender_domain");
    assertEveryWay(scoped, unregistered, List.of(fresh()), "422 unknown_sender_domain");
  }

  @Test
  void aRegisteredDomainOutsideTheKeysScopeIsForbidden() {
    assertEveryWay(scoped, other, List.of(fresh()), "403 forbidden_sender_domain");
  }

  @Test
  void suppressedRecipientsAreHeldAndAMessageWithNoOtherIsRefused() {
    String gone = fresh();
    suppress(gone, null);
    String ok = fresh();
    assertEveryWay(null, domain, List.of(ok, gone), "queued [queued, suppressed]");
    assertEveryWay(scoped, domain, List.of(gone), "422 recipient_suppressed");
  }

  @Test
  void aSuppressionForOneDomainHoldsOnlyThatDomainsSends() {
    String unsubscribed = fresh();
    suppress(unsubscribed, other);
    assertEveryWay(null, domain, List.of(unsubscribed), "queued [queued]");
    assertEveryWay(null, other, List.of(unsubscribed), "422 recipient_suppressed");
  }

  @Test
  void aDomainPausedByTheReputationGuardIsRefusedEveryWayBeforeSuppressions() {
    String gone = fresh();
    suppress(gone, null);
    Db.exec(
        pool,
        "update domain set sending_paused_since = now(), sending_paused_reason = 'test'"
            + " where name = $1",
        domain);
    try {
      assertEveryWay(null, domain, List.of(fresh()), "403 sending_paused");
      assertEveryWay(scoped, domain, List.of(fresh()), "403 sending_paused");
      assertEveryWay(null, domain, List.of(gone), "403 sending_paused");
      // another domain still sends
      assertEveryWay(null, other, List.of(fresh()), "queued [queued]");
    } finally {
      Db.exec(
          pool,
          "update domain set sending_paused_since = null, sending_paused_reason = null"
              + " where name = $1",
          domain);
    }
  }

  @Test
  void aSubmissionOverTheSizeLimitIsRefusedAsTooLarge() {
    byte[] huge = new byte[11 * 1024 * 1024];
    Arrays.fill(huge, (byte) 'x');
    ApiPrincipal admin = new ApiPrincipal(ApiPrincipal.BOOTSTRAP_ID, "admin", true, Set.of());
    Assertions.assertThatThrownBy(
            () ->
                messages
                    .submitRaw(admin, "bounce@" + domain, List.of(fresh()), huge)
                    .await()
                    .atMost(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(
            Refusal.class,
            e -> {
              assertThat(e.kind()).isEqualTo(Refusal.Kind.TOO_LARGE);
              assertThat(e.code()).isEqualTo("payload_too_large");
            });
  }

  private void assertEveryWay(String key, String from, List<String> to, String expected) {
    Map<Way, String> outcomes = new HashMap<>();
    for (Way way : Way.values()) {
      outcomes.put(way, send(way, key, from, to));
    }
    assertThat(outcomes)
        .as("%s sending as %s to %s", key == null ? "admin" : "scoped key", from, to)
        .containsOnlyKeys(Way.values())
        .allSatisfy((way, outcome) -> assertThat(outcome).as(way.name()).isEqualTo(expected));
  }

  /** "queued [recipient statuses]", or "status code" of the refusal. */
  private String send(Way way, String key, String from, List<String> to) {
    String rfc5322 =
        "From: a@" + from + "\r\nTo: " + to.get(0) + "\r\nSubject: rules\r\n\r\nHello\r\n";
    Map<String, Object> single = Map.of("from", "a@" + from, "to", to, "text", "Hello");
    Map<String, Object> raw =
        Map.of(
            "mailFrom",
            "bounce@" + from,
            "rcptTo",
            to,
            "raw",
            Base64.getEncoder().encodeToString(rfc5322.getBytes(StandardCharsets.UTF_8)));
    switch (way) {
      case SINGLE -> {
        return answer(caller(key).body(single).post("/v1/messages"));
      }
      case RAW -> {
        return answer(caller(key).body(raw).post("/v1/messages/raw"));
      }
      case BATCH -> {
        Response r = caller(key).body(List.of(single)).post("/v1/messages/batch");
        assertThat(r.statusCode()).isEqualTo(200);
        return "queued".equals(r.path("[0].status"))
            ? "queued " + r.path("[0].recipients.status")
            : r.path("[0].error.status") + " " + r.path("[0].error.code");
      }
      default -> {
        ApiPrincipal caller =
            key == null
                ? new ApiPrincipal(ApiPrincipal.BOOTSTRAP_ID, "admin", true, Set.of())
                : new ApiPrincipal(UUID.randomUUID(), "scoped", false, Set.of(domain));
        try {
          MessageViews.Accepted accepted =
              messages
                  .submitRaw(
                      caller, "bounce@" + from, to, rfc5322.getBytes(StandardCharsets.US_ASCII))
                  .await()
                  .atMost(Duration.ofSeconds(30));
          List<String> statuses = new ArrayList<>();
          accepted.recipients().forEach(r -> statuses.add(r.status()));
          return "queued " + statuses;
        } catch (Refusal e) {
          return ProblemMapper.status(e.kind()) + " " + e.code();
        }
      }
    }
  }

  private static String answer(Response r) {
    return r.statusCode() == 202
        ? "queued " + r.path("recipients.status")
        : r.statusCode() + " " + r.path("code");
  }

  private static RequestSpecification caller(String key) {
    return key == null ? admin() : as(key);
  }

  private static void suppress(String address, String forDomain) {
    Map<String, Object> body = new HashMap<>();
    body.put("reason", "manual");
    if (forDomain != null) {
      body.put("domain", forDomain);
    }
    admin().body(body).put("/v1/suppressions/" + address).then().statusCode(200);
  }

  private static String fresh() {
    return "r" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
  }
}
