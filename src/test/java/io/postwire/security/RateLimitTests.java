package io.postwire.security;

import static io.postwire.testing.Api.as;
import static io.postwire.testing.Api.message;
import static io.postwire.testing.Api.registerDomain;
import static io.postwire.testing.Api.scopedKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** postwire.api.rate-limit: each key's sends beyond its rate get 429 and change nothing. */
@QuarkusTest
@TestProfile(RateLimitTests.OneEveryFiveSeconds.class)
class RateLimitTests {

  /** One message every five seconds per key, in bursts of three: slow enough for a busy machine. */
  public static class OneEveryFiveSeconds implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("postwire.api.rate-limit", "0.2", "postwire.api.rate-limit-burst", "3");
    }
  }

  @Inject Pool pool;

  long messagesFrom(String domain) {
    return Db.count(pool, "select count(*) from message where domain = $1", domain);
  }

  static Response send(String key, String domain) {
    return as(key).body(message(domain, "r@example.org")).post("/v1/messages");
  }

  /** Sends the burst of three, each accepted. */
  static void spendTheBurst(String key, String domain) {
    for (int i = 0; i < 3; i++) {
      send(key, domain).then().statusCode(202);
    }
  }

  @Test
  void refusesASendBeyondTheKeysRateWith429AndRetryAfterAndStoresNothing() {
    String domain = registerDomain();
    String key = scopedKey(domain);
    spendTheBurst(key, domain);

    Response refused = send(key, domain);
    refused
        .then()
        .statusCode(429)
        .contentType("application/problem+json")
        .body("code", equalTo("rate_limited"))
        .body("type", equalTo("urn:postwire:problem:rate_limited"))
        .body("status", equalTo(429));
    assertThat(Integer.parseInt(refused.header("Retry-After"))).isBetween(1, 5);
    assertThat(messagesFrom(domain)).isEqualTo(3);

    // a token comes back every five seconds
    await()
        .pollInterval(Duration.ofMillis(250))
        .atMost(Duration.ofSeconds(10))
        .until(() -> send(key, domain).statusCode() == 202);
    assertThat(messagesFrom(domain)).isEqualTo(4);
  }

  @Test
  void anotherKeyKeepsItsOwnRate() {
    String domain = registerDomain();
    String busy = scopedKey(domain);
    String other = scopedKey(domain);
    spendTheBurst(busy, domain);
    send(busy, domain).then().statusCode(429);
    send(other, domain).then().statusCode(202);
  }

  @Test
  void countsTheRefusalsInTheMetrics() {
    String domain = registerDomain();
    String key = scopedKey(domain);
    spendTheBurst(key, domain);
    double before = refusalsCounted();
    send(key, domain).then().statusCode(429);
    assertThat(refusalsCounted()).isEqualTo(before + 1);
  }

  static double refusalsCounted() {
    String metrics = RestAssured.get("/q/metrics").then().extract().asString();
    return metrics
        .lines()
        .filter(l -> l.startsWith("postwire_api_rate_limited_total"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(0);
  }

  @Test
  void aBatchCountsEveryItemAndIsRefusedWhole() {
    String domain = registerDomain();
    String key = scopedKey(domain);
    send(key, domain).then().statusCode(202);
    List<Map<String, Object>> three =
        List.of(
            message(domain, "a@example.org"),
            message(domain, "b@example.org"),
            message(domain, "c@example.org"));

    as(key)
        .body(three)
        .post("/v1/messages/batch")
        .then()
        .statusCode(429)
        .body("code", equalTo("rate_limited"));
    assertThat(messagesFrom(domain)).isEqualTo(1);
  }

  @Test
  void rawSendsAreCountedToo() {
    String domain = registerDomain();
    String key = scopedKey(domain);
    String raw = "From: s@" + domain + "\nTo: r@example.org\nSubject: raw\n\nbody\n";
    for (int i = 0; i < 3; i++) {
      as(key)
          .body(Api.rawMessage("s@" + domain, "r@example.org", raw))
          .post("/v1/messages/raw")
          .then()
          .statusCode(202);
    }
    as(key)
        .body(Api.rawMessage("s@" + domain, "r@example.org", raw))
        .post("/v1/messages/raw")
        .then()
        .statusCode(429);
    assertThat(messagesFrom(domain)).isEqualTo(3);
  }
}
