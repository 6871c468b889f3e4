package io.postwire.security;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.platform.DatabaseSignals;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A deleted key stops working on every replica within about a second, not after the cache's 10 s:
 * the delete NOTIFYs {@link DatabaseSignals#API_KEY_REVOKED} and every replica evicts the key.
 */
@QuarkusTest
class KeyRevocationTests {

  @Inject Pool pool;
  @Inject ApiKeyService keys;

  record Key(UUID id, String secret) {}

  static Key createKey(String domain) {
    Map<?, ?> created =
        admin()
            .body(Map.of("name", "revocable", "domains", List.of(domain)))
            .post("/v1/api-keys")
            .then()
            .statusCode(201)
            .extract()
            .as(Map.class);
    return new Key(UUID.fromString((String) created.get("id")), (String) created.get("key"));
  }

  static String hash(String secret) {
    return Base64.getEncoder().encodeToString(ApiKeyService.hash(secret));
  }

  @Test
  void aKeyDeletedByAnotherReplicaIsEvictedFromThisOnesCacheByItsNotification() {
    String domain = registerDomain();
    Key key = createKey(domain);
    as(key.secret()).get("/v1/domains/" + domain).then().statusCode(200);
    assertThat(keys.cached(key.secret())).isTrue();

    // another replica deletes the row; until its notification arrives this one still has the key
    Db.exec(pool, "delete from api_key where id = $1", key.id());
    as(key.secret()).get("/v1/domains/" + domain).then().statusCode(200);

    Db.exec(pool, "select pg_notify($1, $2)", DatabaseSignals.API_KEY_REVOKED, hash(key.secret()));
    await()
        .atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> !keys.cached(key.secret()));
    as(key.secret()).get("/v1/domains/" + domain).then().statusCode(401);
  }

  @Test
  void deletingAKeyThroughTheApiNotifiesEveryReplica() {
    String domain = registerDomain();
    Key key = createKey(domain);
    hearing(
        () -> admin().delete("/v1/api-keys/" + key.id()).then().statusCode(204),
        hash(key.secret()));
    as(key.secret()).get("/v1/domains/" + domain).then().statusCode(401);
  }

  /**
   * A removed domain leaves every key's scope on every replica at once: the delete NOTIFYs every
   * replica to forget all cached scopes, so no old key keeps sending as the name or reads a new
   * registration's mail from a cache.
   */
  @Test
  void removingADomainMakesEveryReplicaForgetCachedScopes() {
    String domain = registerDomain();
    Key key = createKey(domain);
    as(key.secret()).get("/v1/domains/" + domain).then().statusCode(200);
    assertThat(keys.cached(key.secret())).isTrue();
    hearing(
        () -> admin().delete("/v1/domains/" + domain).then().statusCode(204),
        ApiKeyService.EVERY_KEY);

    // what another replica does when that notification reaches it
    as(key.secret()).get("/v1/api-keys").then().statusCode(403);
    assertThat(keys.cached(key.secret())).isTrue();
    Db.exec(
        pool, "select pg_notify($1, $2)", DatabaseSignals.API_KEY_REVOKED, ApiKeyService.EVERY_KEY);
    await()
        .atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> !keys.cached(key.secret()));
  }

  /** Both channels (deleted keys and the delivery wake-up) share this replica's one connection. */
  @Test
  void oneListenConnectionServesEveryChannel() {
    String listeners =
        """
        select count(*) from pg_stat_activity where datname = current_database()
        and pid <> pg_backend_pid() and query like 'LISTEN "postwire_%'""";
    await().atMost(Duration.ofSeconds(5)).until(() -> Db.count(pool, listeners) >= 1);
    assertThat(Db.count(pool, listeners)).isEqualTo(1);
  }

  /** Runs {@code action} while LISTENing as another replica would, and awaits {@code payload}. */
  void hearing(Runnable action, String payload) {
    List<String> heard = new CopyOnWriteArrayList<>();
    SqlConnection connection = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      PgConnection listener = PgConnection.cast(connection);
      listener.notificationHandler(
          n -> {
            if (n.getChannel().equals(DatabaseSignals.API_KEY_REVOKED)) {
              heard.add(n.getPayload());
            }
          });
      listener
          .query("listen " + DatabaseSignals.API_KEY_REVOKED)
          .execute()
          .await()
          .atMost(Duration.ofSeconds(10));
      action.run();
      await().atMost(Duration.ofSeconds(5)).until(() -> heard.contains(payload));
    } finally {
      connection.query("unlisten *").execute().await().atMost(Duration.ofSeconds(10));
      connection.closeAndAwait();
    }
  }
}
