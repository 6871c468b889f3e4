package io.postwire.openapi;

import io.postwire.event.EventTypes;
import io.postwire.platform.DeliveryStatus;
import io.postwire.platform.MessageStatus;
import io.postwire.platform.Problem;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.media.Schema.SchemaType;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

/**
 * Completes {@code /q/openapi} with what annotations cannot say once for every operation: the API
 * key scheme and its requirement, the RFC 9457 problem document, the refusals each {@code /v1}
 * operation can answer with, and the API's vocabulary (the values a status, type or category field
 * takes, and the fields a request must give) in one table that docs/api.md mirrors.
 */
public class OpenApiDocument implements OASFilter {

  static final String SCHEME = "apiKey";
  static final String PROBLEM = "#/components/schemas/Problem";

  /** What a send can be refused with as 422 (the codes of the errors table in docs/api.md). */
  private static final String SEND_422 =
      "validation_failed (with errors), invalid_address, unsupported_address, header_injection,"
          + " reserved_header, no_recipients, too_many_recipients, no_content, invalid_attachment,"
          + " unknown_sender_domain, recipient_suppressed";

  private static final List<String> DKIM_ALGORITHMS = List.of("rsa-sha256", "ed25519-sha256");

  /** {@code unknown}: the check's DNS lookups failed temporarily; it is neither pass nor fail. */
  private static final List<String> AUDIT_STATUSES = List.of("pass", "warn", "fail", "unknown");

  private static final List<String> MESSAGE_STATUSES = MessageStatus.wireNames();

  private static final List<String> SUPPRESSION_REASONS =
      List.of("manual", "hard_bounce", "complaint", "unsubscribe");

  private static final List<String> EVENT_TYPES = EventTypes.PUBLIC.stream().sorted().toList();

  private static final List<String> WEBHOOK_EVENTS =
      java.util.stream.Stream.concat(java.util.stream.Stream.of("*"), EVENT_TYPES.stream())
          .toList();

  private static final List<String> WEBHOOK_STATUSES = List.of("active", "disabled");

  /** The values of the API's closed string fields: schema → property → values. */
  static final Map<String, Map<String, List<String>>> ENUMS =
      Map.ofEntries(
          Map.entry("DkimOptions", Map.of("algorithms", DKIM_ALGORITHMS)),
          Map.entry("RotateRequest", Map.of("algorithm", DKIM_ALGORITHMS)),
          Map.entry(
              "KeyView",
              Map.of(
                  "algorithm", DKIM_ALGORITHMS, "status", List.of("active", "pending", "retired"))),
          Map.entry("DnsRecord", Map.of("type", List.of("TXT"))),
          Map.entry(
              "DomainDnsRecord",
              Map.of("purpose", List.of("dkim", "spf", "dmarc", "mx", "return-path"))),
          Map.entry("Audit", Map.of("status", AUDIT_STATUSES)),
          Map.entry(
              "CheckResult",
              Map.of(
                  "name",
                  List.of("spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt"),
                  "status",
                  AUDIT_STATUSES)),
          Map.entry("Finding", Map.of("severity", List.of("error", "warning", "info"))),
          Map.entry("Accepted", Map.of("status", List.of("queued"))),
          Map.entry("AcceptedRecipient", Map.of("status", List.of("queued", "suppressed"))),
          Map.entry("BatchItem", Map.of("status", List.of("queued", "rejected"))),
          Map.entry("Message", Map.of("status", MESSAGE_STATUSES)),
          Map.entry("Summary", Map.of("status", MESSAGE_STATUSES)),
          Map.entry(
              "Recipient",
              Map.of(
                  "status",
                  DeliveryStatus.wireNames(),
                  "bounceCategory",
                  List.of(
                      "invalid_recipient",
                      "bad_domain",
                      "inactive_mailbox",
                      "quota",
                      "policy",
                      "reputation",
                      "content",
                      "protocol",
                      "network",
                      "dns_failure",
                      "expired",
                      "internal_error",
                      "other"))),
          Map.entry(
              "Event",
              Map.of(
                  "type",
                  List.of(
                      "queued",
                      "signed",
                      "attempt",
                      "delivered",
                      "deferred",
                      "bounced",
                      "suppressed",
                      "expired",
                      "failed",
                      "cancelled",
                      "failed_internal"))),
          Map.entry("EventView", Map.of("type", EVENT_TYPES)),
          Map.entry("WebhookRequest", Map.of("events", WEBHOOK_EVENTS)),
          Map.entry("Webhook", Map.of("events", WEBHOOK_EVENTS, "status", WEBHOOK_STATUSES)),
          Map.entry(
              "WebhookAttempt",
              Map.of("status", List.of("delivered", "retrying", "failed", "disabled"))),
          Map.entry("Suppression", Map.of("reason", SUPPRESSION_REASONS)),
          Map.entry("SuppressRequest", Map.of("reason", SUPPRESSION_REASONS)),
          Map.entry(
              "SpfAnswer",
              Map.of(
                  "result",
                  List.of(
                      "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"))));

  /** The fields a request (or an answer) always has: schema → fields. */
  static final Map<String, List<String>> REQUIRED =
      Map.of(
          "SendRequest", List.of("from", "to"),
          "Attachment", List.of("filename", "content"),
          "RawSendRequest", List.of("mailFrom", "rcptTo", "raw"),
          "RegisterRequest", List.of("name"),
          "CreateKeyRequest", List.of("name"),
          "SpfRequest", List.of("ip"),
          "WebhookRequest", List.of("url", "events"),
          "Accepted", List.of("id", "status", "createdAt", "recipients"),
          "BatchItem", List.of("index", "status"),
          "Message", List.of("id", "from", "createdAt", "status", "recipients", "events"));

  @Override
  public void filterOpenAPI(OpenAPI openApi) {
    Components components = openApi.getComponents();
    if (components == null) {
      components = OASFactory.createComponents();
      openApi.setComponents(components);
    }
    components.addSecurityScheme(
        SCHEME,
        OASFactory.createSecurityScheme()
            .type(SecurityScheme.Type.HTTP)
            .scheme("bearer")
            .description(
                "An API key: `Authorization: Bearer <key>`. Missing or unknown → 401 before"
                    + " anything else is looked at."));
    openApi.setSecurity(List.of(OASFactory.createSecurityRequirement().addScheme(SCHEME)));
    components.addSchema("FieldError", fieldError());
    components.addSchema("Problem", problem());
    if (components.getSchemas() != null) {
      vocabulary(components.getSchemas());
    }
    // Every JsonNode field says what it holds (metadata: strings; detail: any JSON), yet the
    // scanner still lists Jackson's own types, whose getters (valueNode, nodeType, …) are not ours.
    components.removeSchema("JsonNode");
    components.removeSchema("JsonNodeType");

    if (openApi.getPaths() == null) {
      return;
    }
    openApi
        .getPaths()
        .getPathItems()
        .forEach(
            (path, item) -> {
              if (path.startsWith("/v1/")) {
                item.getOperations().forEach((method, op) -> refusals(path, method, op));
              }
            });
  }

  /**
   * Writes {@link #ENUMS} and {@link #REQUIRED} into the scanned schemas. A schema or property the
   * scanner did not produce is left alone (OpenApiTests notices the gap).
   */
  private static void vocabulary(Map<String, Schema> schemas) {
    ENUMS.forEach(
        (name, properties) -> {
          Schema schema = schemas.get(name);
          if (schema == null || schema.getProperties() == null) {
            return;
          }
          properties.forEach(
              (property, values) -> {
                Schema field = schema.getProperties().get(property);
                if (field == null) {
                  return;
                }
                Schema target = field.getItems() != null ? field.getItems() : field;
                target.setEnumeration(List.copyOf(values));
              });
        });
    REQUIRED.forEach(
        (name, fields) -> {
          Schema schema = schemas.get(name);
          if (schema != null) {
            schema.setRequired(List.copyOf(fields));
          }
        });
    Schema domain = schemas.get("DomainView");
    if (domain != null && domain.getProperties() != null) {
      // the latest audit, or null before the first one has finished
      domain.addProperty(
          "audit",
          OASFactory.createSchema()
              .oneOf(
                  List.of(
                      OASFactory.createSchema().ref("#/components/schemas/Audit"),
                      OASFactory.createSchema().addType(SchemaType.NULL))));
    }
  }

  /** The refusals an operation can answer with (docs/api.md, "Errors"). */
  private static void refusals(String path, PathItem.HttpMethod method, Operation op) {
    boolean hasBody = op.getRequestBody() != null;
    boolean send = method == PathItem.HttpMethod.POST && path.startsWith("/v1/messages");
    // a pre-send check refuses what the send refuses, but keeps no Idempotency-Key and takes no
    // part of the send rate
    boolean check = send && path.endsWith("/check");
    Map<String, String> refusals = new LinkedHashMap<>();
    if (hasBody) {
      refusals.put("400", "malformed_json");
    }
    refusals.put("401", "unauthorized: the API key is missing or unknown");
    if (send) {
      refusals.put("403", "forbidden_sender_domain: a registered domain outside the key's scope");
    } else if (adminOnly(path, method)) {
      refusals.put("403", "forbidden: only an admin key may do this");
    } else if (method == PathItem.HttpMethod.POST && path.equals("/v1/webhooks")) {
      refusals.put(
          "403",
          "forbidden: a domain outside the key's scope, or every domain asked by a scoped key");
    }
    if (path.contains("{")) {
      refusals.put("404", "not_found, also for what the key may not see");
    }
    if (send && !check) {
      refusals.put("409", "idempotency_conflict, idempotency_in_progress");
    } else if (method == PathItem.HttpMethod.POST && path.equals("/v1/domains")) {
      refusals.put("409", "domain_exists");
    }
    if (hasBody) {
      refusals.put(
          "408", "request_timeout: the body did not arrive within postwire.api.body-timeout");
      refusals.put("413", "payload_too_large");
      refusals.put("415", "unsupported_media_type");
    }
    boolean hasQuery =
        op.getParameters() != null
            && op.getParameters().stream().anyMatch(p -> p.getIn() == Parameter.In.QUERY);
    if (send) {
      refusals.put(
          "422", SEND_422 + (path.endsWith("/batch") ? ", batch_too_large, empty_batch" : ""));
    } else if (hasBody || hasQuery) {
      refusals.put("422", "validation_failed, with errors naming each field at fault");
    }
    if (send && !check) {
      refusals.put(
          "429",
          "rate_limited, when postwire.api.rate-limit is set, or after too many unknown API keys"
              + " from the caller's address; see Retry-After");
    } else if (method == PathItem.HttpMethod.POST && path.equals("/v1/domains/{name}/audit")) {
      refusals.put(
          "429",
          "rate_limited: an audit of the domain is running or ran within"
              + " postwire.audit.manual-interval, or after too many unknown API keys from the"
              + " caller's address; see Retry-After");
    } else {
      refusals.put(
          "429",
          "rate_limited, after too many unknown API keys from the caller's address; see"
              + " Retry-After");
    }
    refusals.put("503", "unavailable: the database does not answer or the replica is full");
    refusals.forEach(
        (status, text) -> {
          // the scanner may have listed a status without a body: ours describes it fully
          APIResponse listed =
              op.getResponses() == null ? null : op.getResponses().getAPIResponse(status);
          if (op.getResponses() != null && (listed == null || listed.getContent() == null)) {
            op.getResponses().addAPIResponse(status, problemResponse(status, text));
          }
        });
  }

  /** What a key scoped to domains may not do (docs/api.md, "Scopes"). */
  private static boolean adminOnly(String path, PathItem.HttpMethod method) {
    if (path.startsWith("/v1/api-keys")) {
      return true;
    }
    if (method == PathItem.HttpMethod.GET) {
      return false;
    }
    return path.startsWith("/v1/suppressions")
        || (path.startsWith("/v1/domains") && !path.endsWith("/audit"));
  }

  private static APIResponse problemResponse(String status, String text) {
    APIResponse response =
        OASFactory.createAPIResponse()
            .description(text)
            .content(
                OASFactory.createContent()
                    .addMediaType(
                        Problem.MEDIA_TYPE,
                        OASFactory.createMediaType()
                            .schema(OASFactory.createSchema().ref(PROBLEM))));
    if (status.equals("429") || status.equals("503")) {
      response.addHeader(
          "Retry-After",
          OASFactory.createHeader()
              .description("seconds to wait before trying again")
              .style(Header.Style.SIMPLE)
              .schema(OASFactory.createSchema().addType(SchemaType.INTEGER)));
    }
    return response;
  }

  private static Schema fieldError() {
    return OASFactory.createSchema()
        .addType(SchemaType.OBJECT)
        .description("One field's complaint")
        .addProperty(
            "field",
            string("a JSON path into the request, such as to[0] or attachments[1].filename"))
        .addProperty("message", string("what is wrong with it"));
  }

  private static Schema problem() {
    return OASFactory.createSchema()
        .addType(SchemaType.OBJECT)
        .description("RFC 9457 problem details, served as application/problem+json")
        .addProperty("type", string("urn:postwire:problem:<code>"))
        .addProperty("title", string("the HTTP status's name"))
        .addProperty("status", OASFactory.createSchema().addType(SchemaType.INTEGER))
        .addProperty("detail", string("what went wrong, for people"))
        .addProperty(
            "code",
            string(
                "the stable code clients test: malformed_json, unauthorized, forbidden, not_found, …"))
        .addProperty(
            "errors",
            OASFactory.createSchema()
                .addType(SchemaType.ARRAY)
                .items(OASFactory.createSchema().ref("#/components/schemas/FieldError")))
        .required(List.of("type", "title", "status", "code"));
  }

  private static Schema string(String description) {
    return OASFactory.createSchema().addType(SchemaType.STRING).description(description);
  }
}
