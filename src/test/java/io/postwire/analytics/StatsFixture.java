package io.postwire.analytics;

import static io.postwire.testing.Api.admin;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Db;
import io.restassured.specification.RequestSpecification;
import io.vertx.mutiny.sqlclient.Pool;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/** Sends, events as other writers insert them, and stats summed over the buckets of a range. */
final class StatsFixture {

  private StatsFixture() {}

  /** Sends one message as admin and returns its id. */
  static UUID send(String domain, List<String> to, List<String> tags) {
    String id =
        admin()
            .body(Map.of("from", "a@" + domain, "to", to, "text", "x", "tags", tags))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    return UUID.fromString(id);
  }

  /** An event as an asynchronous writer (inbound, tracking) inserts it. */
  static void event(Pool pool, UUID message, String recipient, String type, String detail) {
    Db.exec(
        pool,
        "insert into event (message_id, recipient, type, detail) values ($1, $2, $3, $4::text::jsonb)",
        message,
        recipient,
        type,
        detail);
  }

  /**
   * {@code GET /v1/stats} for the domain over the last two days, items summed per group key (the
   * whole range in one entry when there is no grouping), so hour boundaries do not matter.
   */
  static Map<String, Map<String, Number>> totals(
      RequestSpecification as, String domain, String interval, String groupBy) {
    String query = "/v1/stats?domain=" + domain + "&interval=" + interval + "&limit=500";
    query += "&from=" + java.time.Instant.now().minus(Duration.ofDays(2));
    if (groupBy != null) {
      query += "&groupBy=" + groupBy;
    }
    List<Map<String, Object>> items =
        as.get(query).then().statusCode(200).extract().jsonPath().getList("items");
    Map<String, Map<String, Number>> out = new LinkedHashMap<>();
    for (Map<String, Object> item : items) {
      String key = groupBy == null ? "all" : String.valueOf(item.get(groupBy));
      Map<String, Number> sums = out.computeIfAbsent(key, k -> new HashMap<>());
      for (String field : Counts.FIELDS) {
        sums.merge(
            field, ((Number) item.get(field)).longValue(), (a, b) -> a.longValue() + b.longValue());
      }
    }
    return out;
  }

  /** Waits until the totals satisfy {@code done}; returns them. */
  static Map<String, Map<String, Number>> awaitTotals(
      String domain,
      String interval,
      String groupBy,
      Predicate<Map<String, Map<String, Number>>> done) {
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Number>>[] last = new Map[1];
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              last[0] = totals(admin(), domain, interval, groupBy);
              return done.test(last[0]);
            });
    return last[0];
  }

  /** A count of the totals ({@code all} without grouping); 0 when the group is absent. */
  static long count(Map<String, Map<String, Number>> totals, String key, String field) {
    Map<String, Number> g = totals.get(key);
    return g == null ? 0 : g.getOrDefault(field, 0L).longValue();
  }
}
