package io.postwire.platform;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /q/openapi} describes the API of docs/api.md: statuses, bodies, refusals, the key, the
 * vocabulary of every closed field and examples of the main operations.
 */
@QuarkusTest
class OpenApiTests {

  @Inject Pool pool;

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

  List<String> enumOf(String schema, String property) {
    return doc.getList("components.schemas." + schema + ".properties." + property + ".enum");
  }

  /** The quoted literals of {@code sql} that follow one of {@code before}. */
  static List<String> literals(String sql, String before) {
    List<String> found = new ArrayList<>();
    Matcher m = Pattern.compile("(?:" + before + ")\\s*'([a-z_]+)'").matcher(sql);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  @Test
  void statusEnumsAreTheValuesTheDatabaseAndTheApiDocAllow() {
    String check =
        Db.rows(
                pool,
                """
                select pg_get_constraintdef(c.oid) from pg_constraint c
                where c.conrelid = 'delivery'::regclass and c.contype = 'c'
                and pg_get_constraintdef(c.oid) like '%status%'""")
            .get(0)
            .getString(0);
    assertThat(literals(check, "ARRAY\\[|,")).containsExactlyElementsOf(DeliveryStatus.wireNames());
    assertThat(enumOf("Recipient", "status")).containsExactlyElementsOf(DeliveryStatus.wireNames());

    String view =
        Db.rows(pool, "select pg_get_viewdef('message_status'::regclass)").get(0).getString(0);
    // the view derives a message's status: each value it can give is one of the enum's
    assertThat(new TreeSet<>(literals(view, "THEN|ELSE")))
        .isEqualTo(new TreeSet<>(MessageStatus.wireNames()));
    assertThat(enumOf("Message", "status")).containsExactlyElementsOf(MessageStatus.wireNames());
  }

  @Test
  void everySchemaHasItsOwnNameAndNoneIsNumbered() {
    Map<String, Object> schemas = doc.getMap("components.schemas");
    assertThat(schemas.keySet()).noneMatch(name -> name.matches(".*\\d+"));
    assertThat(schemas).doesNotContainKey("DnsRecord1");
    assertThat(doc.getString("components.schemas.DomainView.properties.dnsRecords.items.$ref"))
        .isEqualTo("#/components/schemas/DomainDnsRecord");
    assertThat(doc.getMap("components.schemas.DomainDnsRecord.properties")).containsKey("purpose");
    assertThat(doc.getString("components.schemas.KeyView.properties.dnsRecord.$ref"))
        .isEqualTo("#/components/schemas/DnsRecord");
  }

  @Test
  void metadataIsAnObjectOfStringsNotAJacksonNode() {
    for (String schema : List.of("SendRequest", "Message")) {
      String path = "components.schemas." + schema + ".properties.metadata";
      assertThat(doc.getString(path + ".type")).as(schema).isEqualTo("object");
      assertThat(doc.getMap(path + ".additionalProperties"))
          .as(schema)
          .isEqualTo(Map.of("type", "string"));
      assertThat(doc.getString(path + ".$ref")).as(schema).isNull();
      assertThat(doc.getMap(path + ".properties")).as(schema).isNull();
    }
    assertThat(doc.getString("components.schemas.Event.properties.detail.type"))
        .isEqualTo("object");
    assertThat(doc.getMap("components.schemas")).doesNotContainKeys("JsonNode", "JsonNodeType");
    assertThat(doc.prettify()).doesNotContain("valueNode").doesNotContain("nodeType");
  }

  @Test
  void everyReferenceNamesASchemaOfTheDocument() {
    Map<String, Object> schemas = doc.getMap("components.schemas");
    String text = doc.prettify();
    Matcher refs = Pattern.compile("\"#/components/schemas/([^\"]+)\"").matcher(text);
    int seen = 0;
    while (refs.find()) {
      assertThat(schemas)
          .as(text.substring(Math.max(0, refs.start() - 300), refs.start()))
          .containsKey(refs.group(1));
      seen++;
    }
    assertThat(seen).isGreaterThan(10);
  }

  @Test
  void requestsSayWhichFieldsTheyNeed() {
    assertThat(doc.getList("components.schemas.SendRequest.required", String.class))
        .containsExactlyInAnyOrder("from", "to");
    assertThat(doc.getList("components.schemas.RawSendRequest.required", String.class))
        .containsExactlyInAnyOrder("mailFrom", "rcptTo", "raw");
    assertThat(doc.getList("components.schemas.Attachment.required", String.class))
        .containsExactlyInAnyOrder("filename", "content");
    assertThat(doc.getList("components.schemas.RegisterRequest.required", String.class))
        .containsExactly("name");
    assertThat(doc.getList("components.schemas.CreateKeyRequest.required", String.class))
        .containsExactly("name");
  }

  @Test
  void closedFieldsListTheirValues() {
    assertThat(doc.getList("components.schemas.DkimOptions.properties.algorithms.items.enum"))
        .containsExactly("rsa-sha256", "ed25519-sha256");
    assertThat(enumOf("RotateRequest", "algorithm"))
        .containsExactly("rsa-sha256", "ed25519-sha256");
    assertThat(enumOf("KeyView", "algorithm")).containsExactly("rsa-sha256", "ed25519-sha256");
    assertThat(enumOf("KeyView", "status")).containsExactly("active", "pending", "retired");
    assertThat(enumOf("Message", "status"))
        .containsExactly(
            "queued",
            "delivering",
            "deferred",
            "delivered",
            "bounced",
            "failed",
            "partially_delivered");
    assertThat(enumOf("Summary", "status")).isEqualTo(enumOf("Message", "status"));
    assertThat(enumOf("AcceptedRecipient", "status")).containsExactly("queued", "suppressed");
    assertThat(enumOf("Recipient", "status"))
        .containsExactly(
            "queued", "deferred", "delivered", "bounced", "suppressed", "expired", "failed");
    assertThat(enumOf("Recipient", "bounceCategory"))
        .contains("invalid_recipient", "bad_domain", "dns_failure", "expired", "other")
        .contains("internal_error");
    assertThat(enumOf("Event", "type"))
        .contains("queued", "signed", "attempt", "delivered", "cancelled")
        .contains("failed_internal");
    assertThat(enumOf("Suppression", "reason"))
        .containsExactly("manual", "hard_bounce", "complaint", "unsubscribe");
    assertThat(enumOf("SuppressRequest", "reason")).isEqualTo(enumOf("Suppression", "reason"));
    assertThat(enumOf("Audit", "status")).containsExactly("pass", "warn", "fail", "unknown");
    assertThat(enumOf("CheckResult", "status")).containsExactly("pass", "warn", "fail", "unknown");
    assertThat(enumOf("CheckResult", "name"))
        .containsExactly("spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt");
    assertThat(enumOf("Finding", "severity")).containsExactly("error", "warning", "info");
    assertThat(enumOf("SpfAnswer", "result"))
        .containsExactly("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror");
  }

  @Test
  void eventsAndWebhooksListTheirValues() {
    assertThat(enumOf("EventView", "type"))
        .contains("message.queued", "message.delivered", "domain.paused")
        .doesNotContain("signed", "attempt");
    assertThat(enumOf("Webhook", "status")).containsExactly("active", "disabled");
    assertThat(enumOf("WebhookAttempt", "status"))
        .containsExactly("delivered", "retrying", "failed", "disabled");
    assertThat(doc.getList("components.schemas.WebhookRequest.required", String.class))
        .containsExactlyInAnyOrder("url", "events");
    assertThat(doc.getString("paths.'/v1/webhooks'.post.responses.'403'.description"))
        .startsWith("forbidden");
    assertThat(doc.getString("paths.'/v1/webhooks'.post.responses.'201'.description")).isNotNull();
  }

  @Test
  void theMainOperationsCarryExamplesThatAreTheirJson() throws Exception {
    for (String[] op :
        List.of(
            new String[] {"post", "/v1/messages"},
            new String[] {"post", "/v1/messages/batch"},
            new String[] {"post", "/v1/messages/raw"},
            new String[] {"post", "/v1/domains"},
            new String[] {"put", "/v1/suppressions/{address}"})) {
      Map<String, Map<String, Object>> examples =
          doc.getMap(
              "paths.'"
                  + op[1]
                  + "'."
                  + op[0]
                  + ".requestBody.content.'application/json'.examples");
      assertThat(examples).as(op[0] + " " + op[1]).isNotEmpty();
      examples.values().forEach(e -> assertThat(e.get("value")).as(op[1]).isNotNull());
    }
    JsonNode send =
        new ObjectMapper()
            .valueToTree(
                doc.getMap(
                        "paths.'/v1/messages'.post.requestBody.content.'application/json'"
                            + ".examples")
                    .values()
                    .iterator()
                    .next());
    // the value is the JSON document itself, with the fields the schema requires
    assertThat(send.get("value").isObject()).as(send.toString()).isTrue();
    assertThat(send.get("value").has("from")).isTrue();
    assertThat(send.get("value").get("to").isArray()).isTrue();
    assertThat(
            doc.getMap(
                "paths.'/v1/messages'.post.responses.'202'.content.'application/json'.examples"))
        .isNotEmpty();
  }

  @Test
  void noDescriptionPointsOutsideTheRepository() {
    List<String> texts = new ArrayList<>();
    collect(new ObjectMapper().valueToTree(doc.getMap("$")), texts);
    assertThat(texts).isNotEmpty().noneMatch(t -> t.toLowerCase().contains("api.md"));
    assertThat(doc.getString("paths.'/v1/messages'.post.responses.'422'.description"))
        .contains("validation_failed", "no_recipients", "unknown_sender_domain");
    assertThat(doc.getString("paths.'/v1/messages/batch'.post.responses.'422'.description"))
        .contains("batch_too_large", "empty_batch");
  }

  @Test
  void theReferenceInDocsNamesEveryOperationAndEveryValue() throws Exception {
    String reference = Files.readString(Path.of("docs/api.md"));
    Map<String, Map<String, Object>> paths = doc.getMap("paths");
    paths.forEach(
        (path, ops) ->
            ops.keySet()
                .forEach(
                    method -> {
                      String operation = method.toUpperCase() + " " + path;
                      assertThat(
                              List.of(operation + "`", operation + "?", operation + " ").stream()
                                  .anyMatch(reference::contains))
                          .as("docs/api.md describes %s", operation)
                          .isTrue();
                    }));
    Map<String, Map<String, Object>> schemas = doc.getMap("components.schemas");
    int values = 0;
    for (String schema : schemas.keySet()) {
      Map<String, Object> properties = doc.getMap("components.schemas." + schema + ".properties");
      for (String property : properties == null ? List.<String>of() : properties.keySet()) {
        String at = "components.schemas." + schema + ".properties." + property;
        List<String> allowed = doc.getList(at + ".enum", String.class);
        if (allowed == null) {
          allowed = doc.getList(at + ".items.enum", String.class);
        }
        for (String value : allowed == null ? List.<String>of() : allowed) {
          assertThat(
                  reference.contains("`" + value + "`") || reference.contains("\"" + value + "\""))
              .as("docs/api.md names %s.%s value %s", schema, property, value)
              .isTrue();
          values++;
        }
      }
    }
    assertThat(values).isGreaterThan(50);
  }

  /** Every description and summary in the document. */
  private static void collect(JsonNode node, List<String> texts) {
    node.properties()
        .forEach(
            field -> {
              if ((field.getKey().equals("description") || field.getKey().equals("summary"))
                  && field.getValue().isTextual()) {
                texts.add(field.getValue().asText());
              } else {
                collect(field.getValue(), texts);
              }
            });
    if (node.isArray()) {
      node.forEach(item -> collect(item, texts));
    }
  }
}
