package io.postwire.domain;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;

import io.postwire.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import java.net.IDN;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Internationalized domain names (API.md "Conventions": sent as A-labels): whatever form the caller
 * writes a domain in, in a body, a path or a query, it names the same domain.
 */
@QuarkusTest
class IdnTests {

  /** A fresh IDN: its U-label (as a user types it) and its A-label (as it is stored). */
  private static String[] idn() {
    String unicode = "bücher-" + UUID.randomUUID().toString().substring(0, 8) + ".example";
    return new String[] {unicode, IDN.toASCII(unicode)};
  }

  @Test
  void aKeyScopedToAUnicodeDomainSendsAndReadsAsIt() {
    String[] domain = idn();
    admin().body(Map.of("name", domain[0])).post("/v1/domains").then().statusCode(201);
    String key =
        admin()
            .body(Map.of("name", "idn", "domains", List.of(domain[0])))
            .post("/v1/api-keys")
            .then()
            .statusCode(201)
            .body("domains", contains(domain[1]))
            .extract()
            .path("key");
    String id =
        as(key)
            .body(Map.of("from", "s@" + domain[0], "to", List.of("b@example.org"), "text", "x"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    as(key).get("/v1/messages/" + id).then().statusCode(200);
    as(key).get("/v1/domains/" + domain[0]).then().statusCode(200).body("name", equalTo(domain[1]));
    String raw = "From: s@" + domain[1] + "\r\nTo: b@example.org\r\nSubject: Raw\r\n\r\nHi\r\n";
    as(key)
        .body(Api.rawMessage("bounce@" + domain[0], "b@" + domain[0], raw))
        .post("/v1/messages/raw")
        .then()
        .statusCode(202)
        .body("recipients[0].address", equalTo("b@" + domain[1]));
  }

  @Test
  void refusesAKeyScopeThatIsNoDomainName() {
    admin()
        .body(Map.of("name", "bad", "domains", List.of("not a domain")))
        .post("/v1/api-keys")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("domains[0]"));
  }

  @Test
  void aSuppressionOfAUnicodeAddressIsFoundAndRemovedByTheSameAddress() {
    String unicode = idn()[0];
    String address = "u@" + unicode;
    String stored = "u@" + IDN.toASCII(unicode);
    admin()
        .body(Map.of("reason", "manual"))
        .put("/v1/suppressions/" + address)
        .then()
        .statusCode(200)
        .body("address", equalTo(stored));
    admin()
        .get("/v1/suppressions/" + address)
        .then()
        .statusCode(200)
        .body("items.address", contains(stored));
    admin()
        .queryParam("address", address)
        .get("/v1/suppressions")
        .then()
        .statusCode(200)
        .body("items", hasSize(1));
    admin().delete("/v1/suppressions/" + address).then().statusCode(204);
    admin().get("/v1/suppressions/" + stored).then().statusCode(404);
  }

  @Test
  void theRecipientFilterFindsAUnicodeRecipient() {
    String sender = Api.registerDomain();
    String recipient = "b@" + idn()[0];
    String id =
        admin()
            .body(Map.of("from", "s@" + sender, "to", List.of(recipient), "text", "x"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    admin()
        .queryParam("recipient", recipient)
        .get("/v1/messages")
        .then()
        .statusCode(200)
        .body("items.id", hasItem(id))
        .body("items", hasSize(1));
  }
}
