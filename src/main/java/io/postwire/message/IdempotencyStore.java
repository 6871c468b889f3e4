package io.postwire.message;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.postwire.platform.Refusal;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code Idempotency-Key}, scoped to the API key. A key is claimed with an insert that the primary
 * key makes unique (never read-then-write), answered in the same transaction that stores the
 * message, and released when the request is refused, so only 2xx answers are kept.
 */
@ApplicationScoped
public class IdempotencyStore {

  /**
   * An unanswered claim not refreshed for this long belongs to a request whose replica died; it may
   * be taken over. A live request's replica refreshes its claims every {@link #HEARTBEAT}, so a
   * slow request keeps its claim however long it runs.
   */
  static final Duration STALE_CLAIM = Duration.ofSeconds(30);

  /** How often this replica refreshes the claims of its running requests. */
  static final String HEARTBEAT = "5s";

  /** The claims of requests running on this replica: api key id, NUL, Idempotency-Key. */
  private final Set<String> running = ConcurrentHashMap.newKeySet();

  private final Pool pool;
  private final MessageConfig config;

  /** What a claim found: go ahead, or replay an earlier answer. */
  public record Claim(boolean owned, int status, String body) {}

  public IdempotencyStore(Pool pool, MessageConfig config) {
    this.pool = pool;
    this.config = config;
  }

  public static void validateKey(String key) {
    if (key != null
        && (key.isEmpty()
            || key.length() > 255
            || !key.chars().allMatch(c -> c >= 32 && c < 127))) {
      throw Refusal.field(
          "validation_failed", "Idempotency-Key", "1 to 255 printable ASCII characters");
    }
  }

  /**
   * SHA-256 of the path and the body's canonical JSON (object members sorted by name, no white
   * space, strings and numbers as JSON writes them): a retry whose JSON is the same but whose bytes
   * differ (other spacing, other member order) is the same request; any other value is not.
   */
  public static byte[] requestHash(String path, JsonNode body) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(path.getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      try (JsonGenerator out =
          CANONICAL.createGenerator(
              new DigestOutputStream(OutputStream.nullOutputStream(), digest))) {
        canonical(body, out);
      }
      return digest.digest();
    } catch (NoSuchAlgorithmException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final JsonFactory CANONICAL = new JsonFactory();

  private static void canonical(JsonNode node, JsonGenerator out) throws IOException {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      Collections.sort(names);
      out.writeStartObject();
      for (String name : names) {
        out.writeFieldName(name);
        canonical(node.get(name), out);
      }
      out.writeEndObject();
    } else if (node.isArray()) {
      out.writeStartArray();
      for (JsonNode item : node) {
        canonical(item, out);
      }
      out.writeEndArray();
    } else if (node.isTextual()) {
      out.writeString(node.textValue());
    } else if (node.isNumber()) {
      out.writeRawValue(node.asText());
    } else if (node.isBoolean()) {
      out.writeBoolean(node.booleanValue());
    } else {
      out.writeNull();
    }
  }

  public Uni<Claim> claim(UUID apiKey, String key, byte[] hash) {
    return pool.preparedQuery(
            """
            insert into idempotency_key (api_key_id, key, request_hash) values ($1, $2, $3)
            on conflict do nothing""")
        .execute(Tuple.of(apiKey, key, Buffer.buffer(hash)))
        .chain(
            inserted -> {
              if (inserted.rowCount() == 1) {
                return Uni.createFrom().item(owned(apiKey, key));
              }
              return existing(apiKey, key, hash);
            });
  }

  private Uni<Claim> existing(UUID apiKey, String key, byte[] hash) {
    return pool.preparedQuery(
            """
            select request_hash, response_code, response_body,
            created_at < now() - $3::bigint * interval '1 second' as expired,
            claimed_at < now() - $4::bigint * interval '1 second' as stale
            from idempotency_key where api_key_id = $1 and key = $2""")
        .execute(
            Tuple.of(
                apiKey, key, config.idempotencyRetention().toSeconds(), STALE_CLAIM.toSeconds()))
        .chain(
            rows -> {
              if (!rows.iterator().hasNext()) {
                // released between our insert and this read: try again
                return claim(apiKey, key, hash);
              }
              Row row = rows.iterator().next();
              Integer status = row.getInteger("response_code");
              if (row.getBoolean("expired") || status == null && row.getBoolean("stale")) {
                return takeOver(apiKey, key, hash);
              }
              if (!MessageDigest.isEqual(row.getBuffer("request_hash").getBytes(), hash)) {
                throw Refusal.conflict(
                    "idempotency_conflict",
                    "This Idempotency-Key was used with a different request body",
                    null);
              }
              if (status == null) {
                throw Refusal.conflict(
                    "idempotency_in_progress",
                    "A request with this Idempotency-Key is still being processed",
                    1);
              }
              return Uni.createFrom()
                  .item(new Claim(false, status, row.getString("response_body")));
            });
  }

  private Uni<Claim> takeOver(UUID apiKey, String key, byte[] hash) {
    return pool.preparedQuery(
            """
            update idempotency_key set request_hash = $3, response_code = null,
            response_body = null, created_at = now(), claimed_at = now()
            where api_key_id = $1 and key = $2
            and (created_at < now() - $4::bigint * interval '1 second'
            or response_code is null and claimed_at < now() - $5::bigint * interval '1 second')""")
        .execute(
            Tuple.of(
                apiKey,
                key,
                Buffer.buffer(hash),
                config.idempotencyRetention().toSeconds(),
                STALE_CLAIM.toSeconds()))
        .chain(
            updated ->
                updated.rowCount() == 1
                    ? Uni.createFrom().item(owned(apiKey, key))
                    : existing(apiKey, key, hash));
  }

  private Claim owned(UUID apiKey, String key) {
    running.add(apiKey + "\0" + key);
    return new Claim(true, 0, null);
  }

  /** The request that owned this claim has ended (answered, refused or failed). */
  public void finished(UUID apiKey, String key) {
    running.remove(apiKey + "\0" + key);
  }

  /** Keeps the claims of this replica's running requests fresh, so no retry takes them over. */
  @Scheduled(every = HEARTBEAT, concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
  public Uni<Void> heartbeat() {
    if (running.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    List<UUID> apiKeys = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (String claim : running) {
      int nul = claim.indexOf('\0');
      apiKeys.add(UUID.fromString(claim.substring(0, nul)));
      keys.add(claim.substring(nul + 1));
    }
    return pool.preparedQuery(
            """
            update idempotency_key i set claimed_at = now()
            from unnest($1::uuid[], $2::text[]) as c(api_key_id, key)
            where i.api_key_id = c.api_key_id and i.key = c.key
            and i.response_code is null""")
        .execute(Tuple.of(apiKeys.toArray(UUID[]::new), keys.toArray(String[]::new)))
        .onFailure()
        .recoverWithNull()
        .replaceWithVoid();
  }

  /** Stores the answer, inside the transaction that stores the message. */
  public Uni<Void> answer(SqlClient tx, UUID apiKey, String key, int status, String body) {
    return tx.preparedQuery(
            """
            update idempotency_key set response_code = $3, response_body = $4
            where api_key_id = $1 and key = $2""")
        .execute(Tuple.of(apiKey, key, status, body))
        .replaceWithVoid();
  }

  /** Forgets a claim whose request was refused, so a corrected retry is processed afresh. */
  public Uni<Void> release(UUID apiKey, String key) {
    return pool.preparedQuery(
            """
            delete from idempotency_key where api_key_id = $1 and key = $2
            and response_code is null""")
        .execute(Tuple.of(apiKey, key))
        .replaceWithVoid();
  }

  /** Deletes answers older than the retention (called by a scheduled job). */
  public Uni<Integer> purge() {
    return pool.preparedQuery(
            "delete from idempotency_key where created_at < now() - $1::bigint * interval '1 second'")
        .execute(Tuple.of(config.idempotencyRetention().toSeconds()))
        .map(rows -> rows.rowCount());
  }
}
