package io.postwire.tracking;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.Api;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tracking needs {@code postwire.public-url}; without it a tracked send is refused, never sent. */
@QuarkusTest
class TrackingWithoutPublicUrlTests {

  @Test
  void aTrackedSendWithoutAPublicUrlIs422NamingTheSetting() {
    String domain = Api.registerDomain();
    Map<String, Object> message = new HashMap<>(Api.message(domain, "x@example.org"));
    message.put("html", "<a href=\"https://example.com/\">x</a>");
    message.put("track", Map.of("clicks", true));
    Api.send(message)
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("track"))
        .body("errors[0].message", containsString("postwire.public-url"));
    Api.admin()
        .body(List.of(message))
        .post("/v1/messages/batch")
        .then()
        .statusCode(200)
        .body("[0].status", equalTo("rejected"))
        .body("[0].error.errors[0].field", equalTo("track"));
    // asking for nothing is no tracking
    message.put("track", Map.of("opens", false, "clicks", false));
    Api.send(message).then().statusCode(202);
  }

  @Test
  void theOpenApiDocumentShowsTheTrackingLinksWithoutAKey() {
    io.restassured.RestAssured.given()
        .accept("application/json")
        .get("/q/openapi")
        .then()
        .statusCode(200)
        .body("paths.'/t/c/{token}'.get.security", equalTo(List.of()))
        .body("paths.'/t/c/{token}'.head.security", equalTo(List.of()))
        .body("paths.'/t/o/{token}'.get.security", equalTo(List.of()));
  }
}
