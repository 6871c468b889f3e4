package io.postwire.inboxtest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.postwire.inbound.InboundConfig;
import io.postwire.platform.Json;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/inbox-tests}: a one-time address on the inbound listener and the report on the first
 * message that arrives there. The key that created a test sees it; an admin key sees every test; an
 * expired test is gone (404).
 */
@Path("/v1/inbox-tests")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Inbox tests")
public class InboxTestResource {

  /** The answer to {@code POST /v1/inbox-tests}. */
  public record InboxTestCreated(UUID id, String address, OffsetDateTime expiresAt) {}

  /** An inbox test and, once its message arrived, the report. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record InboxTest(
      UUID id,
      String address,
      OffsetDateTime expiresAt,
      @Schema(enumeration = {"waiting", "received"}) String status,
      OffsetDateTime receivedAt,
      @Schema(implementation = InboxReport.class) JsonNode report) {}

  private final InboxTestStore store;
  private final InboxTestConfig config;
  private final InboundConfig inbound;
  private final CurrentPrincipal current;
  private final Json json;

  public InboxTestResource(
      InboxTestStore store,
      InboxTestConfig config,
      InboundConfig inbound,
      CurrentPrincipal current,
      Json json) {
    this.store = store;
    this.config = config;
    this.inbound = inbound;
    this.current = current;
    this.json = json;
  }

  @POST
  @Operation(
      summary = "Create an inbox test: an address to send a message to, valid until expiresAt")
  @APIResponse(responseCode = "201", description = "created")
  @APIResponse(
      responseCode = "422",
      description = "inbound_not_configured: postwire.inbound.domain is not set")
  public Uni<Response> create() {
    ApiPrincipal caller = current.get();
    String domain =
        inbound
            .domain()
            .map(d -> d.strip().toLowerCase(Locale.ROOT))
            .filter(d -> !d.isEmpty())
            .orElseThrow(
                () ->
                    Refusal.invalid(
                        "inbound_not_configured",
                        "Inbox tests need the inbound listener: set postwire.inbound.domain"
                            + " (POSTWIRE_INBOUND_DOMAIN) to the domain whose MX points at it",
                        List.of()));
    UUID id = UUID.randomUUID();
    String token = InboxTokens.next();
    String address = InboxTestMailbox.PREFIX + token + "@" + domain;
    return store
        .create(id, caller.keyId(), token, address, config.ttl())
        .map(
            expiresAt ->
                Response.created(URI.create("/v1/inbox-tests/" + id))
                    .entity(new InboxTestCreated(id, address, expiresAt))
                    .build());
  }

  @GET
  @Path("/{id}")
  @Operation(
      summary = "Show an inbox test: waiting, or received with how a receiving server saw it")
  public Uni<InboxTest> get(@PathParam("id") String id) {
    ApiPrincipal caller = current.get();
    UUID uuid;
    try {
      uuid = UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw Refusal.notFound("Inbox test");
    }
    return store
        .find(uuid, caller.admin() ? null : caller.keyId())
        .map(
            found -> {
              if (found == null) {
                throw Refusal.notFound("Inbox test");
              }
              JsonNode report =
                  found.report() == null
                      ? null
                      : json.tree(found.report().getBytes(StandardCharsets.UTF_8));
              return new InboxTest(
                  found.id(),
                  found.address(),
                  found.expiresAt(),
                  report == null ? "waiting" : "received",
                  found.receivedAt(),
                  report);
            });
  }
}
