package io.postwire.suppression;

import io.postwire.platform.ApiException;
import io.postwire.platform.Json;
import io.postwire.platform.Page;
import io.postwire.security.CurrentPrincipal;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
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
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code /v1/suppressions}: addresses Postwire will not send to. Any key may read the list; only
 * admin keys change it.
 */
@Path("/v1/suppressions")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Suppressions")
public class SuppressionResource {

  private static final Set<String> REASONS =
      Set.of("manual", "hard_bounce", "complaint", "unsubscribe");

  private final Pool pool;
  private final CurrentPrincipal current;
  private final Json json;

  /** A suppressed address. */
  public record Suppression(
      String address, String reason, String detail, OffsetDateTime createdAt) {}

  /** The body of {@code PUT /v1/suppressions/{address}}. */
  public record SuppressRequest(String reason, String detail) {}

  public SuppressionResource(Pool pool, CurrentPrincipal current, Json json) {
    this.pool = pool;
    this.current = current;
    this.json = json;
  }

  @GET
  @Operation(summary = "List suppressed addresses")
  public Uni<Page<Suppression>> list(
      @QueryParam("limit") Integer limit, @QueryParam("after") String after) {
    int size = Page.limit(limit);
    return pool.preparedQuery(
            "select address, reason, detail, created_at from suppression"
                + " where ($1::text is null or address > $1) order by address limit $2")
        .execute(Tuple.of(after, size + 1))
        .map(
            rows -> {
              List<Suppression> items = new ArrayList<>();
              rows.forEach(r -> items.add(row(r)));
              if (items.size() > size) {
                return new Page<>(items.subList(0, size), items.get(size - 1).address());
              }
              return new Page<>(items, null);
            });
  }

  @GET
  @Path("/{address}")
  @Operation(summary = "Show one suppressed address")
  public Uni<Suppression> get(@PathParam("address") String address) {
    return pool.preparedQuery(
            "select address, reason, detail, created_at from suppression where address = $1")
        .execute(Tuple.of(normalize(address)))
        .map(
            rows -> {
              if (!rows.iterator().hasNext()) {
                throw ApiException.notFound("Suppression");
              }
              return row(rows.iterator().next());
            });
  }

  @PUT
  @Path("/{address}")
  @Consumes(MediaType.APPLICATION_JSON)
  @Operation(summary = "Suppress an address (admin)")
  @RequestBody(content = @Content(schema = @Schema(implementation = SuppressRequest.class)))
  public Uni<Suppression> put(@PathParam("address") String address, byte[] body) {
    current.get().requireAdmin();
    SuppressRequest request = json.read(body, SuppressRequest.class);
    String reason = request.reason() == null ? "manual" : request.reason();
    if (!REASONS.contains(reason)) {
      throw ApiException.field(
          "validation_failed", "reason", "one of manual, hard_bounce, complaint, unsubscribe");
    }
    String normalized =
        io.postwire.message.Mailbox.parse(address, "address").address().toLowerCase(Locale.ROOT);
    return pool.preparedQuery(
            "insert into suppression (address, reason, detail) values ($1, $2, $3)"
                + " on conflict (address) do update set reason = excluded.reason,"
                + " detail = excluded.detail returning address, reason, detail, created_at")
        .execute(Tuple.of(normalized, reason, request.detail()))
        .map(rows -> row(rows.iterator().next()));
  }

  @DELETE
  @Path("/{address}")
  @Operation(summary = "Remove an address from the suppression list (admin)")
  @APIResponse(responseCode = "204", description = "removed from the list")
  public Uni<Response> delete(@PathParam("address") String address) {
    current.get().requireAdmin();
    return pool.preparedQuery("delete from suppression where address = $1")
        .execute(Tuple.of(normalize(address)))
        .map(
            rows -> {
              if (rows.rowCount() == 0) {
                throw ApiException.notFound("Suppression");
              }
              return Response.noContent().build();
            });
  }

  private static String normalize(String address) {
    return address == null ? "" : address.trim().toLowerCase(Locale.ROOT);
  }

  private static Suppression row(Row r) {
    return new Suppression(
        r.getString("address"),
        r.getString("reason"),
        r.getString("detail"),
        r.getOffsetDateTime("created_at"));
  }
}
