package io.postwire.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postwire.platform.Json;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** Reads sequenced events: the only ones anything outside the outbox ever sees. */
@ApplicationScoped
public class EventStore {

  /**
   * The columns of an {@link EventView}, for an event {@code e} left-joined to its message {@code
   * m} (a domain event has none: its domain is its own, it has no tags).
   */
  public static final String COLUMNS =
      "e.uid, e.seq, "
          + EventTypes.publicSql("e")
          + " as public_type, e.at, e.message_id, coalesce(m.domain, e.domain) as domain, e.recipient, coalesce(m.tags, '{}') as tags,"
          + " m.metadata::text as metadata, e.detail::text as detail";

  // A scoped key sees the events of messages sent under the current registration of its domains
  // (as GET /v1/messages does), and its domains' own events; $2 null = admin.
  private static final String PAGE =
      "select "
          + COLUMNS
          + " from event e left join message m on m.id = e.message_id"
          + " where e.seq > $1 and e.type not in "
          + EventTypes.INTERNAL_SQL
          + " and ($2::text[] is null or m.domain_id = any(array(select id from domain"
          + " where name = any($2))) or (e.message_id is null and e.domain = any($2)))"
          + " and ($3::text[] is null or e.type = any($3))"
          + " and ($4::text is null or coalesce(m.domain, e.domain) = $4)"
          + " order by e.seq limit $5";

  private final Pool pool;
  private final ObjectMapper mapper;

  public EventStore(Pool pool, Json json) {
    this.pool = pool;
    this.mapper = json.mapper();
  }

  /**
   * Up to {@code limit} events after {@code after} in seq order. {@code domains} null = every
   * domain; {@code types} (stored names) and {@code domain} null = no filter.
   */
  public Uni<List<EventView>> page(
      long after, String[] domains, String[] types, String domain, int limit) {
    return pool.preparedQuery(PAGE)
        .execute(Tuple.of(after, domains, types, domain, limit))
        .map(
            rows -> {
              List<EventView> items = new ArrayList<>();
              for (Row row : rows) {
                items.add(view(row));
              }
              return items;
            });
  }

  /** The event of a row selected with {@link #COLUMNS}. */
  public EventView view(Row row) {
    return new EventView(
        row.getUUID("uid"),
        row.getLong("seq"),
        row.getString("public_type"),
        row.getOffsetDateTime("at"),
        row.getUUID("message_id"),
        row.getString("domain"),
        row.getString("recipient"),
        List.of(row.getArrayOfStrings("tags")),
        tree(row.getString("metadata")),
        tree(row.getString("detail")));
  }

  private JsonNode tree(String text) {
    if (text == null) {
      return null;
    }
    try {
      return mapper.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Stored JSON does not parse", e);
    }
  }
}
