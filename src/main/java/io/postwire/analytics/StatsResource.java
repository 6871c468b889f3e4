package io.postwire.analytics;

import io.postwire.domain.DomainNames;
import io.postwire.platform.Page;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code GET /v1/stats}: counts and rates per interval, sending domain and provider, recipient
 * domain or tag, from the rollups; JSON, or CSV (RFC 4180) for {@code Accept: text/csv}.
 */
@Path("/v1/stats")
@Tag(name = "Analytics")
public class StatsResource {

  /** The CSV media type (RFC 4180). */
  public static final String CSV = "text/csv";

  private final StatsQuery stats;
  private final CurrentPrincipal current;
  private final AnalyticsConfig config;

  public StatsResource(StatsQuery stats, CurrentPrincipal current, AnalyticsConfig config) {
    this.stats = stats;
    this.current = current;
    this.config = config;
  }

  @GET
  @Produces({MediaType.APPLICATION_JSON, CSV})
  @Operation(
      summary =
          "Delivery statistics per hour or day, per sending domain and provider, recipient domain"
              + " or tag (a scoped key sees its domains)")
  public Uni<Response> stats(
      @Parameter(description = "only this sending domain") @QueryParam("domain") String domain,
      @Parameter(
              description =
                  "RFC 3339 start, rounded down to the interval (default: 24 hours, or 30 days"
                      + " for interval=day, before to)")
          @QueryParam("from")
          String from,
      @Parameter(description = "RFC 3339 end, exclusive (default now)") @QueryParam("to") String to,
      @Parameter(
              schema =
                  @Schema(
                      enumeration = {"hour", "day"},
                      defaultValue = "hour"))
          @QueryParam("interval")
          String interval,
      @Parameter(schema = @Schema(enumeration = {"provider", "recipientDomain", "tag"}))
          @QueryParam("groupBy")
          String groupBy,
      @Parameter(
              description = Page.LIMIT_DOC,
              schema =
                  @Schema(
                      type = SchemaType.INTEGER,
                      minimum = "1",
                      maximum = "500",
                      defaultValue = "50"))
          @QueryParam("limit")
          String limit,
      @Parameter(description = "the next cursor of the previous page") @QueryParam("after")
          String after,
      @HeaderParam(HttpHeaders.ACCEPT) String accept) {
    StatsQuery.Request request = request(domain, from, to, interval, groupBy, limit, after);
    boolean csv = wantsCsv(accept);
    return stats
        .items(request)
        .map(
            items -> {
              boolean more = items.size() > request.limit();
              List<Map<String, Object>> page = more ? items.subList(0, request.limit()) : items;
              String next = more ? Long.toString(request.offset() + request.limit()) : null;
              if (csv) {
                Response.ResponseBuilder r =
                    Response.ok(Csv.write(StatsQuery.fields(request.groupBy()), page))
                        .type(CSV + "; charset=utf-8");
                return (next == null ? r : r.header("X-Next-Cursor", next)).build();
              }
              Map<String, Object> body = new LinkedHashMap<>();
              body.put("items", page);
              body.put("next", next);
              return Response.ok(body).type(MediaType.APPLICATION_JSON).build();
            });
  }

  /** CSV when the client names text/csv and prefers it over JSON (or names only it). */
  static boolean wantsCsv(String accept) {
    if (accept == null) {
      return false;
    }
    String a = accept.toLowerCase(Locale.ROOT);
    int csv = a.indexOf(CSV);
    if (csv < 0) {
      return false;
    }
    int json = a.indexOf(MediaType.APPLICATION_JSON);
    return json < 0 || csv < json;
  }

  private StatsQuery.Request request(
      String domain,
      String from,
      String to,
      String interval,
      String groupBy,
      String limit,
      String after) {
    ApiPrincipal caller = current.get();
    StatsQuery.Interval unit = interval(interval);
    StatsQuery.GroupBy by = groupBy(groupBy);
    int size = Page.limit(limit);
    long offset = offset(after);
    Instant end = instant("to", to, Instant.now());
    Duration defaultSpan =
        unit == StatsQuery.Interval.DAY ? Duration.ofDays(30) : Duration.ofDays(1);
    Instant start = instant("from", from, end.minus(defaultSpan));
    // buckets are whole hours or whole UTC days
    start = start.truncatedTo(unit == StatsQuery.Interval.DAY ? ChronoUnit.DAYS : ChronoUnit.HOURS);
    if (!start.isBefore(end)) {
      throw Refusal.field("validation_failed", "from", "must be before to");
    }
    Duration max = unit == StatsQuery.Interval.DAY ? config.maxDayRange() : config.maxHourRange();
    if (Duration.between(start, end).compareTo(max) > 0) {
      throw Refusal.field(
          "validation_failed",
          "from",
          "the range may span at most " + max.toDays() + " days with interval=" + unit.wire());
    }
    String[] domains = caller.admin() ? null : caller.domains().toArray(String[]::new);
    if (domain != null && !domain.isBlank()) {
      String name = DomainNames.normalize(domain);
      if (name == null) {
        throw Refusal.field("validation_failed", "domain", "not a domain name");
      }
      if (!caller.mayUse(name)) {
        throw Refusal.forbidden("This API key may not read the statistics of " + name);
      }
      domains = new String[] {name};
    }
    return new StatsQuery.Request(domains, start, end, unit, by, size, offset);
  }

  private static StatsQuery.Interval interval(String value) {
    if (value == null || value.isBlank()) {
      return StatsQuery.Interval.HOUR;
    }
    for (StatsQuery.Interval i : StatsQuery.Interval.values()) {
      if (i.wire().equals(value.strip())) {
        return i;
      }
    }
    throw Refusal.field("validation_failed", "interval", "must be hour or day");
  }

  private static StatsQuery.GroupBy groupBy(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    for (StatsQuery.GroupBy g : StatsQuery.GroupBy.values()) {
      if (g.field().equals(value.strip())) {
        return g;
      }
    }
    throw Refusal.field("validation_failed", "groupBy", "must be provider, recipientDomain or tag");
  }

  private static Instant instant(String field, String value, Instant otherwise) {
    if (value == null || value.isBlank()) {
      return otherwise;
    }
    try {
      return OffsetDateTime.parse(value.strip()).toInstant();
    } catch (DateTimeParseException e) {
      throw Refusal.field(
          "validation_failed", field, "must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z");
    }
  }

  private static long offset(String after) {
    if (after == null || after.isBlank()) {
      return 0;
    }
    try {
      long value = Long.parseLong(after.strip());
      if (value >= 0 && value <= 10_000_000) {
        return value;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw Refusal.field("validation_failed", "after", "must be the next cursor of a page");
  }
}
