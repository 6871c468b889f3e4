package io.postwire.suppression;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.postwire.testing.Api.message;
import static io.postwire.testing.Api.rawMessage;
import static io.postwire.testing.Api.registerDomain;
import static io.postwire.testing.Api.scopedKey;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Suppression entries per sending domain (API.md, "Suppressions"), through the API. */
@QuarkusTest
class SuppressionResourceTests {

  String domainA;
  String domainB;
  String address;

  @BeforeEach
  void twoDomainsAndAFreshAddress() {
    domainA = registerDomain();
    domainB = registerDomain();
    address = "r" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
  }

  void suppress(String domain, String reason) {
    Map<String, Object> body = new HashMap<>();
    body.put("reason", reason);
    body.put("domain", domain);
    admin().body(body).put("/v1/suppressions/" + address).then().statusCode(200);
  }

  @Test
  void anEntryForOneDomainHoldsOnlyThatDomainsSends() {
    admin()
        .body(Map.of("reason", "unsubscribe", "domain", domainA, "detail", "footer link"))
        .put("/v1/suppressions/" + address)
        .then()
        .statusCode(200)
        .body("address", equalTo(address))
        .body("domain", equalTo(domainA))
        .body("reason", equalTo("unsubscribe"))
        .body("detail", equalTo("footer link"));

    admin()
        .body(message(domainA, address))
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("recipient_suppressed"));
    admin()
        .body(message(domainB, address))
        .post("/v1/messages")
        .then()
        .statusCode(202)
        .body("recipients.status", contains("queued"));
    admin()
        .body(List.of(message(domainA, address), message(domainB, address)))
        .post("/v1/messages/batch")
        .then()
        .statusCode(200)
        .body("[0].error.code", equalTo("recipient_suppressed"))
        .body("[1].status", equalTo("queued"));
    String raw = "From: s@%s\nTo: %s\nSubject: x\n\nbody\n";
    admin()
        .body(rawMessage("s@" + domainA, address, raw.formatted(domainA, address)))
        .post("/v1/messages/raw")
        .then()
        .statusCode(422)
        .body("code", equalTo("recipient_suppressed"));
    admin()
        .body(rawMessage("s@" + domainB, address, raw.formatted(domainB, address)))
        .post("/v1/messages/raw")
        .then()
        .statusCode(202);
  }

  @Test
  void aGlobalEntryHoldsEveryDomainsSends() {
    suppress(null, "manual");
    for (String domain : List.of(domainA, domainB)) {
      admin()
          .body(message(domain, address))
          .post("/v1/messages")
          .then()
          .statusCode(422)
          .body("code", equalTo("recipient_suppressed"));
    }
    admin()
        .get("/v1/suppressions/" + address)
        .then()
        .statusCode(200)
        .body("items.domain", contains(nullValue()));
  }

  @Test
  void aScopedKeySeesOnlyItsOwnDomainsEntries() {
    suppress(null, "manual");
    suppress(domainA, "hard_bounce");
    suppress(domainB, "complaint");
    String keyA = scopedKey(domainA);

    as(keyA)
        .get("/v1/suppressions/" + address)
        .then()
        .statusCode(200)
        .body("items.domain", contains(domainA))
        .body("items.reason", contains("hard_bounce"));
    as(keyA)
        .get("/v1/suppressions?address=" + address)
        .then()
        .statusCode(200)
        .body("items.domain", contains(domainA));
    as(keyA)
        .get("/v1/suppressions?domain=" + domainB)
        .then()
        .statusCode(200)
        .body("items", Matchers.empty());
    as(scopedKey(registerDomain()))
        .get("/v1/suppressions/" + address)
        .then()
        .statusCode(404)
        .body("code", equalTo("not_found"));

    admin()
        .get("/v1/suppressions/" + address)
        .then()
        .statusCode(200)
        .body("items.domain", containsInAnyOrder(null, domainA, domainB));
    admin()
        .get("/v1/suppressions?domain=" + domainB + "&address=" + address)
        .then()
        .statusCode(200)
        .body("items.reason", contains("complaint"));
  }

  @Test
  void listsArePagedAcrossDomainsOfOneAddress() {
    suppress(null, "manual");
    suppress(domainA, "manual");
    suppress(domainB, "manual");
    String next =
        admin()
            .get("/v1/suppressions?limit=2&address=" + address)
            .then()
            .statusCode(200)
            .body("items", Matchers.hasSize(2))
            .extract()
            .path("next");
    admin()
        .get("/v1/suppressions?limit=2&address=" + address + "&after=" + next)
        .then()
        .statusCode(200)
        .body("items", Matchers.hasSize(1))
        .body("next", nullValue());
  }

  @Test
  void deletingRemovesOnlyTheNamedDomainsEntry() {
    suppress(null, "manual");
    suppress(domainA, "manual");
    admin().delete("/v1/suppressions/" + address + "?domain=" + domainA).then().statusCode(204);
    admin().delete("/v1/suppressions/" + address + "?domain=" + domainA).then().statusCode(404);
    admin()
        .get("/v1/suppressions/" + address)
        .then()
        .statusCode(200)
        .body("items.domain", contains(nullValue()));
    admin().delete("/v1/suppressions/" + address).then().statusCode(204);
    admin().get("/v1/suppressions/" + address).then().statusCode(404);
    admin().body(message(domainA, address)).post("/v1/messages").then().statusCode(202);
  }

  @Test
  void refusesAnEntryForSomethingThatIsNotADomain() {
    admin()
        .body(Map.of("reason", "manual", "domain", "not a domain"))
        .put("/v1/suppressions/" + address)
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("domain"));
  }
}
