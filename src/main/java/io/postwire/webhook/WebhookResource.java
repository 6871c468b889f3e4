package io.postwire.webhook;

import com.google.common.net.InetAddresses;
import io.postwire.domain.DomainNames;
import io.postwire.egress.EgressPolicy;
import io.postwire.event.EventTypes;
import io.postwire.platform.Json;
import io.postwire.platform.Page;
import io.postwire.platform.PageRequest;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.CurrentPrincipal;
import io.postwire.webhook.WebhookStore.WebhookAttempt;
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
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/webhooks}: subscriptions that receive events by POST (Standard Webhooks). A scoped key
 * manages only webhooks whose domains all lie within its scope; only an admin key may subscribe to
 * every domain (empty {@code domains}).
 */
@Path("/v1/webhooks")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Webhooks")
public class WebhookResource {

  /** How long a replaced secret keeps signing after a rotation. */
  static final Duration ROTATION_OVERLAP = Duration.ofHours(24);

  private static final int MAX_URL_LENGTH = 2048;

  /** The body of {@code POST /v1/webhooks}. */
  public record WebhookRequest(String url, List<String> events, List<String> domains) {}

  /** The body of {@code POST /v1/webhooks/{id}/replay}: one of the two. */
  public record ReplayRequest(Long after, List<String> eventIds) {}

  /** The answer to a replay: how many events were queued again. */
  public record ReplayAnswer(int queued) {}

  private final WebhookStore store;
  private final WebhookSecrets secrets;
  private final CurrentPrincipal current;
  private final EgressPolicy egress;
  private final Json json;

  public WebhookResource(
      WebhookStore store,
      WebhookSecrets secrets,
      CurrentPrincipal current,
      EgressPolicy egress,
      Json json) {
    this.store = store;
    this.secrets = secrets;
    this.current = current;
    this.egress = egress;
    this.json = json;
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Create a webhook; its signing secret is shown in this answer only")
  @RequestBody(
      content =
          @Content(
              schema = @Schema(implementation = WebhookRequest.class),
              examples =
                  @ExampleObject(
                      name = "bounces of one domain",
                      value =
                          "{\"url\":\"https://hooks.example.com/postwire\","
                              + "\"events\":[\"message.bounced\"],\"domains\":[\"example.com\"]}")))
  @APIResponse(responseCode = "201", description = "created, with its secret")
  public Uni<Response> create(byte[] body) {
    ApiPrincipal caller = current.get();
    WebhookRequest request = json.read(body, WebhookRequest.class);
    String url = url(request.url(), egress);
    String[] events = events(request.events());
    String[] domains = domains(request.domains(), caller);
    UUID id = UUID.randomUUID();
    byte[] key = secrets.generate();
    return store
        .create(id, caller.keyId(), url, events, domains, secrets.seal(id, key))
        .map(
            created ->
                Response.created(URI.create("/v1/webhooks/" + id))
                    .entity(created.withSecret(WebhookSecrets.text(key)))
                    .build());
  }

  @GET
  @Operation(summary = "List webhooks (a scoped key sees those within its domains)")
  public Uni<Page<Webhook>> list(@BeanParam PageRequest page) {
    int limit = page.limit();
    UUID after = page.after() == null ? null : cursor(page.after());
    return store
        .list(scope(), after, limit)
        .map(
            items ->
                new Page<>(
                    items,
                    items.size() == limit ? items.get(items.size() - 1).id().toString() : null));
  }

  @GET
  @Path("/{id}")
  @Operation(summary = "Show a webhook")
  public Uni<Webhook> get(@PathParam("id") String id) {
    return store.find(id(id), scope()).map(WebhookResource::found);
  }

  @DELETE
  @Path("/{id}")
  @Operation(summary = "Delete a webhook; nothing more is sent to it")
  @APIResponse(responseCode = "204", description = "deleted")
  public Uni<Response> delete(@PathParam("id") String id) {
    return store
        .delete(id(id), scope())
        .map(
            deleted -> {
              if (!deleted) {
                throw Refusal.notFound("Webhook");
              }
              return Response.noContent().build();
            });
  }

  @POST
  @Path("/{id}/rotate-secret")
  @Operation(
      summary =
          "Give a webhook a new secret (shown once); the old one keeps signing for 24 hours,"
              + " both signatures are sent")
  public Uni<Webhook> rotate(@PathParam("id") String id) {
    UUID webhook = id(id);
    byte[] key = secrets.generate();
    return store
        .rotate(webhook, scope(), secrets.seal(webhook, key), ROTATION_OVERLAP)
        .map(found -> found(found).withSecret(WebhookSecrets.text(key)));
  }

  @GET
  @Path("/{id}/deliveries")
  @Operation(summary = "The webhook's delivery attempts, newest first")
  public Uni<Page<WebhookAttempt>> deliveries(
      @PathParam("id") String id, @BeanParam PageRequest page) {
    UUID webhook = id(id);
    int limit = page.limit();
    Long before = page.after() == null ? null : attemptCursor(page.after());
    return store
        .find(webhook, scope())
        .map(WebhookResource::found)
        .chain(() -> store.attempts(webhook, before, limit))
        .map(
            items ->
                new Page<>(
                    items,
                    items.size() == limit
                        ? Long.toString(items.get(items.size() - 1).id())
                        : null));
  }

  @POST
  @Path("/{id}/replay")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(
      summary =
          "Send events again: every one after a seq, or the ones named; a disabled webhook is"
              + " active again")
  @RequestBody(
      content =
          @Content(
              schema = @Schema(implementation = ReplayRequest.class),
              examples = @ExampleObject(name = "after a seq", value = "{\"after\":1200}")))
  @APIResponse(responseCode = "202", description = "queued again")
  public Uni<Response> replay(@PathParam("id") String id, byte[] body) {
    UUID webhook = id(id);
    ReplayRequest request = json.read(body, ReplayRequest.class);
    if ((request.after() == null) == (request.eventIds() == null)) {
      throw Refusal.field("validation_failed", "after", "give either after or eventIds");
    }
    Uni<Integer> queued;
    if (request.after() != null) {
      long after = request.after();
      if (after < 0) {
        throw Refusal.field("validation_failed", "after", "must be a seq: a whole number from 0");
      }
      queued =
          store
              .find(webhook, scope())
              .map(WebhookResource::found)
              .chain(() -> store.replayAfter(webhook, after));
    } else {
      if (request.eventIds().size() > Page.MAX_LIMIT) {
        throw Refusal.field("validation_failed", "eventIds", "at most " + Page.MAX_LIMIT + " ids");
      }
      UUID[] ids = new UUID[request.eventIds().size()];
      for (int i = 0; i < ids.length; i++) {
        try {
          ids[i] = UUID.fromString(String.valueOf(request.eventIds().get(i)));
        } catch (IllegalArgumentException e) {
          throw Refusal.field("validation_failed", "eventIds[" + i + "]", "not an event id");
        }
      }
      queued =
          store
              .find(webhook, scope())
              .map(WebhookResource::found)
              .chain(() -> store.replayIds(webhook, ids));
    }
    return queued.map(n -> Response.accepted(new ReplayAnswer(n)).build());
  }

  private String[] scope() {
    ApiPrincipal caller = current.get();
    return caller.admin() ? null : caller.domains().toArray(String[]::new);
  }

  private static Webhook found(Webhook webhook) {
    if (webhook == null) {
      throw Refusal.notFound("Webhook");
    }
    return webhook;
  }

  private static UUID id(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw Refusal.notFound("Webhook");
    }
  }

  private static UUID cursor(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw Refusal.field("validation_failed", "after", "not a cursor this API gave");
    }
  }

  private static Long attemptCursor(String text) {
    if (!text.matches("\\d{1,18}")) {
      throw Refusal.field("validation_failed", "after", "not a cursor this API gave");
    }
    return Long.parseLong(text);
  }

  /**
   * An http or https URL with a host. A host given as an address must be one the egress policy
   * allows; a name is resolved and checked at each delivery, through the service's DNS.
   */
  static String url(String url, EgressPolicy egress) {
    if (url == null || url.isBlank()) {
      throw Refusal.field("validation_failed", "url", "required");
    }
    if (url.length() > MAX_URL_LENGTH) {
      throw Refusal.field("validation_failed", "url", "longer than 2048 characters");
    }
    URI uri;
    try {
      uri = new URI(url.strip());
    } catch (URISyntaxException e) {
      throw Refusal.field("validation_failed", "url", "not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw Refusal.field("validation_failed", "url", "must be an https or http URL");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty() || uri.getRawUserInfo() != null) {
      throw Refusal.field("validation_failed", "url", "must name a host (and no user)");
    }
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (InetAddresses.isInetAddress(bare) && !egress.permits(InetAddresses.forString(bare))) {
      throw Refusal.field("validation_failed", "url", EgressPolicy.REFUSED);
    }
    return uri.toString();
  }

  /** The event types, or {@code ["*"]}; at least one. */
  static String[] events(List<String> events) {
    if (events == null || events.isEmpty()) {
      throw Refusal.field("validation_failed", "events", "at least one type, or \"*\"");
    }
    Set<String> types = new LinkedHashSet<>();
    for (int i = 0; i < events.size(); i++) {
      String type = events.get(i);
      if ("*".equals(type)) {
        if (events.size() > 1) {
          throw Refusal.field(
              "validation_failed", "events", "\"*\" stands alone: it means every type");
        }
      } else if (type == null || !EventTypes.PUBLIC.contains(type)) {
        throw Refusal.field("validation_failed", "events[" + i + "]", "unknown event type");
      }
      types.add(type);
    }
    return types.toArray(String[]::new);
  }

  /**
   * The domains, normalized. Empty means every domain, which only an admin key may ask for; a
   * scoped key may name only domains it may use.
   */
  static String[] domains(List<String> domains, ApiPrincipal caller) {
    List<String> names = new ArrayList<>();
    if (domains != null) {
      for (int i = 0; i < domains.size(); i++) {
        String name = domains.get(i) == null ? null : DomainNames.normalize(domains.get(i));
        if (name == null) {
          throw Refusal.field("validation_failed", "domains[" + i + "]", "not a domain name");
        }
        if (!caller.mayUse(name)) {
          throw Refusal.forbidden("The key may not use the domain " + name);
        }
        if (!names.contains(name)) {
          names.add(name);
        }
      }
    }
    if (names.isEmpty() && !caller.admin()) {
      throw Refusal.forbidden("Only an admin key may subscribe to every domain");
    }
    return names.toArray(String[]::new);
  }
}
