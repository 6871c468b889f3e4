package io.postwire.security;

import io.postwire.domain.DomainNames;
import io.postwire.platform.ApiConfig;
import io.postwire.platform.DatabaseSignals;
import io.postwire.platform.Page;
import io.postwire.platform.Refusal;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * API keys: random 256-bit tokens, stored only as SHA-256 hashes (fast to check on every request; a
 * slow password hash buys nothing for a high-entropy secret), with a short per-replica cache of
 * known keys and of tokens that are no key. Deleting a key notifies every replica ({@link
 * DatabaseSignals#API_KEY_REVOKED}, see {@link KeyRevocations}) so that none keeps accepting it
 * from its cache.
 */
@ApplicationScoped
public class ApiKeyService {

  private static final int CACHE_LIMIT = 10_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Pool pool;
  private final ApiConfig config;
  private final byte[] bootstrapHash;
  private final FailedLookupLimiter failedLookups;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private final Map<String, Long> unknown = new ConcurrentHashMap<>();

  private record Cached(ApiPrincipal principal, long expiresAtNanos) {}

  /** A key as listed (never its secret). */
  public record ApiKeyView(
      UUID id, String name, boolean admin, List<String> domains, OffsetDateTime createdAt) {}

  /** A key just created: the only time its secret is shown. */
  public record CreatedKey(
      UUID id,
      String name,
      boolean admin,
      List<String> domains,
      String key,
      OffsetDateTime createdAt) {}

  public ApiKeyService(Pool pool, ApiConfig config, FailedLookupLimiter failedLookups) {
    this.pool = pool;
    this.config = config;
    this.failedLookups = failedLookups;
    this.bootstrapHash =
        config.bootstrapKey().filter(k -> !k.isBlank()).map(ApiKeyService::hash).orElse(null);
  }

  /**
   * The principal for a bearer token, or {@code null} when the token is unknown.
   *
   * @param client the caller's address, charged for lookups that find no key
   * @throws Refusal (as the Uni's failure) {@code rate_limited} when {@code client} has caused more
   *     lookups of unknown keys than {@link FailedLookupLimiter} allows
   */
  public Uni<ApiPrincipal> authenticate(String token, String client) {
    if (token == null || token.isEmpty() || token.length() > 512) {
      return Uni.createFrom().nullItem();
    }
    byte[] hash = hash(token);
    if (bootstrapHash != null && MessageDigest.isEqual(hash, bootstrapHash)) {
      return Uni.createFrom()
          .item(new ApiPrincipal(ApiPrincipal.BOOTSTRAP_ID, "bootstrap", true, Set.of()));
    }
    String cacheKey = Base64.getEncoder().encodeToString(hash);
    long now = System.nanoTime();
    Cached cached = cache.get(cacheKey);
    if (cached != null && cached.expiresAtNanos() - now > 0) {
      return Uni.createFrom().item(cached.principal());
    }
    Long unknownUntil = unknown.get(cacheKey);
    if (unknownUntil != null && unknownUntil - now > 0) {
      return Uni.createFrom().nullItem();
    }
    long wait = failedLookups.secondsUntilAllowed(client);
    if (wait > 0) {
      return Uni.createFrom()
          .failure(
              Refusal.rateLimited(
                  "Too many requests with unknown API keys from this address; try again in "
                      + wait
                      + " s",
                  wait));
    }
    return pool.preparedQuery("select id, name, admin, domains from api_key where key_hash = $1")
        .execute(Tuple.of(Buffer.buffer(hash)))
        .map(
            rows -> {
              if (!rows.iterator().hasNext()) {
                cache.remove(cacheKey);
                rememberUnknown(cacheKey);
                failedLookups.failed(client);
                return null;
              }
              Row row = rows.iterator().next();
              ApiPrincipal principal =
                  new ApiPrincipal(
                      row.getUUID("id"),
                      row.getString("name"),
                      row.getBoolean("admin"),
                      Set.of(row.getArrayOfStrings("domains")));
              if (cache.size() > CACHE_LIMIT) {
                cache.clear();
              }
              cache.put(
                  cacheKey,
                  new Cached(principal, System.nanoTime() + config.keyCacheTtl().toNanos()));
              return principal;
            });
  }

  private void rememberUnknown(String cacheKey) {
    long now = System.nanoTime();
    if (unknown.size() >= CACHE_LIMIT) {
      unknown.values().removeIf(until -> until - now <= 0);
      if (unknown.size() >= CACHE_LIMIT) {
        unknown.clear();
      }
    }
    unknown.put(cacheKey, now + config.unknownKeyCacheTtl().toNanos());
  }

  /** The notification payload that makes every replica forget every cached key's scope. */
  public static final String EVERY_KEY = "*";

  /**
   * Forgets the key whose hash is {@code base64Hash} (it was deleted, maybe on another replica), or
   * every key for {@link #EVERY_KEY} (a domain left the scopes of keys).
   */
  public void evict(String base64Hash) {
    if (EVERY_KEY.equals(base64Hash)) {
      cache.clear();
    } else {
      cache.remove(base64Hash);
    }
  }

  /** Forgets every cached key (revocations may have been missed while not listening). */
  public void evictAll() {
    cache.clear();
  }

  /** Whether this replica holds {@code token} as a known key in its cache (for tests). */
  public boolean cached(String token) {
    return cache.containsKey(Base64.getEncoder().encodeToString(hash(token)));
  }

  public Uni<CreatedKey> create(String name, boolean admin, List<String> domains) {
    if (name == null || name.isBlank() || name.length() > 200) {
      throw Refusal.field("validation_failed", "name", "is required (at most 200 characters)");
    }
    // scopes hold domains as they are registered (A-labels), or a key could never use them
    Set<String> scope = new LinkedHashSet<>();
    List<String> requested = domains == null ? List.of() : domains;
    for (int i = 0; i < requested.size(); i++) {
      scope.add(DomainNames.require(requested.get(i), "domains[" + i + "]"));
    }
    List<String> normalized = List.copyOf(scope);
    if (!admin && normalized.isEmpty()) {
      throw Refusal.field(
          "validation_failed", "domains", "a key that is not admin needs at least one domain");
    }
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String token = "pw_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    UUID id = UUID.randomUUID();
    return pool.preparedQuery(
            """
            insert into api_key (id, name, key_hash, admin, domains) values ($1, $2, $3, $4, $5)
            returning created_at""")
        .execute(
            Tuple.of(
                id,
                name.trim(),
                Buffer.buffer(hash(token)),
                admin,
                normalized.toArray(String[]::new)))
        .map(
            rows ->
                new CreatedKey(
                    id,
                    name.trim(),
                    admin,
                    normalized,
                    token,
                    rows.iterator().next().getOffsetDateTime("created_at")));
  }

  public Uni<Page<ApiKeyView>> list(int limit, String after) {
    UUID cursor = parseCursor(after);
    return pool.preparedQuery(
            """
            select id, name, admin, domains, created_at from api_key
            where ($1::uuid is null or id > $1) order by id limit $2""")
        .execute(Tuple.of(cursor, limit + 1))
        .map(
            rows -> {
              List<ApiKeyView> items = new ArrayList<>();
              for (Row row : rows) {
                items.add(
                    new ApiKeyView(
                        row.getUUID("id"),
                        row.getString("name"),
                        row.getBoolean("admin"),
                        List.of(row.getArrayOfStrings("domains")),
                        row.getOffsetDateTime("created_at")));
              }
              String next = null;
              if (items.size() > limit) {
                items = items.subList(0, limit);
                next = items.get(limit - 1).id().toString();
              }
              return new Page<>(items, next);
            });
  }

  public Uni<Boolean> delete(String id) {
    UUID uuid;
    try {
      uuid = UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return Uni.createFrom().item(false);
    }
    // One statement: the NOTIFY is delivered to every replica when the delete commits, never
    // before it and never without it.
    return pool.preparedQuery(
            """
            with deleted as (delete from api_key where id = $1 returning key_hash)
            select encode(key_hash, 'base64') as hash,
            %s
            from deleted"""
                .formatted(
                    DatabaseSignals.notifyCall(
                        DatabaseSignals.API_KEY_REVOKED, "encode(key_hash, 'base64')")))
        .execute(Tuple.of(uuid))
        .map(
            rows -> {
              for (Row row : rows) {
                evict(row.getString("hash"));
              }
              return rows.rowCount() > 0;
            });
  }

  /** Drops every remembered key, so the next request of each reads its row (and scope) again. */
  public void forgetCached() {
    cache.clear();
  }

  static UUID parseCursor(String after) {
    if (after == null || after.isBlank()) {
      return null;
    }
    try {
      return UUID.fromString(after);
    } catch (IllegalArgumentException e) {
      throw Refusal.field("validation_failed", "after", "is not a cursor this API gave");
    }
  }

  static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
