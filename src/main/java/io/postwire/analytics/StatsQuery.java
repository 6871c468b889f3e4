package io.postwire.analytics;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the rollups for {@code GET /v1/stats}: a sum over the hourly rows of the range, grouped by
 * interval, sending domain and the chosen dimension. The rows read grow with the range and the
 * distinct dimensions, never with the number of events.
 */
@ApplicationScoped
public class StatsQuery {

  /** The interval a bucket spans. */
  public enum Interval {
    HOUR,
    DAY;

    /** The wire name. */
    public String wire() {
      return name().toLowerCase();
    }
  }

  /** The dimension items are grouped by besides time and domain. */
  public enum GroupBy {
    PROVIDER("provider", "s.provider"),
    RECIPIENT_DOMAIN("recipientDomain", "s.recipient_domain"),
    TAG("tag", "s.tag");

    final String field;
    final String column;

    GroupBy(String field, String column) {
      this.field = field;
      this.column = column;
    }

    /** The wire name (also the item's field). */
    public String field() {
      return field;
    }
  }

  /** One query: {@code domains} null = every domain; {@code groupBy} null = by domain only. */
  public record Request(
      String[] domains,
      Instant from,
      Instant to,
      Interval interval,
      GroupBy groupBy,
      int limit,
      long offset) {}

  private final Pool pool;

  public StatsQuery(Pool pool) {
    this.pool = pool;
  }

  /**
   * Up to {@code limit + 1} items (the extra one tells there is a next page), each an ordered map
   * of the API's fields.
   */
  public Uni<List<Map<String, Object>>> items(Request q) {
    String key = q.groupBy() == null ? "null::text" : q.groupBy().column;
    StringBuilder sums = new StringBuilder();
    for (String c : Counts.COLUMNS) {
      sums.append(", sum(s.").append(c).append(")::bigint as ").append(c);
    }
    // the bucket in UTC whatever the session's time zone
    String sql =
        """
        select (date_trunc('%1$s', s.hour at time zone 'UTC') at time zone 'UTC') as start,
        s.domain, %2$s as key%3$s
        from stats_hour s
        where s.tag %4$s and s.hour >= $2 and s.hour < $3
        and ($1::text[] is null or s.domain = any($1))
        group by 1, 2, 3 order by 1, 2, 3 limit $4 offset $5"""
            .formatted(
                q.interval().wire(), key, sums, q.groupBy() == GroupBy.TAG ? "<> ''" : "= ''");
    return pool.preparedQuery(sql)
        .execute(
            Tuple.from(
                new Object[] {
                  q.domains(),
                  q.from().atOffset(ZoneOffset.UTC),
                  q.to().atOffset(ZoneOffset.UTC),
                  q.limit() + 1,
                  q.offset()
                }))
        .map(
            rows -> {
              List<Map<String, Object>> items = new ArrayList<>();
              for (Row r : rows) {
                items.add(item(r, q.groupBy()));
              }
              return items;
            });
  }

  private static Map<String, Object> item(Row r, GroupBy groupBy) {
    Map<String, Object> item = new LinkedHashMap<>();
    OffsetDateTime start = r.getOffsetDateTime("start").withOffsetSameInstant(ZoneOffset.UTC);
    item.put("start", start.toInstant().toString());
    item.put("domain", r.getString("domain"));
    if (groupBy != null) {
      item.put(groupBy.field, r.getString("key"));
    }
    long[] c = new long[Counts.COLUMNS.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = r.getLong(Counts.COLUMNS.get(i));
      item.put(Counts.FIELDS.get(i), c[i]);
    }
    long sent = c[Counts.SENT];
    item.put("deliveryRate", rate(c[Counts.DELIVERED], sent));
    item.put("bounceRate", rate(c[Counts.BOUNCED], sent));
    item.put("complaintRate", rate(c[Counts.COMPLAINED], sent));
    return item;
  }

  /** A fraction of the recipients sent in the bucket; null when none was sent in it. */
  static Double rate(long count, long sent) {
    return sent == 0 ? null : (double) count / sent;
  }

  /** The item fields in order, for the CSV header. */
  static List<String> fields(GroupBy groupBy) {
    List<String> f = new ArrayList<>();
    f.add("start");
    f.add("domain");
    if (groupBy != null) {
      f.add(groupBy.field);
    }
    f.addAll(Counts.FIELDS);
    f.add("deliveryRate");
    f.add("bounceRate");
    f.add("complaintRate");
    return f;
  }
}
