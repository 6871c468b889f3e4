package io.postwire.platform;

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
 * key scheme and its requirement, the RFC 9457 problem document, and the refusals of API.md that
 * each {@code /v1} operation can answer with.
 */
public class OpenApiDocument implements OASFilter {

  static final String SCHEME = "apiKey";
  static final String PROBLEM = "#/components/schemas/Problem";

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

  /** The refusals an operation can answer with (API.md, Conventions). */
  private static void refusals(String path, PathItem.HttpMethod method, Operation op) {
    boolean hasBody = op.getRequestBody() != null;
    boolean send = method == PathItem.HttpMethod.POST && path.startsWith("/v1/messages");
    Map<String, String> refusals = new LinkedHashMap<>();
    if (hasBody) {
      refusals.put("400", "malformed_json");
    }
    refusals.put("401", "unauthorized: the API key is missing or unknown");
    if (send) {
      refusals.put("403", "forbidden_sender_domain: a registered domain outside the key's scope");
    } else if (adminOnly(path, method)) {
      refusals.put("403", "forbidden: only an admin key may do this");
    }
    if (path.contains("{")) {
      refusals.put("404", "not_found, also for what the key may not see");
    }
    if (send) {
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
    if (hasBody || hasQuery) {
      refusals.put("422", "validation_failed (with errors) and the codes of API.md");
    }
    if (send) {
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

  /** What a key scoped to domains may not do (API.md, Scopes). */
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
        .addProperty("code", string("the stable code clients test, listed in API.md"))
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
