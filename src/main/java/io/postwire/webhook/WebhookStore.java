package io.postwire.webhook;

import io.postwire.event.EventStore;
import io.postwire.event.EventTypes;
import io.postwire.event.EventView;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Every statement on the webhook tables. */
@ApplicationScoped
public class WebhookStore {

  private static final String COLUMNS = "id, url, events, domains, status, created_at";

  // A scoped key ($n text[]) sees the webhooks whose domains it may all use; null = admin.
  private static final String VISIBLE =
      "(%1$s::text[] is null or (cardinality(domains) > 0 and domains <@ %1$s::text[]))";

  // What a webhook receives: its types and domains, sequenced, published.
  private static final String MATCHES =
      " e.seq is not null and e.type not in "
          + EventTypes.INTERNAL_SQL
          + " and (h.events = '{*}' or "
          + EventTypes.publicSql("e")
          + " = any(h.events)) and (cardinality(h.domains) = 0 or coalesce(m.domain, e.domain) = any(h.domains))";

  private static final String REPLAY =
      "with a as (update webhook set status = 'active' where id = $1)"
          + " insert into webhook_delivery (webhook_id, event_id, seq, recipient)"
          + " select h.id, e.id, e.seq, coalesce(e.recipient, '') from webhook h"
          + " join event e on %s left join message m on m.id = e.message_id"
          + " where h.id = $1 and "
          + MATCHES
          + " on conflict (webhook_id, event_id) do update set status = 'pending', attempts = 0,"
          + " next_attempt_at = now()";

  // Per active webhook, its due rows in seq order, each taken only if it is the earliest pending
  // row of its (webhook, recipient): a later event waits while an earlier one is tried and
  // retried. That earliest row is asked for in the order of index webhook_delivery_order, so the
  // planner reads one entry of it whatever its statistics say (as "not exists (... p.seq < w.seq)"
  // it walked every pending row of the webhook when the statistics were older than the table). At
  // most $3 minus what this replica already has in flight to that webhook ($4, $5),
  // and $2 in all, oldest seq first. The walk of a webhook (index webhook_delivery_next) stops
  // once it has its share, and looks at no more than its first $7 due rows: a claim costs about
  // what it takes, not the whole backlog (with mail to one address, every row behind the one in
  // flight waits, and without the bound each claim would read all of them to find nothing).
  private static final String CLAIM =
      """
      with c as (select d.id from webhook_delivery d where d.id in (
      select x.id from webhook h cross join lateral (
      select w.id, w.seq from (select d.id, d.seq, d.recipient, d.lease_until
      from webhook_delivery d where d.webhook_id = h.id and d.status = 'pending'
      and d.next_attempt_at <= now() order by d.seq limit $7) w
      where (w.lease_until is null or w.lease_until < now())
      and (select p.seq from webhook_delivery p where p.webhook_id = h.id
      and p.recipient = w.recipient and p.status = 'pending'
      order by p.webhook_id, p.recipient, p.seq limit 1) = w.seq
      order by w.seq limit greatest(0, $3 - coalesce((select f.n from
      unnest($4::uuid[], $5::int[]) as f(w, n) where f.w = h.id), 0))) x
      where h.status = 'active')
      order by d.seq limit $2 for update skip locked),
      u as (update webhook_delivery d set lease_owner = $1,
      lease_until = now() + make_interval(secs => $6) from c where d.id = c.id
      returning d.id, d.webhook_id, d.event_id, d.attempts)
      select u.id as delivery_id, u.webhook_id, u.attempts, h.url, h.secret, h.previous_secret,
      h.previous_until > now() as previous_valid, %s
      from u join webhook h on h.id = u.webhook_id join event e on e.id = u.event_id
      left join message m on m.id = e.message_id"""
          .formatted(EventStore.COLUMNS);

  /** How many due rows of one webhook a claim looks at, at most (see {@link #CLAIM}). */
  static final int CLAIM_WINDOW = 1000;

  // The outcomes of several tries in one statement (one commit): a delivery to try again gets its
  // new attempt count and time; a delivered or failed one is deleted (what was tried stays in the
  // delivery log, and a replay works from the event table), so the table holds only what is still
  // to send, and the final write touches no index. Each try's log line, and the webhook disabled
  // when asked; only rows this replica still leases ($8). Returns the ids written. The rows are
  // also
  // named by "= any($1)": the planner then reaches them through the primary key whatever its
  // statistics say (see DeliveryStore's RECORD).
  private static final String RECORD =
      """
      with i as (select * from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[],
      $5::int[], $6::int[], $7::bool[]) as i(id, state, next_at, attempt, http, duration, disable)),
      r as (update webhook_delivery d set attempts = d.attempts + 1,
      next_attempt_at = coalesce(i.next_at, d.next_attempt_at), lease_owner = null,
      lease_until = null from i where d.id = i.id and d.id = any($1) and d.lease_owner = $8
      and i.state = 'pending' returning d.id, d.webhook_id, d.event_id),
      f as (delete from webhook_delivery d using i where d.id = i.id and d.id = any($1)
      and d.lease_owner = $8 and i.state <> 'pending' returning d.id, d.webhook_id, d.event_id),
      d as (select * from r union all select * from f),
      a as (insert into webhook_attempt (webhook_id, event_uid, status, http_status, duration_ms)
      select d.webhook_id, e.uid, i.attempt, i.http, i.duration from d join i on i.id = d.id
      join event e on e.id = d.event_id order by d.id),
      g as (update webhook set status = 'disabled' where id in
      (select d.webhook_id from d join i on i.id = d.id where i.disable))
      select d.id from d""";

  private final Pool pool;
  private final EventStore events;

  public WebhookStore(Pool pool, EventStore events) {
    this.pool = pool;
    this.events = events;
  }

  /** One claimed delivery: the event and where and how to send it. */
  record Claimed(
      long deliveryId,
      UUID webhookId,
      int attempts,
      String url,
      byte[] secret,
      byte[] previousSecret,
      EventView event) {}

  Uni<Webhook> create(
      UUID id, UUID apiKeyId, String url, String[] events, String[] domains, byte[] sealed) {
    return pool.preparedQuery(
            "insert into webhook (id, api_key_id, url, events, domains, secret)"
                + " values ($1, $2, $3, $4, $5, $6) returning "
                + COLUMNS)
        .execute(Tuple.from(new Object[] {id, apiKeyId, url, events, domains, sealed}))
        .map(rows -> webhook(rows.iterator().next()));
  }

  Uni<Webhook> find(UUID id, String[] scope) {
    return pool.preparedQuery(
            "select " + COLUMNS + " from webhook where id = $1 and " + VISIBLE.formatted("$2"))
        .execute(Tuple.of(id, scope))
        .map(rows -> rows.iterator().hasNext() ? webhook(rows.iterator().next()) : null);
  }

  /** Oldest first, after the webhook {@code after} (null = from the start). */
  Uni<List<Webhook>> list(String[] scope, UUID after, int limit) {
    return pool.preparedQuery(
            "select "
                + COLUMNS
                + " from webhook where "
                + VISIBLE.formatted("$1")
                + " and ($2::uuid is null or (created_at, id) > (select created_at, id from"
                + " webhook where id = $2)) order by created_at, id limit $3")
        .execute(Tuple.of(scope, after, limit))
        .map(
            rows -> {
              List<Webhook> items = new ArrayList<>();
              rows.forEach(r -> items.add(webhook(r)));
              return items;
            });
  }

  Uni<Boolean> delete(UUID id, String[] scope) {
    return pool.preparedQuery("delete from webhook where id = $1 and " + VISIBLE.formatted("$2"))
        .execute(Tuple.of(id, scope))
        .map(rows -> rows.rowCount() > 0);
  }

  /** The new secret signs from now on; the one it replaces keeps signing for {@code overlap}. */
  Uni<Webhook> rotate(UUID id, String[] scope, byte[] sealed, Duration overlap) {
    return pool.preparedQuery(
            "update webhook set previous_secret = secret, secret = $3,"
                + " previous_until = now() + make_interval(secs => $4)"
                + " where id = $1 and "
                + VISIBLE.formatted("$2")
                + " returning "
                + COLUMNS)
        .execute(Tuple.of(id, scope, sealed, (double) overlap.toSeconds()))
        .map(rows -> rows.iterator().hasNext() ? webhook(rows.iterator().next()) : null);
  }

  /**
   * Sends again every matching event after {@code seq}, and makes a disabled webhook active again;
   * how many were queued.
   */
  Uni<Integer> replayAfter(UUID id, long seq) {
    return pool.preparedQuery(REPLAY.formatted("e.seq > $2"))
        .execute(Tuple.of(id, seq))
        .map(RowSet::rowCount);
  }

  /** Sends these events again (those the webhook receives); how many were queued. */
  Uni<Integer> replayIds(UUID id, UUID[] eventIds) {
    return pool.preparedQuery(REPLAY.formatted("e.uid = any($2)"))
        .execute(Tuple.of(id, eventIds))
        .map(RowSet::rowCount);
  }

  /** One attempt in a webhook's log. */
  public record WebhookAttempt(
      long id,
      UUID eventId,
      String status,
      Integer httpStatus,
      OffsetDateTime at,
      int durationMs) {}

  /** Newest first, before attempt {@code before} (null = the newest). */
  Uni<List<WebhookAttempt>> attempts(UUID id, Long before, int limit) {
    return pool.preparedQuery(
            "select id, event_uid, status, http_status, at, duration_ms from webhook_attempt"
                + " where webhook_id = $1 and ($2::bigint is null or id < $2)"
                + " order by id desc limit $3")
        .execute(Tuple.of(id, before, limit))
        .map(
            rows -> {
              List<WebhookAttempt> items = new ArrayList<>();
              for (Row r : rows) {
                items.add(
                    new WebhookAttempt(
                        r.getLong("id"),
                        r.getUUID("event_uid"),
                        r.getString("status"),
                        r.getInteger("http_status"),
                        r.getOffsetDateTime("at"),
                        r.getInteger("duration_ms")));
              }
              return items;
            });
  }

  Uni<List<Claimed>> claim(
      String owner, int limit, Map<UUID, Integer> inFlight, int perEndpoint, Duration lease) {
    UUID[] ids = inFlight.keySet().toArray(UUID[]::new);
    Integer[] counts = new Integer[ids.length];
    for (int i = 0; i < ids.length; i++) {
      counts[i] = inFlight.get(ids[i]);
    }
    return pool.preparedQuery(CLAIM)
        .execute(
            Tuple.from(
                new Object[] {
                  owner,
                  limit,
                  perEndpoint,
                  ids,
                  counts,
                  (double) lease.toMillis() / 1000.0,
                  CLAIM_WINDOW
                }))
        .map(
            rows -> {
              List<Claimed> items = new ArrayList<>();
              for (Row r : rows) {
                items.add(
                    new Claimed(
                        r.getLong("delivery_id"),
                        r.getUUID("webhook_id"),
                        r.getInteger("attempts"),
                        r.getString("url"),
                        r.getBuffer("secret").getBytes(),
                        Boolean.TRUE.equals(r.getBoolean("previous_valid"))
                            ? r.getBuffer("previous_secret").getBytes()
                            : null,
                        events.view(r)));
              }
              return items;
            });
  }

  /** The result of one try: the delivery's new state and its attempt's log line. */
  record Outcome(
      long deliveryId,
      String status,
      Instant nextAttemptAt,
      String attemptStatus,
      Integer httpStatus,
      int durationMs,
      boolean disable) {}

  /**
   * Writes the results of several tries in one statement, and the webhooks disabled where asked;
   * per outcome, false when the lease was lost meanwhile.
   */
  Uni<List<Boolean>> record(String owner, List<Outcome> outcomes) {
    int n = outcomes.size();
    Long[] ids = new Long[n];
    String[] states = new String[n];
    OffsetDateTime[] next = new OffsetDateTime[n];
    String[] attempts = new String[n];
    Integer[] http = new Integer[n];
    Integer[] durations = new Integer[n];
    Boolean[] disable = new Boolean[n];
    for (int i = 0; i < n; i++) {
      Outcome o = outcomes.get(i);
      ids[i] = o.deliveryId();
      states[i] = o.status();
      next[i] = o.nextAttemptAt() == null ? null : o.nextAttemptAt().atOffset(ZoneOffset.UTC);
      attempts[i] = o.attemptStatus();
      http[i] = o.httpStatus();
      durations[i] = o.durationMs();
      disable[i] = o.disable();
    }
    return pool.preparedQuery(RECORD)
        .execute(
            Tuple.from(new Object[] {ids, states, next, attempts, http, durations, disable, owner}))
        .map(
            rows -> {
              java.util.Set<Long> written = new java.util.HashSet<>();
              rows.forEach(r -> written.add(r.getLong("id")));
              List<Boolean> result = new ArrayList<>(n);
              for (Outcome o : outcomes) {
                result.add(written.contains(o.deliveryId()));
              }
              return result;
            });
  }

  /** Lets go of every lease this replica holds (at shutdown). */
  Uni<Integer> release(String owner) {
    return pool.preparedQuery(
            "update webhook_delivery set lease_owner = null, lease_until = null"
                + " where lease_owner = $1")
        .execute(Tuple.of(owner))
        .map(RowSet::rowCount);
  }

  /**
   * Pending deliveries of active webhooks (a disabled one's wait for a replay, not for the sender)
   * and the age in seconds of the oldest one's event.
   */
  Uni<long[]> backlog() {
    return pool.query(
            "select count(*) as n, coalesce(extract(epoch from now() - min(e.at)), 0)::bigint"
                + " as age from webhook_delivery d join event e on e.id = d.event_id"
                + " join webhook h on h.id = d.webhook_id"
                + " where d.status = 'pending' and h.status = 'active'")
        .execute()
        .map(
            rows -> {
              Row r = rows.iterator().next();
              return new long[] {r.getLong("n"), r.getLong("age")};
            });
  }

  private static Webhook webhook(Row r) {
    return new Webhook(
        r.getUUID("id"),
        r.getString("url"),
        List.of(r.getArrayOfStrings("events")),
        List.of(r.getArrayOfStrings("domains")),
        null,
        r.getString("status"),
        r.getOffsetDateTime("created_at"));
  }
}
