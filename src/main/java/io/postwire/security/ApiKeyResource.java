package io.postwire.security;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.postwire.platform.Json;
import io.postwire.platform.Page;
import io.postwire.platform.PageRequest;
import io.postwire.platform.Refusal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /v1/api-keys}: admin keys manage the keys other services use. */
@Path("/v1/api-keys")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "API keys")
public class ApiKeyResource {

  private final ApiKeyService keys;
  private final CurrentPrincipal current;
  private final Json json;

  /** The body of {@code POST /v1/api-keys}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CreateKeyRequest(String name, List<String> domains, Boolean admin) {}

  public ApiKeyResource(ApiKeyService keys, CurrentPrincipal current, Json json) {
    this.keys = keys;
    this.current = current;
    this.json = json;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Create an API key (admin); the secret is shown once")
  @RequestBody(content = @Content(schema = @Schema(implementation = CreateKeyRequest.class)))
  @APIResponse(
      responseCode = "201",
      description = "created; the only answer that shows the secret",
      headers = @Header(name = "Location", description = "the new resource"),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = ApiKeyService.CreatedKey.class)))
  public Uni<Response> create(byte[] body) {
    current.get().requireAdmin();
    CreateKeyRequest request = json.read(body, CreateKeyRequest.class);
    return keys.create(request.name(), Boolean.TRUE.equals(request.admin()), request.domains())
        .map(
            created ->
                Response.created(URI.create("/v1/api-keys/" + created.id()))
                    .entity(created)
                    .build());
  }

  @GET
  @Operation(summary = "List API keys (admin), never their secrets")
  public Uni<Page<ApiKeyService.ApiKeyView>> list(@BeanParam PageRequest page) {
    current.get().requireAdmin();
    return keys.list(page.limit(), page.after());
  }

  @DELETE
  @Path("/{id}")
  @Operation(summary = "Revoke an API key (admin)")
  @APIResponse(responseCode = "204", description = "revoked")
  public Uni<Response> delete(@PathParam("id") String id) {
    current.get().requireAdmin();
    return keys.delete(id)
        .map(
            deleted -> {
              if (!deleted) {
                throw Refusal.notFound("API key");
              }
              return Response.noContent().build();
            });
  }
}
