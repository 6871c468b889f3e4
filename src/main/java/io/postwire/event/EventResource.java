package io.postwire.event;

import io.postwire.domain.DomainNames;
import io.postwire.platform.Page;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** {@code GET /v1/events}: every recipient state change, in seq order, for catching up. */
@Path("/v1/events")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Events")
public class EventResource {

  /** A page of events; {@code next} is the seq to pass as {@code after} for the next page. */
  public record EventPage(List<EventView> items, long next) {}

  private final EventStore events;
  private final CurrentPrincipal current;

  public EventResource(EventStore events, CurrentPrincipal current) {
    this.events = events;
    this.current = current;
  }

  @GET
  @Operation(
      summary =
          "List events after a seq (a scoped key sees its domains' events); poll with the"
              + " returned next")
  public Uni<EventPage> list(
      @Parameter(description = "the seq of the last event already seen (default 0)")
          @QueryParam("after")
          String after,
      @Parameter(description = "comma list of event types, e.g. message.delivered,message.bounced")
          @QueryParam("types")
          String types,
      @Parameter(description = "only this sending domain's events") @QueryParam("domain")
          String domain,
      @Parameter(
              description = Page.LIMIT_DOC,
              schema =
                  @Schema(
                      type = SchemaType.INTEGER,
                      minimum = "1",
                      maximum = "500",
                      defaultValue = "50"))
          @QueryParam("limit")
          String limit) {
    int size = Page.limit(limit);
    long from = seq(after);
    String[] stored = types(types);
    ApiPrincipal caller = current.get();
    String[] scope = caller.admin() ? null : caller.domains().toArray(String[]::new);
    String only = null;
    if (domain != null && !domain.isBlank()) {
      only = DomainNames.normalize(domain);
      if (only == null) {
        throw Refusal.field("validation_failed", "domain", "not a domain name");
      }
    }
    return events
        .page(from, scope, stored, only, size)
        .map(
            items ->
                new EventPage(items, items.isEmpty() ? from : items.get(items.size() - 1).seq()));
  }

  /** The seq of {@code ?after=}: a whole number from 0, default 0. */
  static long seq(String after) {
    if (after == null || after.isBlank()) {
      return 0;
    }
    try {
      long value = Long.parseLong(after.strip());
      if (value >= 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw Refusal.field("validation_failed", "after", "must be a seq: a whole number from 0");
  }

  /** The stored names of {@code ?types=}, or null for every type; an unknown type is a 422. */
  static String[] types(String types) {
    if (types == null || types.isBlank()) {
      return null;
    }
    List<String> stored = new ArrayList<>();
    for (String t : types.split(",")) {
      String name = t.strip();
      if (!EventTypes.PUBLIC.contains(name)) {
        throw Refusal.field("validation_failed", "types", "unknown event type: " + name);
      }
      stored.add(EventTypes.stored(name));
    }
    return stored.toArray(String[]::new);
  }
}
