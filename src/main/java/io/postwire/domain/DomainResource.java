package io.postwire.domain;

import io.postwire.dkim.DkimAlgorithm;
import io.postwire.dkim.DkimKeyService;
import io.postwire.platform.Json;
import io.postwire.platform.Page;
import io.postwire.platform.PageRequest;
import io.postwire.platform.Refusal;
import io.postwire.security.CurrentPrincipal;
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
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code /v1/domains}: the sending domains. */
@Path("/v1/domains")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Domains")
public class DomainResource {

  private final DomainService domains;
  private final DomainViews views;
  private final CurrentPrincipal current;
  private final Json json;
  private final DkimKeyService keys;

  /** The body of {@code POST /v1/domains}. */
  public record RegisterRequest(String name, DkimOptions dkim, String returnPath) {
    /** Which DKIM algorithms to generate keys for. */
    public record DkimOptions(List<String> algorithms) {}
  }

  public DomainResource(
      DomainService domains,
      DomainViews views,
      CurrentPrincipal current,
      Json json,
      DkimKeyService keys) {
    this.keys = keys;
    this.domains = domains;
    this.views = views;
    this.current = current;
    this.json = json;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Register a sending domain (admin)")
  @RequestBody(
      content =
          @Content(
              schema = @Schema(implementation = RegisterRequest.class),
              examples =
                  @ExampleObject(
                      name = "dual signing",
                      value =
                          "{\"name\":\"example.com\",\"dkim\":{\"algorithms\":"
                              + "[\"rsa-sha256\",\"ed25519-sha256\"]}}")))
  @APIResponse(
      responseCode = "201",
      description = "registered, with the DNS records to publish",
      headers = @Header(name = "Location", description = "the new resource"),
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = DomainViews.DomainView.class)))
  public Uni<Response> register(byte[] body) {
    current.get().requireAdmin();
    RegisterRequest request = json.read(body, RegisterRequest.class);
    List<String> algorithms =
        request.dkim() == null || request.dkim().algorithms() == null
            ? List.of()
            : request.dkim().algorithms();
    return views
        .register(request.name(), algorithms, request.returnPath())
        .map(
            view ->
                Response.created(URI.create("/v1/domains/" + view.name())).entity(view).build());
  }

  @GET
  @Operation(summary = "List the sending domains this key may see")
  public Uni<Page<DomainViews.DomainView>> list(@BeanParam PageRequest page) {
    return domains
        .list(current.get(), page.limit(), page.after())
        .chain(found -> views.views(found.items()).map(items -> new Page<>(items, found.next())));
  }

  @GET
  @Path("/{name}")
  @Operation(summary = "Show a sending domain, its DKIM keys and the DNS records to publish")
  public Uni<DomainViews.DomainView> get(@PathParam("name") String name) {
    return domains.get(current.get(), name).chain(views::view);
  }

  /** The body of {@code POST /v1/domains/{name}/dkim-keys}. */
  public record RotateRequest(String algorithm, Boolean activate) {}

  @POST
  @Path("/{name}/dkim-keys")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Rotate: add a DKIM key (pending until published, or active at once)")
  @RequestBody(content = @Content(schema = @Schema(implementation = RotateRequest.class)))
  @APIResponse(
      responseCode = "201",
      description = "the new key",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = DkimKeyService.KeyView.class)))
  public Uni<Response> rotate(@PathParam("name") String name, byte[] body) {
    current.get().requireAdmin();
    RotateRequest request = json.read(body, RotateRequest.class);
    DkimAlgorithm algorithm =
        DkimKeyService.algorithms(
                request.algorithm() == null ? List.of() : List.of(request.algorithm()), "algorithm")
            .get(0);
    return domains
        .get(current.get(), name)
        .chain(
            domain -> keys.rotate(domain.name, algorithm, Boolean.TRUE.equals(request.activate())))
        .map(key -> Response.status(201).entity(key).build());
  }

  @DELETE
  @Path("/{name}")
  @Operation(summary = "Remove a sending domain (admin); its queued mail fails")
  @APIResponse(responseCode = "204", description = "removed")
  public Uni<Response> delete(@PathParam("name") String name) {
    current.get().requireAdmin();
    return domains
        .delete(name)
        .map(
            deleted -> {
              if (!deleted) {
                throw Refusal.notFound("Domain");
              }
              return Response.noContent().build();
            });
  }
}
