package io.postwire.mtasts;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Fetched MTA-STS policies in PostgreSQL, one row per recipient domain, shared by every replica and
 * kept across restarts until their {@code max_age} runs out (RFC 8461 §5.1). The raw policy text is
 * stored and parsed again when read.
 */
@ApplicationScoped
public class MtaStsPolicyStore {

  /** A policy as stored: its TXT record {@code id}, its text, and when it expires. */
  public record Stored(String id, String text, Instant expires) {}

  private final Pool pool;

  public MtaStsPolicyStore(Pool pool) {
    this.pool = pool;
  }

  /** The policy of {@code domain} that has not expired at {@code now}, or {@code null}. */
  public Uni<Stored> find(String domain, Instant now) {
    return pool.preparedQuery(
            """
            select policy_id, policy, expires_at from mta_sts_policy
            where domain = $1 and expires_at > $2""")
        .execute(Tuple.of(domain, utc(now)))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              Row r = rows.iterator().next();
              return new Stored(
                  r.getString("policy_id"),
                  r.getString("policy"),
                  r.getOffsetDateTime("expires_at").toInstant());
            });
  }

  /**
   * Stores a freshly fetched policy; a row another replica fetched later is left as it is.
   *
   * @param fetched when the policy was fetched; {@code expires} is that plus its max_age
   */
  public Uni<Void> save(String domain, Stored policy, Instant fetched) {
    return pool.preparedQuery(
            """
            insert into mta_sts_policy (domain, policy_id, policy, fetched_at, expires_at)
            values ($1, $2, $3, $4, $5) on conflict (domain) do update set
            policy_id = excluded.policy_id, policy = excluded.policy,
            fetched_at = excluded.fetched_at, expires_at = excluded.expires_at
            where mta_sts_policy.fetched_at <= excluded.fetched_at""")
        .execute(Tuple.of(domain, policy.id(), policy.text(), utc(fetched), utc(policy.expires())))
        .replaceWithVoid();
  }

  /** Deletes the policies whose max_age has run out; returns how many. */
  public Uni<Integer> purgeExpired() {
    return pool.preparedQuery("delete from mta_sts_policy where expires_at <= now()")
        .execute()
        .map(RowSet::rowCount);
  }

  private static OffsetDateTime utc(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
