package io.postwire.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.postwire.platform.Json;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The {@code domain_audit} history and the DKIM key rows the audit reads and promotes. */
@ApplicationScoped
public class AuditStore {

  /** A DKIM key of a domain as the audit sees it. */
  public record Key(UUID id, String selector, String algorithm, String status, String publicKey) {}

  private final Pool pool;
  private final Json json;

  public AuditStore(Pool pool, Json json) {
    this.pool = pool;
    this.json = json;
  }

  /**
   * Stores an audit and drops all but the newest {@code keep} of its domain. When its status
   * differs from the domain's previous audit (or it is the first), the event {@code
   * domain.audit_changed} ({@code detail: {"previous", "status"}}) is written in the same
   * transaction, so the change and its event commit together.
   */
  public Uni<Void> save(Audit audit, int keep) {
    String result;
    try {
      result = json.mapper().writeValueAsString(audit);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(
                    """
                    with previous as (
                      select (select status from domain_audit where domain = $1
                      order by checked_at desc, id desc limit 1) as status),
                    stored as (
                      insert into domain_audit (domain, checked_at, status, result)
                      values ($1, $2, $3, $4::text::jsonb) returning domain)
                    insert into event (domain, type, detail)
                    select s.domain, 'domain.audit_changed',
                    jsonb_build_object('previous', p.status, 'status', $3::text)
                    from stored s, previous p
                    where p.status is not null and p.status <> $3::text""")
                .execute(Tuple.of(audit.domain(), audit.checkedAt(), audit.status(), result))
                .chain(
                    () ->
                        conn.preparedQuery(
                                """
                                delete from domain_audit where domain = $1 and id not in
                                (select id from domain_audit where domain = $1
                                order by checked_at desc, id desc limit $2)""")
                            .execute(Tuple.of(audit.domain(), keep)))
                .replaceWithVoid());
  }

  /** The latest audit of a domain, or null. */
  public Uni<Audit> latest(String domain) {
    return pool.preparedQuery(
            """
            select result::text from domain_audit where domain = $1
            order by checked_at desc, id desc limit 1""")
        .execute(Tuple.of(domain))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              try {
                return json.mapper().readValue(rows.iterator().next().getString(0), Audit.class);
              } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
              }
            });
  }

  /** The latest status of a domain, or null before its first audit. */
  /** The domain's own return-path domain, or null (none, or the domain is gone). */
  public Uni<String> returnPath(String domain) {
    return pool.preparedQuery("select return_path from domain where name = $1")
        .execute(Tuple.of(domain))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  public Uni<String> latestStatus(String domain) {
    return pool.preparedQuery(
            """
            select status from domain_audit where domain = $1
            order by checked_at desc, id desc limit 1""")
        .execute(Tuple.of(domain))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  /** A domain's latest audit status and when it was checked. */
  public record Latest(String status, OffsetDateTime checkedAt) {}

  /** Each audited domain's latest status, by domain name. */
  public Uni<Map<String, String>> latestStatuses() {
    return latestAudits()
        .map(
            latest -> {
              Map<String, String> statuses = new LinkedHashMap<>();
              latest.forEach((domain, l) -> statuses.put(domain, l.status()));
              return statuses;
            });
  }

  /** Each audited domain's latest status with its time, by domain name. */
  public Uni<Map<String, Latest>> latestAudits() {
    return pool.query(
            """
            select distinct on (domain) domain, status, checked_at from domain_audit
            order by domain, checked_at desc, id desc""")
        .execute()
        .map(
            rows -> {
              Map<String, Latest> latest = new LinkedHashMap<>();
              for (Row row : rows) {
                latest.put(
                    row.getString(0), new Latest(row.getString(1), row.getOffsetDateTime(2)));
              }
              return latest;
            });
  }

  /** Every registered domain, by name. */
  public Uni<List<String>> domains() {
    return pool.query("select name from domain order by name")
        .execute()
        .map(
            rows -> {
              List<String> names = new ArrayList<>();
              for (Row row : rows) {
                names.add(row.getString(0));
              }
              return names;
            });
  }

  /** Whether a domain is registered. */
  public Uni<Boolean> exists(String domain) {
    return pool.preparedQuery("select 1 from domain where name = $1")
        .execute(Tuple.of(domain))
        .map(rows -> rows.size() > 0);
  }

  /** The active and pending DKIM keys of a domain, by selector. */
  public Uni<List<Key>> keys(String domain) {
    return pool.preparedQuery(
            """
            select id, selector, algorithm, status, public_key from dkim_key
            where domain = $1 and status in ('active', 'pending') order by selector""")
        .execute(Tuple.of(domain))
        .map(
            rows -> {
              List<Key> keys = new ArrayList<>();
              for (Row row : rows) {
                keys.add(
                    new Key(
                        row.getUUID(0),
                        row.getString(1),
                        row.getString(2),
                        row.getString(3),
                        row.getString(4)));
              }
              return keys;
            });
  }

  /**
   * Activates a pending key seen published; the other active key of its algorithm, which it
   * replaces, is retired in the same transaction. False when the key was no longer pending.
   */
  public Uni<Boolean> activate(String domain, Key key) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(
                    """
                    update dkim_key set status = 'active', activated_at = now()
                    where id = $1 and status = 'pending'""")
                .execute(Tuple.of(key.id()))
                .chain(
                    activated -> {
                      if (activated.rowCount() == 0) {
                        return Uni.createFrom().item(false);
                      }
                      return conn.preparedQuery(
                              """
                              update dkim_key set status = 'retired', retired_at = now()
                              where domain = $1 and algorithm = $2 and status = 'active'
                              and id <> $3""")
                          .execute(Tuple.of(domain, key.algorithm(), key.id()))
                          .map(retired -> true);
                    }));
  }
}
