package io.postwire.platform;

import static io.postwire.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every paged list (API.md "Conventions": {@code ?limit=}, default 50, max 500). */
@QuarkusTest
class PagingTests {

  @ParameterizedTest
  @CsvSource({
    "/v1/messages, abc",
    "/v1/messages, 0",
    "/v1/messages, 501",
    "/v1/messages, -1",
    "/v1/domains, abc",
    "/v1/domains, 501",
    "/v1/api-keys, abc",
    "/v1/api-keys, 0",
    "/v1/suppressions, abc",
    "/v1/suppressions, -5"
  })
  void refusesALimitThatIsNotAWholeNumberFrom1To500(String path, String limit) {
    admin()
        .queryParam("limit", limit)
        .get(path)
        .then()
        .statusCode(422)
        .contentType("application/problem+json")
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("limit"));
    admin().queryParam("limit", "500").get(path).then().statusCode(200);
  }
}
