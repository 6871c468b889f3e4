package io.postwire.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code /q/openapi} describes the API of API.md: statuses, bodies, refusals and the key. */
@QuarkusTest
class OpenApiTests {

  JsonPath doc;

  @BeforeEach
  void read() {
    doc = given().get("/q/openapi?format=json").then().statusCode(200).extract().jsonPath();
  }

  Map<String, Object> op(String method, String path) {
    Map<String, Object> op = doc.getMap("paths.'" + path + "'." + method);
    assertThat(op).as(method + " " + path).isNotNull();
    return op;
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> responses(String method, String path) {
    return (Map<String, Object>) op(method, path).get("responses");
  }

  String schemaOf(String method, String path, String status, String mediaType) {
    return doc.getString(
        "paths.'"
            + path
            + "'."
            + method
            + ".responses.'"
            + status
            + "'.content.'"
            + mediaType
            + "'.schema.$ref");
  }

  @Test
  void sendsAnswer202WithTheAcceptedDocument() {
    assertThat(responses("post", "/v1/messages")).containsKey("202").doesNotContainKey("200");
    assertThat(schemaOf("post", "/v1/messages", "202", "application/json"))
        .isEqualTo("#/components/schemas/Accepted");
    assertThat(schemaOf("post", "/v1/messages/raw", "202", "application/json"))
        .isEqualTo("#/components/schemas/Accepted");
    assertThat(
            doc.getString(
                "paths.'/v1/messages/batch'.post.responses.'200'.content.'application/json'"
                    + ".schema.items.$ref"))
        .isEqualTo("#/components/schemas/BatchItem");
  }

  @Test
  void createdAndRemovedResourcesHaveTheirStatuses() {
    assertThat(responses("post", "/v1/domains")).containsKey("201");
    assertThat(schemaOf("post", "/v1/domains", "201", "application/json"))
        .isEqualTo("#/components/schemas/DomainView");
    assertThat(responses("post", "/v1/api-keys")).containsKey("201");
    assertThat(responses("post", "/v1/domains/{name}/dkim-keys")).containsKey("201");
    assertThat(responses("delete", "/v1/domains/{name}")).containsKey("204");
    assertThat(responses("delete", "/v1/api-keys/{id}")).containsKey("204");
    assertThat(responses("delete", "/v1/suppressions/{address}")).containsKey("204");
  }

  @Test
  void requestBodiesAreTheirJsonDocumentsNotBinary() {
    for (String[] op :
        List.of(
            new String[] {"post", "/v1/domains", "RegisterRequest"},
            new String[] {"post", "/v1/domains/{name}/dkim-keys", "RotateRequest"},
            new String[] {"post", "/v1/api-keys", "CreateKeyRequest"},
            new String[] {"put", "/v1/suppressions/{address}", "SuppressRequest"},
            new String[] {"post", "/v1/tools/spf", "SpfRequest"},
            new String[] {"post", "/v1/messages", "SendRequest"})) {
      assertThat(
              doc.getString(
                  "paths.'"
                      + op[1]
                      + "'."
                      + op[0]
                      + ".requestBody.content.'application/json'.schema.$ref"))
          .as(op[0] + " " + op[1])
          .isEqualTo("#/components/schemas/" + op[2]);
    }
  }

  @Test
  void everyV1OperationListsItsRefusalsAsProblemDetails() {
    Map<String, Map<String, Object>> paths = doc.getMap("paths");
    assertThat(paths.keySet()).anyMatch(p -> p.startsWith("/v1/"));
    paths.forEach(
        (path, ops) -> {
          if (!path.startsWith("/v1/")) {
            return;
          }
          ops.keySet()
              .forEach(
                  method -> {
                    assertThat(responses(method, path)).containsKeys("401", "429", "503");
                    assertThat(schemaOf(method, path, "401", "application/problem+json"))
                        .as(method + " " + path)
                        .isEqualTo("#/components/schemas/Problem");
                  });
        });
    assertThat(responses("post", "/v1/messages"))
        .containsKeys("400", "408", "409", "413", "422", "429");
    assertThat(schemaOf("post", "/v1/messages", "400", "application/problem+json"))
        .isEqualTo("#/components/schemas/Problem");
    assertThat(doc.getMap("paths.'/v1/messages'.post.responses.'429'.headers").keySet())
        .contains("Retry-After");
    assertThat(responses("post", "/v1/domains")).containsKeys("403", "409");
    assertThat(doc.getMap("paths.'/v1/domains/{name}/audit'.post.responses.'429'.headers").keySet())
        .contains("Retry-After");
    assertThat(responses("get", "/v1/messages/{id}")).containsKey("404").doesNotContainKey("403");
    assertThat(responses("get", "/v1/messages")).containsKey("422");
    assertThat(doc.getList("components.schemas.Problem.required"))
        .contains("type", "title", "status", "code");
  }

  @Test
  void theApiKeyIsABearerTokenRequiredEverywhere() {
    assertThat(doc.getString("components.securitySchemes.apiKey.type")).isEqualTo("http");
    assertThat(doc.getString("components.securitySchemes.apiKey.scheme")).isEqualTo("bearer");
    assertThat(doc.getString("components.securitySchemes.apiKey.bearerFormat")).isNull();
    assertThat(doc.getList("security")).hasSize(1);
    assertThat(doc.getMap("security[0]")).containsKey("apiKey");
  }

  /** ?limit= is read as text (so "abc" is a 422 naming it) but documented as what it is. */
  @Test
  void documentsEveryListsLimitAsAWholeNumberFrom1To500() {
    for (String path : List.of("/v1/messages", "/v1/domains", "/v1/api-keys", "/v1/suppressions")) {
      String limit = "paths.'" + path + "'.get.parameters.find { it.name == 'limit' }.schema";
      assertThat(doc.getString(limit + ".type")).as(path).isEqualTo("integer");
      assertThat(doc.getInt(limit + ".minimum")).as(path).isEqualTo(1);
      assertThat(doc.getInt(limit + ".maximum")).as(path).isEqualTo(500);
    }
  }
}
