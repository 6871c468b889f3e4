package io.postwire.security;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.TightLimitsProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Unknown keys cost the database little: a token found to be no key is remembered for a while
 * (postwire.api.unknown-key-cache-ttl), and each client address may cause only so many lookups of
 * unknown keys (postwire.api.failed-auth-rate and -burst: three here, refilled one per 100 s);
 * beyond that a token not already known gets 429 rate_limited without a query.
 */
@QuarkusTest
@TestProfile(TightLimitsProfile.class)
class KeyLookupTests {

  static String unknownKey() {
    return "pw_unknown_" + UUID.randomUUID();
  }

  @Test
  void unknownKeysAreRefusedWith401WithinTheLimitAndWith429BeyondIt() {
    // one token repeated costs one lookup: the later answers come from the negative cache
    String repeated = unknownKey();
    for (int i = 0; i < 10; i++) {
      as(repeated).get("/v1/domains").then().statusCode(401).body("code", equalTo("unauthorized"));
    }
    // two more lookups spend the burst of three
    as(unknownKey()).get("/v1/domains").then().statusCode(401);
    as(unknownKey()).get("/v1/domains").then().statusCode(401);

    Response refused = as(unknownKey()).get("/v1/domains");
    refused
        .then()
        .statusCode(429)
        .contentType("application/problem+json")
        .body("code", equalTo("rate_limited"))
        .body("type", equalTo("urn:postwire:problem:rate_limited"))
        .body("status", equalTo(429));
    assertThat(Integer.parseInt(refused.header("Retry-After"))).isBetween(1, 100);

    // a token already known to be no key is still answered 401, a working key still works
    as(repeated).get("/v1/domains").then().statusCode(401);
    admin().get("/v1/domains").then().statusCode(200);
  }
}
