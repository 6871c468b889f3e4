package io.postwire.unsubscribe;

import static io.postwire.testing.Api.admin;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Without {@code postwire.public-url} and {@code postwire.inbound.domain} (the default test
 * profile) an unsubscribe send is refused, naming the settings, and nothing is queued.
 */
@QuarkusTest
class UnsubscribeNotConfiguredTests {

  @Test
  void anUnsubscribeSendIsRefusedNamingTheMissingSettings() {
    String domain = Api.registerDomain();
    Map<String, Object> body = new HashMap<>(Api.message(domain, "nc@example.org"));
    body.put("unsubscribe", true);
    admin()
        .body(body)
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("unsubscribe"))
        .body("errors[0].message", containsString("postwire.public-url"))
        .body("errors[0].message", containsString("postwire.inbound.domain"));
    admin()
        .body(List.of(body))
        .post("/v1/messages/batch")
        .then()
        .statusCode(200)
        .body("[0].status", equalTo("rejected"))
        .body("[0].error.detail", containsString("postwire.public-url"));
    admin()
        .get("/v1/messages?recipient=nc@example.org")
        .then()
        .statusCode(200)
        .body("items.size()", equalTo(0));
    // the page exists without the settings too (links already sent keep working): a bad token 404
    given().get("/u/AAAA").then().statusCode(404);
  }
}
