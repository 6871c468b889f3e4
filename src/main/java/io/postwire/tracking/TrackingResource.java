package io.postwire.tracking;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postwire.platform.ProblemMapper;
import io.postwire.platform.Refusal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HEAD;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The tracking links recipients follow (no API key; outside {@code /v1}): {@code GET /t/o/<token>}
 * answers the open pixel, {@code GET|HEAD /t/c/<token>} redirects to the link's original URL. Only
 * a token this service made gets either: a forged, altered or over-long token is 404 before
 * anything else (no database, no body read), so {@code /t/c/} is never an open redirect. The answer
 * waits for the event's write at most {@code postwire.tracking.write-wait}.
 */
@Path("/t")
@Tag(name = "tracking")
public class TrackingResource {

  /** A transparent 1×1 GIF, the same bytes for every open. */
  static final byte[] PIXEL =
      Base64.getDecoder().decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

  private final TrackingTokens tokens;
  private final TrackingEvents events;
  private final int maxClickToken;

  public TrackingResource(TrackingTokens tokens, TrackingEvents events, TrackingConfig config) {
    this.tokens = tokens;
    this.events = events;
    this.maxClickToken = TrackingTokens.maxClickToken(config.maxUrlLength());
  }

  @GET
  @Path("/o/{token}")
  @Operation(summary = "The open pixel of a tracked message (a 1×1 GIF); records message.opened")
  public Uni<Response> open(
      @PathParam("token") String token, @HeaderParam(HttpHeaders.USER_AGENT) String userAgent) {
    Optional<UUID> message = tokens.verifyOpen(token);
    if (message.isEmpty()) {
      return Uni.createFrom().item(notFound());
    }
    ObjectNode detail = JsonNodeFactory.instance.objectNode();
    detail.put("userAgent", MachineAgents.stored(userAgent));
    TrackingEvents.Hit hit =
        new TrackingEvents.Hit(
            message.get(),
            "opened",
            detail.toString(),
            MachineAgents.machineOpen(userAgent),
            TrackingEvents.now());
    return events
        .record(hit)
        .map(
            v ->
                Response.ok(PIXEL, "image/gif")
                    .header(HttpHeaders.CACHE_CONTROL, "no-store, max-age=0")
                    .header("Pragma", "no-cache")
                    .build());
  }

  @GET
  @Path("/c/{token}")
  @Operation(
      summary = "A tracked link: 302 to its original URL; records message.clicked",
      description = "Only links this service rewrote redirect; any other token is 404.")
  public Uni<Response> click(
      @PathParam("token") String token, @HeaderParam(HttpHeaders.USER_AGENT) String userAgent) {
    return click("GET", token, userAgent);
  }

  @HEAD
  @Path("/c/{token}")
  @Operation(summary = "As GET; a HEAD request is a link scanner's, flagged machine")
  public Uni<Response> clickHead(
      @PathParam("token") String token, @HeaderParam(HttpHeaders.USER_AGENT) String userAgent) {
    return click("HEAD", token, userAgent);
  }

  private Uni<Response> click(String method, String token, String userAgent) {
    Optional<TrackingTokens.Click> click = tokens.verifyClick(token, maxClickToken);
    if (click.isEmpty()) {
      return Uni.createFrom().item(notFound());
    }
    TrackingTokens.Click c = click.get();
    ObjectNode detail = JsonNodeFactory.instance.objectNode();
    detail.put("url", c.url());
    detail.put("link", c.index());
    detail.put("userAgent", MachineAgents.stored(userAgent));
    TrackingEvents.Hit hit =
        new TrackingEvents.Hit(
            c.messageId(),
            "clicked",
            detail.toString(),
            MachineAgents.machineClick(method, userAgent),
            TrackingEvents.now());
    String location = location(c.url());
    return events
        .record(hit)
        .map(
            v ->
                Response.status(302)
                    .header(HttpHeaders.LOCATION, location)
                    .header(HttpHeaders.CACHE_CONTROL, "no-store")
                    .header("Referrer-Policy", "no-referrer")
                    .build());
  }

  /**
   * The URL as a {@code Location} value: printable ASCII kept as written, anything else (spaces,
   * non-ASCII) percent-encoded as UTF-8, as a browser would before requesting it.
   */
  static String location(String url) {
    StringBuilder out = new StringBuilder(url.length() + 16);
    for (byte b : url.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c > 0x20 && c < 0x7f) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        out.append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return out.toString();
  }

  private static Response notFound() {
    return ProblemMapper.response(Refusal.notFound("tracking link"));
  }
}
