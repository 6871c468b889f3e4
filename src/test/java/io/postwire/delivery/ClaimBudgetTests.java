package io.postwire.delivery;

import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A claim loads a bounded amount of message content: {@link DeliveryStore#claim} against the real
 * queue, with no pipeline of this replica claiming beside the test.
 */
@QuarkusTest
@TestProfile(ClaimBudgetTests.NoPipeline.class)
class ClaimBudgetTests {

  /** The queue without a delivery pipeline: only the test claims. */
  public static class NoPipeline implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("postwire.delivery.enabled", "false");
    }
  }

  @Test
  void readinessSaysTheDeliveryPipelineIsDisabled() {
    RestAssured.given()
        .get("/q/health/ready")
        .then()
        .statusCode(200)
        .body("checks.find { it.name == 'delivery-pipeline' }.data.enabled", equalTo(false));
  }

  private static final long MIB = 1 << 20;

  @Inject Pool pool;

  @Inject DeliveryStore store;

  private final List<String> mine = new ArrayList<>();

  @AfterEach
  void retire() {
    if (!mine.isEmpty()) {
      Db.exec(
          pool,
          """
          update delivery set status = 'failed', next_attempt_at = null, lease_owner = null
          where message_id::text = any(string_to_array($1, ','))""",
          String.join(",", mine));
    }
  }

  /**
   * Queues messages of two recipients each, due before anything else in the queue (in this order),
   * whose stored sizes are {@code sizes}.
   */
  private List<String> queue(long... sizes) {
    String domain = registerDomain();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < sizes.length; i++) {
      String id =
          Api.queueHeld(domain, List.of("one" + i + "@example.org", "two" + i + "@example.org"));
      mine.add(id);
      ids.add(id);
      Db.exec(
          pool, "update message set size_bytes = $2::int where id = $1::uuid", id, (int) sizes[i]);
      Db.exec(
          pool,
          """
          update delivery set next_attempt_at = timestamptz '2000-01-01 00:00:00+00'
          + $2::int * interval '1 second' where message_id = $1::uuid""",
          id,
          i);
    }
    return ids;
  }

  private List<DeliveryStore.Claimed> claim(long maxBytes) {
    return store
        .claim("claim-test-" + UUID.randomUUID(), 100, Duration.ofSeconds(60), maxBytes)
        .await()
        .atMost(Duration.ofSeconds(10));
  }

  @Test
  void aClaimTakesOnlyTheMessagesWhoseContentFitsItsBudget() {
    List<String> ids = queue(30 * MIB, 30 * MIB, 30 * MIB, 30 * MIB, 30 * MIB);

    List<DeliveryStore.Claimed> first = claim(64 * MIB);

    // two messages of 30 MiB fit in 64 MiB, with both their recipients; the third would not
    assertThat(first).hasSize(4);
    assertThat(first)
        .extracting(c -> c.messageId().toString())
        .containsOnly(ids.get(0), ids.get(1));
    assertThat(first).allSatisfy(c -> assertThat(c.message()).isNotNull());
    long left =
        Db.count(
            pool,
            """
            select count(*) from delivery where lease_owner is null
            and message_id::text = any(string_to_array($1, ','))""",
            String.join(",", ids.subList(2, 5)));
    assertThat(left).as("the rows beyond the budget stay unclaimed").isEqualTo(6);

    List<DeliveryStore.Claimed> next = claim(64 * MIB);
    assertThat(next).extracting(c -> c.messageId().toString()).containsOnly(ids.get(2), ids.get(3));
  }

  @Test
  void theFirstMessageIsTakenEvenWhenItAloneExceedsTheBudget() {
    List<String> ids = queue(100 * MIB, 1 * MIB);

    List<DeliveryStore.Claimed> claimed = claim(64 * MIB);

    assertThat(claimed).hasSize(2);
    assertThat(claimed).extracting(c -> c.messageId().toString()).containsOnly(ids.get(0));
  }

  /**
   * With a backlog, a claim reads about as many due rows as it takes: its candidates come in the
   * claim's order from an index, so the scan stops at the limit instead of reading, checking and
   * sorting every due row. EXPLAIN ANALYZE of the claim statement itself counts the rows it read.
   */
  @Test
  void aClaimReadsAboutAsManyDueRowsAsItTakesWhateverTheBacklog() {
    String id = queue(1024).get(0);
    Db.exec(
        pool,
        """
        insert into delivery (message_id, recipient, recipient_domain, status, next_attempt_at)
        select $1::uuid, 'backlog' || g || '@example.org', 'example.org', 'queued',
        timestamptz '1999-01-01 00:00:00+00' + g * interval '1 second'
        from generate_series(1, 600) g""",
        id);

    JsonArray plan =
        (JsonArray)
            Db.rows(
                    pool,
                    "explain (analyze, format json) " + DeliveryStore.CLAIM,
                    10,
                    "claim-test-" + UUID.randomUUID(),
                    60_000L,
                    64 * MIB)
                .get(0)
                .getValue(0);

    long read = rowsRead(plan.getJsonObject(0).getJsonObject("Plan"), "delivery");
    assertThat(read)
        .as("due rows the claim of 10 read with 602 due")
        .isPositive()
        .isLessThanOrEqualTo(20);
  }

  /** Rows the scans of {@code alias} under {@code node} returned, summed over their loops. */
  private static long rowsRead(JsonObject node, String alias) {
    long n = 0;
    if (alias.equals(node.getString("Alias")) && node.getString("Node Type").contains("Scan")) {
      n += node.getLong("Actual Rows") * node.getLong("Actual Loops");
    }
    JsonArray children = node.getJsonArray("Plans");
    if (children != null) {
      for (int i = 0; i < children.size(); i++) {
        n += rowsRead(children.getJsonObject(i), alias);
      }
    }
    return n;
  }
}
