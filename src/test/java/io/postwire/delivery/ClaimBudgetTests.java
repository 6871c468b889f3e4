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
}
