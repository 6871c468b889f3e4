package io.postwire.suppression;

import io.postwire.platform.Json;
import io.postwire.platform.Page;
import io.postwire.platform.PageRequest;
import io.postwire.platform.Refusal;
import io.postwire.security.CurrentPrincipal;
import io.postwire.suppression.SuppressionService.Suppression;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/suppressions}: addresses Postwire will not send to, per sending domain or for every
 * domain. Any key may read the entries of its domains; only admin keys change them.
 */
@Path("/v1/suppressions")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Suppressions")
public class SuppressionResource {

  private final SuppressionService suppressions;
  private final CurrentPrincipal current;
  private final Json json;

  /** The body of {@code PUT /v1/suppressions/{address}}; {@code domain} null = every domain. */
  public record SuppressRequest(String reason, String domain, String detail) {}

  /** The entries of one address. */
  public record Entries(List<Suppression> items) {}

  public SuppressionResource(SuppressionService suppressions, CurrentPrincipal current, Json json) {
    this.suppressions = suppressions;
    this.current = current;
    this.json = json;
  }

  @GET
  @Operation(summary = "List suppression entries (a scoped key sees its domains' entries)")
  public Uni<Page<Suppression>> list(
      @QueryParam("domain") String domain,
      @QueryParam("address") String address,
      @BeanParam PageRequest page) {
    return suppressions.list(current.get(), domain, address, page.limit(), page.after());
  }

  @GET
  @Path("/{address}")
  @Operation(summary = "Show the suppression entries of one address")
  @APIResponse(
      responseCode = "200",
      description = "the entries the caller may see",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = Entries.class)))
  @APIResponse(responseCode = "404", description = "no entry the caller may see")
  public Uni<Entries> get(@PathParam("address") String address) {
    return suppressions
        .entries(current.get(), address)
        .map(
            items -> {
              if (items.isEmpty()) {
                throw Refusal.notFound("Suppression");
              }
              return new Entries(items);
            });
  }

  @PUT
  @Path("/{address}")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Suppress an address for one domain, or for every domain (admin)")
  @RequestBody(
      content =
          @Content(
              schema = @Schema(implementation = SuppressRequest.class),
              examples =
                  @ExampleObject(
                      name = "unsubscribed from one domain's mail",
                      value = "{\"reason\":\"unsubscribe\",\"domain\":\"example.com\"}")))
  public Uni<Suppression> put(@PathParam("address") String address, byte[] body) {
    current.get().requireAdmin();
    SuppressRequest request = json.read(body, SuppressRequest.class);
    return suppressions.put(address, request.domain(), request.reason(), request.detail());
  }

  @DELETE
  @Path("/{address}")
  @Operation(summary = "Remove an address's entry for a domain, or its global one (admin)")
  @APIResponse(responseCode = "204", description = "removed from the list")
  public Uni<Response> delete(
      @PathParam("address") String address, @QueryParam("domain") String domain) {
    current.get().requireAdmin();
    return suppressions
        .delete(address, domain)
        .map(
            deleted -> {
              if (!deleted) {
                throw Refusal.notFound("Suppression");
              }
              return Response.noContent().build();
            });
  }
}
