package io.postwire.reliability;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.postwire.testing.Api.message;
import static io.postwire.testing.Api.registerDomain;
import static io.postwire.testing.Api.scopedKey;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The access matrix of API.md "Conventions": authentication before anything else, domain scopes,
 * admin-only operations, and key deletion taking effect (within the key cache TTL, here 300 ms).
 */
@QuarkusTest
@TestProfile(ReliabilityProfile.class)
class AccessMatrixTests {

  @Inject Pool pool;

  String domainA;
  String domainB;
  String keyA;
  String messageB;

  /** One call of the API: its name for failure messages and how to make it with a request. */
  record Call(String name, Function<RequestSpecification, Response> invoke) {}

  @BeforeEach
  void twoDomainsAndAScopedKey() {
    domainA = registerDomain();
    domainB = registerDomain();
    keyA = scopedKey(domainA);
    messageB =
        admin()
            .body(message(domainB, "bob@example.org"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
  }

  /** Every /v1 endpoint, with a body valid enough that only authentication could refuse it. */
  List<Call> everyEndpoint() {
    String raw =
        Base64.getEncoder()
            .encodeToString(
                ("From: a@" + domainA + "\r\nTo: b@example.org\r\nSubject: x\r\n\r\nbody\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
    List<Call> calls = new ArrayList<>();
    calls.add(
        new Call(
            "POST /v1/messages",
            r -> r.body(message(domainA, "b@example.org")).post("/v1/messages")));
    calls.add(
        new Call(
            "POST /v1/messages/batch",
            r -> r.body(List.of(message(domainA, "b@example.org"))).post("/v1/messages/batch")));
    calls.add(
        new Call(
            "POST /v1/messages/raw",
            r ->
                r.body(
                        Map.of(
                            "mailFrom",
                            "a@" + domainA,
                            "rcptTo",
                            List.of("b@example.org"),
                            "raw",
                            raw))
                    .post("/v1/messages/raw")));
    calls.add(new Call("GET /v1/messages/{id}", r -> r.get("/v1/messages/" + messageB)));
    calls.add(
        new Call("GET /v1/messages/{id}/raw", r -> r.get("/v1/messages/" + messageB + "/raw")));
    calls.add(new Call("GET /v1/messages", r -> r.get("/v1/messages")));
    calls.add(new Call("DELETE /v1/messages/{id}", r -> r.delete("/v1/messages/" + messageB)));
    calls.add(
        new Call(
            "POST /v1/domains", r -> r.body(Map.of("name", "x" + domainA)).post("/v1/domains")));
    calls.add(new Call("GET /v1/domains", r -> r.get("/v1/domains")));
    calls.add(new Call("GET /v1/domains/{name}", r -> r.get("/v1/domains/" + domainA)));
    calls.add(new Call("DELETE /v1/domains/{name}", r -> r.delete("/v1/domains/" + domainA)));
    calls.add(
        new Call(
            "POST /v1/domains/{name}/dkim-keys",
            r ->
                r.body(Map.of("algorithm", "ed25519-sha256"))
                    .post("/v1/domains/" + domainA + "/dkim-keys")));
    calls.add(
        new Call("GET /v1/domains/{name}/audit", r -> r.get("/v1/domains/" + domainA + "/audit")));
    calls.add(
        new Call(
            "POST /v1/domains/{name}/audit",
            r -> r.body("{}").post("/v1/domains/" + domainA + "/audit")));
    calls.add(
        new Call(
            "POST /v1/api-keys",
            r -> r.body(Map.of("name", "n", "domains", List.of(domainA))).post("/v1/api-keys")));
    calls.add(new Call("GET /v1/api-keys", r -> r.get("/v1/api-keys")));
    calls.add(
        new Call("DELETE /v1/api-keys/{id}", r -> r.delete("/v1/api-keys/" + UUID.randomUUID())));
    calls.add(new Call("GET /v1/suppressions", r -> r.get("/v1/suppressions")));
    calls.add(
        new Call("GET /v1/suppressions/{address}", r -> r.get("/v1/suppressions/x@example.org")));
    calls.add(
        new Call(
            "PUT /v1/suppressions/{address}",
            r -> r.body(Map.of("reason", "manual")).put("/v1/suppressions/x@example.org")));
    calls.add(
        new Call(
            "DELETE /v1/suppressions/{address}", r -> r.delete("/v1/suppressions/x@example.org")));
    calls.add(
        new Call(
            "POST /v1/tools/spf",
            r ->
                r.body(Map.of("ip", "192.0.2.10", "sender", "a@" + domainA))
                    .post("/v1/tools/spf")));
    return calls;
  }

  long storedRows() {
    return Db.count(
        pool,
        """
        select (select count(*) from message) + (select count(*) from delivery)
        + (select count(*) from idempotency_key) + (select count(*) from domain)
        + (select count(*) from api_key)""");
  }

  static void assertProblem(Response response, String call, int status, String code) {
    assertThat(response.statusCode()).as(call + " status").isEqualTo(status);
    assertThat(response.contentType())
        .as(call + " content type")
        .startsWith("application/problem+json");
    assertThat(response.jsonPath().getString("code")).as(call + " code").isEqualTo(code);
    assertThat(response.jsonPath().getInt("status")).as(call + " problem status").isEqualTo(status);
  }

  @Test
  void everyEndpointRefusesAMissingKeyWith401() {
    long before = storedRows();
    for (Call call : everyEndpoint()) {
      Response response = call.invoke().apply(given().contentType(ContentType.JSON));
      assertProblem(response, call.name(), 401, "unauthorized");
    }
    assertThat(storedRows()).isEqualTo(before);
  }

  @Test
  void everyEndpointRefusesAnUnknownKeyWith401() {
    long before = storedRows();
    for (String bad : List.of("pw_unknown_" + UUID.randomUUID(), "", "x".repeat(5000))) {
      for (Call call : everyEndpoint()) {
        Response response = call.invoke().apply(as(bad));
        assertProblem(
            response, call.name() + " with key of length " + bad.length(), 401, "unauthorized");
      }
    }
    for (String scheme : List.of("Basic " + BASIC_CREDENTIALS, "bearer", "Token " + Api.ADMIN)) {
      Response response =
          given().header("Authorization", scheme).contentType(ContentType.JSON).get("/v1/domains");
      assertProblem(response, "GET /v1/domains with Authorization: " + scheme, 401, "unauthorized");
    }
    assertThat(storedRows()).isEqualTo(before);
  }

  static final String BASIC_CREDENTIALS =
      Base64.getEncoder().encodeToString(("x:" + Api.ADMIN).getBytes(StandardCharsets.UTF_8));

  @Test
  void aScopedKeyCannotSendAsAnotherRegisteredDomain() {
    long before = storedRows();
    assertProblem(
        as(keyA).body(message(domainB, "b@example.org")).post("/v1/messages"),
        "POST /v1/messages as B",
        403,
        "forbidden_sender_domain");
    String raw =
        Base64.getEncoder()
            .encodeToString(
                ("From: a@" + domainB + "\r\nTo: b@example.org\r\nSubject: x\r\n\r\nbody\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
    assertProblem(
        as(keyA)
            .body(
                Map.of("mailFrom", "a@" + domainB, "rcptTo", List.of("b@example.org"), "raw", raw))
            .post("/v1/messages/raw"),
        "POST /v1/messages/raw as B",
        403,
        "forbidden_sender_domain");
    // the envelope in scope but the From header not: still refused
    assertProblem(
        as(keyA)
            .body(
                Map.of("mailFrom", "a@" + domainA, "rcptTo", List.of("b@example.org"), "raw", raw))
            .post("/v1/messages/raw"),
        "POST /v1/messages/raw with From: B",
        403,
        "forbidden_sender_domain");
    as(keyA)
        .body(List.of(message(domainB, "b@example.org")))
        .post("/v1/messages/batch")
        .then()
        .statusCode(200)
        .body("[0].status", equalTo("rejected"))
        .body("[0].error.code", equalTo("forbidden_sender_domain"));
    assertThat(storedRows()).isEqualTo(before);
    // its own domain works
    as(keyA).body(message(domainA, "b@example.org")).post("/v1/messages").then().statusCode(202);
  }

  @Test
  void anotherDomainsMessagesAreInvisibleToAScopedKey() {
    assertProblem(as(keyA).get("/v1/messages/" + messageB), "GET B's message", 404, "not_found");
    assertProblem(
        as(keyA).get("/v1/messages/" + messageB + "/raw"), "GET B's raw message", 404, "not_found");
    assertProblem(
        as(keyA).delete("/v1/messages/" + messageB), "DELETE B's message", 404, "not_found");
    List<String> listed =
        as(keyA).get("/v1/messages?limit=500").then().statusCode(200).extract().path("items.id");
    assertThat(listed).doesNotContain(messageB);
    // the message was not cancelled by the refused call
    assertThat(
            Db.count(
                pool,
                "select count(*) from delivery where message_id = $1::uuid and status = 'failed'",
                messageB))
        .isZero();
    admin().get("/v1/messages/" + messageB).then().statusCode(200);
  }

  @Test
  void anotherDomainItselfItsKeysAndAuditAreInvisibleToAScopedKey() {
    assertProblem(as(keyA).get("/v1/domains/" + domainB), "GET domain B", 404, "not_found");
    assertProblem(
        as(keyA).get("/v1/domains/" + domainB + "/audit"), "GET B's audit", 404, "not_found");
    assertProblem(
        as(keyA).body("{}").post("/v1/domains/" + domainB + "/audit"),
        "POST B's audit",
        404,
        "not_found");
    List<String> names =
        as(keyA).get("/v1/domains?limit=500").then().statusCode(200).extract().path("items.name");
    assertThat(names).containsExactly(domainA);
    long keysOfB = Db.count(pool, "select count(*) from dkim_key where domain = $1", domainB);
    Response rotate =
        as(keyA)
            .body(Map.of("algorithm", "ed25519-sha256"))
            .post("/v1/domains/" + domainB + "/dkim-keys");
    assertThat(rotate.statusCode()).as("rotating B's key").isIn(403, 404);
    assertThat(rotate.contentType()).startsWith("application/problem+json");
    assertThat(Db.count(pool, "select count(*) from dkim_key where domain = $1", domainB))
        .isEqualTo(keysOfB);
    // its own domain is readable
    as(keyA).get("/v1/domains/" + domainA).then().statusCode(200);
  }

  @Test
  void onlyAdminKeysManageDomainsKeysAndSuppressions() {
    long before = storedRows();
    long suppressions = Db.count(pool, "select count(*) from suppression");
    List<Call> adminOnly =
        everyEndpoint().stream()
            .filter(
                c ->
                    List.of(
                            "POST /v1/domains",
                            "DELETE /v1/domains/{name}",
                            "POST /v1/domains/{name}/dkim-keys",
                            "POST /v1/api-keys",
                            "GET /v1/api-keys",
                            "DELETE /v1/api-keys/{id}",
                            "PUT /v1/suppressions/{address}",
                            "DELETE /v1/suppressions/{address}")
                        .contains(c.name()))
            .toList();
    assertThat(adminOnly).hasSize(8);
    for (Call call : adminOnly) {
      assertProblem(
          call.invoke().apply(as(keyA)), call.name() + " with a scoped key", 403, "forbidden");
    }
    assertThat(storedRows()).isEqualTo(before);
    assertThat(Db.count(pool, "select count(*) from suppression")).isEqualTo(suppressions);
    // a scoped key may read the suppression list
    as(keyA).get("/v1/suppressions").then().statusCode(200);
    as(keyA).get("/v1/domains/" + domainA).then().statusCode(200);
  }

  @Test
  void aRemovedDomainLeavesEveryKeyScopeAndItsMessagesStayWithAdminsWhenTheNameReturns() {
    String sent =
        as(keyA)
            .body(message(domainA, "bob@example.org"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    admin().delete("/v1/domains/" + domainA).then().statusCode(204);
    assertThat(Db.count(pool, "select count(*) from api_key where $1 = any(domains)", domainA))
        .isZero();
    admin().body(Map.of("name", domainA)).post("/v1/domains").then().statusCode(201);

    // the old key does not regain the name: no sending, no reading of the old mail
    assertProblem(
        as(keyA).body(message(domainA, "b@example.org")).post("/v1/messages"),
        "send as the re-registered domain with the old key",
        403,
        "forbidden_sender_domain");
    assertProblem(
        as(keyA).get("/v1/messages/" + sent), "GET the old message, old key", 404, "not_found");
    assertProblem(as(keyA).get("/v1/domains/" + domainA), "GET the domain", 404, "not_found");
    List<String> listed =
        as(keyA).get("/v1/messages?limit=500").then().statusCode(200).extract().path("items.id");
    assertThat(listed).doesNotContain(sent);

    // a key made for the new registration sends as it, yet never sees the old registration's mail
    String newKey = scopedKey(domainA);
    as(newKey).body(message(domainA, "b@example.org")).post("/v1/messages").then().statusCode(202);
    assertProblem(
        as(newKey).get("/v1/messages/" + sent), "GET the old message, new key", 404, "not_found");
    assertProblem(
        as(newKey).delete("/v1/messages/" + sent), "cancel the old message", 404, "not_found");
    List<String> listedNew =
        as(newKey).get("/v1/messages?limit=500").then().statusCode(200).extract().path("items.id");
    assertThat(listedNew).hasSize(1).doesNotContain(sent);

    // admins still read it
    admin().get("/v1/messages/" + sent).then().statusCode(200).body("id", equalTo(sent));
  }

  @Test
  void aDeletedKeyStopsWorkingWithinTheCacheTtl() {
    Map<String, Object> created =
        admin()
            .body(Map.of("name", "short-lived", "domains", List.of(domainA)))
            .post("/v1/api-keys")
            .then()
            .statusCode(201)
            .extract()
            .as(Map.class);
    String key = (String) created.get("key");
    as(key).get("/v1/domains/" + domainA).then().statusCode(200);
    admin().delete("/v1/api-keys/" + created.get("id")).then().statusCode(204);
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> as(key).get("/v1/domains/" + domainA).then().statusCode(401));
    long before = storedRows();
    for (Call call : everyEndpoint()) {
      assertProblem(
          call.invoke().apply(as(key)), call.name() + " with a deleted key", 401, "unauthorized");
    }
    assertThat(storedRows()).isEqualTo(before);
  }
}
