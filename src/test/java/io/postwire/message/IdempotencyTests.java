package io.postwire.message;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.message;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** {@code Idempotency-Key} as API.md specifies it. */
@QuarkusTest
class IdempotencyTests {

  @Inject Pool pool;

  @Test
  void twentyConcurrentDuplicatesCreateExactlyOneMessage() throws Exception {
    String domain = registerDomain();
    String key = UUID.randomUUID().toString();
    Map<String, Object> body = message(domain, "b@example.org");
    ExecutorService threads = Executors.newFixedThreadPool(20);
    List<Future<Response>> results = new ArrayList<>();
    Callable<Response> call =
        () -> admin().header("Idempotency-Key", key).body(body).post("/v1/messages");
    for (int i = 0; i < 20; i++) {
      results.add(threads.submit(call));
    }
    List<String> ids = new ArrayList<>();
    for (Future<Response> f : results) {
      Response r = f.get(30, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isIn(202, 409);
      if (r.statusCode() == 202) {
        ids.add(r.path("id"));
      } else {
        assertThat(r.<String>path("code")).isEqualTo("idempotency_in_progress");
      }
    }
    threads.shutdown();
    assertThat(Db.count(pool, "select count(*) from message where domain = $1", domain))
        .isEqualTo(1);
    assertThat(ids).isNotEmpty().allMatch(ids.get(0)::equals);
  }

  @Test
  void replaysTheSameAnswerAndRefusesAnotherBody() {
    String domain = registerDomain();
    String key = "k-" + UUID.randomUUID();
    Map<String, Object> body = message(domain, "b@example.org");
    String first =
        admin()
            .header("Idempotency-Key", key)
            .body(body)
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .asString();
    String again =
        admin()
            .header("Idempotency-Key", key)
            .body(body)
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .asString();
    assertThat(again).isEqualTo(first);
    Map<String, Object> other = new HashMap<>(body);
    other.put("subject", "different");
    admin()
        .header("Idempotency-Key", key)
        .body(other)
        .post("/v1/messages")
        .then()
        .statusCode(409)
        .body("code", equalTo("idempotency_conflict"));
    assertThat(Db.count(pool, "select count(*) from message where domain = $1", domain))
        .isEqualTo(1);
  }

  @Test
  void keepsOnly2xxAnswersSoACorrectedRetryIsProcessed() {
    String domain = registerDomain();
    String key = "k-" + UUID.randomUUID();
    Map<String, Object> bad = new HashMap<>(message(domain, "b@example.org"));
    bad.put("subject", "a\nb");
    admin().header("Idempotency-Key", key).body(bad).post("/v1/messages").then().statusCode(422);
    assertThat(Db.count(pool, "select count(*) from idempotency_key where key = $1", key)).isZero();
    admin()
        .header("Idempotency-Key", key)
        .body(message(domain, "b@example.org"))
        .post("/v1/messages")
        .then()
        .statusCode(202);
  }

  @Test
  void scopesKeysToTheApiKey() {
    String domain = registerDomain();
    String key = "shared-" + UUID.randomUUID();
    String scoped = Api.scopedKey(domain);
    admin()
        .header("Idempotency-Key", key)
        .body(message(domain, "b@example.org"))
        .post("/v1/messages")
        .then()
        .statusCode(202);
    Api.as(scoped)
        .header("Idempotency-Key", key)
        .body(message(domain, "c@example.org"))
        .post("/v1/messages")
        .then()
        .statusCode(202);
    assertThat(Db.count(pool, "select count(*) from message where domain = $1", domain))
        .isEqualTo(2);
  }

  @Test
  void refusesAnOverlongKey() {
    String domain = registerDomain();
    admin()
        .header("Idempotency-Key", "x".repeat(256))
        .body(message(domain, "b@example.org"))
        .post("/v1/messages")
        .then()
        .statusCode(422);
  }

  @Inject IdempotencyStore store;

  /**
   * A claim lives as long as its request: one running for minutes (a large batch under load) is
   * kept fresh by its replica, so a retry is told it is in progress and cannot create a second
   * message; only a claim its replica stopped refreshing (a crash) may be taken over.
   */
  @Test
  void aSlowRequestKeepsItsClaimAndOnlyADeadOneIsTakenOver() {
    UUID apiKey = UUID.randomUUID();
    byte[] hash =
        IdempotencyStore.requestHash("/v1/messages", JsonNodeFactory.instance.objectNode());
    assertThat(store.claim(apiKey, "slow", hash).await().indefinitely().owned()).isTrue();
    // the request has been running for ten minutes, its replica alive
    Db.exec(
        pool,
        """
        update idempotency_key set created_at = now() - interval '10 minutes',
        claimed_at = now() - interval '10 minutes' where api_key_id = $1""",
        apiKey);
    store.heartbeat().await().indefinitely();
    Assertions.assertThatThrownBy(() -> store.claim(apiKey, "slow", hash).await().indefinitely())
        .hasMessageContaining("still being processed");
    store.finished(apiKey, "slow");

    // a claim whose replica died: nobody refreshes it
    Db.exec(
        pool,
        """
        insert into idempotency_key (api_key_id, key, request_hash, created_at, claimed_at)
        values ($1, 'dead', $2, now() - interval '1 minute', now() - interval '1 minute')""",
        apiKey,
        Buffer.buffer(hash));
    store.heartbeat().await().indefinitely();
    assertThat(store.claim(apiKey, "dead", hash).await().indefinitely().owned()).isTrue();
    store.finished(apiKey, "dead");
  }

  /**
   * The same request is the same JSON, compared in canonical form (members sorted, no white space):
   * other spacing or member order replays the first answer; any other value is a conflict.
   */
  @Test
  void replaysTheSameJsonWrittenDifferentlyAndRefusesAnyOtherValue() {
    String domain = registerDomain();
    String key = "k-" + UUID.randomUUID();
    String compact = "{\"from\":\"s@" + domain + "\",\"to\":[\"b@example.org\"],\"text\":\"hi\"}";
    String reordered =
        "{ \"text\" : \"hi\",\n  \"to\" : [ \"b@example.org\" ],\n  \"from\" : \"s@"
            + domain
            + "\" }";
    String first =
        admin()
            .header("Idempotency-Key", key)
            .body(compact)
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .asString();
    admin()
        .header("Idempotency-Key", key)
        .body(reordered)
        .post("/v1/messages")
        .then()
        .statusCode(202)
        .body(equalTo(first));
    admin()
        .header("Idempotency-Key", key)
        .body(compact.replace("\"hi\"", "\"hi \""))
        .post("/v1/messages")
        .then()
        .statusCode(409)
        .body("code", equalTo("idempotency_conflict"));
    assertThat(Db.count(pool, "select count(*) from message where domain = $1", domain))
        .isEqualTo(1);
  }
}
