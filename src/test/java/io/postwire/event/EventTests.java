package io.postwire.event;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/events}: seq order, the public names, filters, and paging that skips nothing. */
@QuarkusTest
class EventTests {

  @Inject Pool pool;

  /**
   * Every message event of {@code domain} after {@code after}, paging until an empty page. The
   * domain's own events ({@code domain.audit_changed} from its background audit) are left out.
   */
  private static List<Map<String, Object>> drain(String domain, long[] after, int limit) {
    List<Map<String, Object>> all = new ArrayList<>();
    while (true) {
      JsonPath page =
          admin()
              .get("/v1/events?domain=" + domain + "&limit=" + limit + "&after=" + after[0])
              .then()
              .statusCode(200)
              .extract()
              .jsonPath();
      List<Map<String, Object>> items = page.getList("items");
      after[0] = page.getLong("next");
      if (items.isEmpty()) {
        return all;
      }
      items.stream().filter(e -> ((String) e.get("type")).startsWith("message.")).forEach(all::add);
    }
  }

  @Test
  void eventsCarryTheirMessageAndPublicNamesInSeqOrder() {
    String domain = Api.registerDomain();
    String id =
        Api.send(
                Map.of(
                    "from", "a@" + domain,
                    "to", List.of("x@example.org"),
                    "text", "x",
                    "tags", List.of("welcome"),
                    "metadata", Map.of("userId", "42")))
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> drain(domain, new long[] {0}, 50).size() >= 2);
    List<Map<String, Object>> events = drain(domain, new long[] {0}, 1);
    assertThat(events)
        .extracting(e -> e.get("type"))
        .containsExactly("message.queued", "message.delivered");
    Map<String, Object> first = events.get(0);
    assertThat(first)
        .containsEntry("messageId", id)
        .containsEntry("domain", domain)
        .containsEntry("recipient", "x@example.org")
        .containsEntry("tags", List.of("welcome"))
        .containsEntry("metadata", Map.of("userId", "42"))
        .containsKeys("id", "seq", "at", "detail");
    assertThat(((Number) events.get(1).get("seq")).longValue())
        .isGreaterThan(((Number) first.get("seq")).longValue());
    // the message document keeps its own names, signed and attempt steps included
    admin()
        .get("/v1/messages/" + id)
        .then()
        .statusCode(200)
        .body("events.type", org.hamcrest.Matchers.hasItems("queued", "delivered"));
    // an attempt that failed inside the service is no state change: never published
    Db.exec(
        pool,
        "insert into event (message_id, recipient, type, detail) values ($1::uuid,"
            + " 'x@example.org', 'failed_internal', '{\"error\":\"boom\"}')",
        id);
    Db.exec(
        pool,
        "insert into event (message_id, recipient, type) values ($1::uuid, 'x@example.org',"
            + " 'deferred')",
        id);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> drain(domain, new long[] {0}, 50).size() >= 3);
    List<Map<String, Object>> all = drain(domain, new long[] {0}, 50);
    assertThat(all)
        .extracting(e -> e.get("type"))
        .containsExactly("message.queued", "message.delivered", "message.deferred");
    // filters
    admin()
        .get("/v1/events?domain=" + domain + "&types=message.delivered")
        .then()
        .statusCode(200)
        .body("items.type", equalTo(List.of("message.delivered")));
    long last = ((Number) all.get(2).get("seq")).longValue();
    admin()
        .get("/v1/events?domain=" + domain + "&after=" + last)
        .then()
        .statusCode(200)
        .body("items.size()", equalTo(0))
        .body("next", equalTo((int) last));
  }

  @Test
  void badParametersAre422() {
    admin()
        .get("/v1/events?after=abc")
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("after"));
    admin().get("/v1/events?after=-1").then().statusCode(422);
    admin()
        .get("/v1/events?types=message.nope")
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("types"));
    admin().get("/v1/events?limit=501").then().statusCode(422);
    io.restassured.RestAssured.get("/v1/events").then().statusCode(401);
  }

  /**
   * The case a bigserial cursor gets wrong: an event whose transaction took its id first but
   * commits last. A reader that has already moved past the later events still gets it.
   */
  @Test
  void anEventCommittedLateIsNotSkipped() throws Exception {
    String domain = Api.registerDomain();
    String message = Api.queueHeld(domain, List.of("early@example.org"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> drain(domain, new long[] {0}, 50).size() == 1);
    SqlConnection conn = pool.getConnection().await().atMost(Duration.ofSeconds(5));
    try {
      Transaction tx = conn.begin().await().atMost(Duration.ofSeconds(5));
      long heldId =
          conn.preparedQuery(
                  "insert into event (message_id, recipient, type) values ($1, 'held@example.org',"
                      + " 'deferred') returning id")
              .execute(Tuple.of(UUID.fromString(message)))
              .await()
              .atMost(Duration.ofSeconds(5))
              .iterator()
              .next()
              .getLong(0);
      Api.send(Api.message(domain, "later@example.org")).then().statusCode(202);
      long[] after = {0};
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> drain(domain, new long[] {0}, 50).size() >= 3);
      List<Map<String, Object>> seen = drain(domain, after, 50);
      assertThat(seen)
          .extracting(e -> e.get("recipient"))
          .doesNotContain("held@example.org")
          .contains("later@example.org");
      long laterId =
          Db.rows(
                  pool,
                  "select max(e.id) from event e join message m on m.id ="
                      + " e.message_id where m.domain = $1",
                  domain)
              .get(0)
              .getLong(0);
      assertThat(heldId).isLessThan(laterId);
      tx.commit().await().atMost(Duration.ofSeconds(5));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                long[] from = {after[0]};
                return drain(domain, from, 50).stream()
                    .anyMatch(e -> "held@example.org".equals(e.get("recipient")));
              });
    } finally {
      conn.close().await().atMost(Duration.ofSeconds(5));
    }
  }

  @Test
  void pagingWhileOthersWriteSkipsNothingAndRepeatsNothing() throws Exception {
    String domain = Api.registerDomain();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    List<Future<?>> sent = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int writer = w;
      sent.add(
          writers.submit(
              () -> {
                for (int i = 0; i < 15; i++) {
                  Api.send(Api.message(domain, "w" + writer + "-" + i + "@example.org"))
                      .then()
                      .statusCode(202);
                }
              }));
    }
    List<Map<String, Object>> seen = new ArrayList<>();
    long[] after = {0};
    while (!sent.stream().allMatch(Future::isDone)) {
      seen.addAll(drain(domain, after, 7));
    }
    for (Future<?> f : sent) {
      f.get(1, TimeUnit.MINUTES);
    }
    writers.shutdown();
    long expected = 4 * 15 * 2; // queued and delivered per recipient
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              seen.addAll(drain(domain, after, 7));
              return seen.size() >= expected;
            });
    Set<Object> ids = new HashSet<>();
    long previous = 0;
    for (Map<String, Object> e : seen) {
      assertThat(ids.add(e.get("id"))).as("no event twice").isTrue();
      long seq = ((Number) e.get("seq")).longValue();
      assertThat(seq).isGreaterThan(previous);
      previous = seq;
    }
    assertThat(
            Db.count(
                pool,
                "select count(*) from event e join message m on m.id = e.message_id"
                    + " where m.domain = $1 and e.type in ('queued', 'delivered')",
                domain))
        .isEqualTo(expected);
    assertThat(ids).hasSize((int) expected);
  }
}
