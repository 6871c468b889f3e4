package io.postwire.delivery;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The queue side of the {@code delivery} table: claim due rows under a lease (FOR UPDATE SKIP
 * LOCKED), renew leases, record outcomes, release on shutdown. While a row is leased its {@code
 * next_attempt_at} holds the lease expiry, so a dead replica's rows become due again by themselves.
 */
@ApplicationScoped
public class DeliveryStore {

  private final Pool pool;

  public DeliveryStore(Pool pool) {
    this.pool = pool;
  }

  /** A claimed delivery row. */
  public record Claimed(
      long id, UUID messageId, String recipient, String recipientDomain, int attempts) {}

  /** What a worker needs of the message itself. */
  public record MessageData(
      UUID id,
      String domain,
      String mailFrom,
      byte[] content,
      String signature,
      Instant expiresAt,
      boolean domainExists) {}

  /** One recipient's result, to be written. */
  public record Outcome(
      long deliveryId,
      UUID messageId,
      String recipient,
      String status,
      Instant nextAttemptAt,
      Integer code,
      String enhancedCode,
      String text,
      String host,
      String bounceCategory,
      boolean attempted,
      boolean suppress) {}

  /** One event row. */
  public record Event(UUID messageId, String recipient, String type, String detailJson) {}

  public Uni<List<Claimed>> claim(String owner, int limit, Duration lease) {
    return pool.preparedQuery(
            "with due as (select id from delivery"
                + " where status in ('queued', 'deferred') and next_attempt_at <= now()"
                + " order by next_attempt_at limit $1 for update skip locked)"
                + " update delivery d set lease_owner = $2,"
                + " next_attempt_at = now() + $3::bigint * interval '1 millisecond', updated_at = now()"
                + " from due where d.id = due.id"
                + " returning d.id, d.message_id, d.recipient, d.recipient_domain, d.attempts")
        .execute(Tuple.of(limit, owner, lease.toMillis()))
        .map(
            rows -> {
              List<Claimed> claimed = new ArrayList<>();
              for (Row r : rows) {
                claimed.add(
                    new Claimed(
                        r.getLong("id"),
                        r.getUUID("message_id"),
                        r.getString("recipient"),
                        r.getString("recipient_domain"),
                        r.getInteger("attempts")));
              }
              return claimed;
            });
  }

  /** Pushes the lease of rows this worker still holds. */
  public Uni<Integer> renew(String owner, Collection<Long> ids, Duration lease) {
    if (ids.isEmpty()) {
      return Uni.createFrom().item(0);
    }
    return pool.preparedQuery(
            "update delivery set next_attempt_at = now() + $3::bigint * interval '1 millisecond'"
                + " where lease_owner = $1 and id = any($2) and status in ('queued', 'deferred')")
        .execute(Tuple.of(owner, ids.toArray(Long[]::new), lease.toMillis()))
        .map(rows -> rows.rowCount());
  }

  /** Gives back every row this worker still holds, due at once (graceful shutdown). */
  public Uni<Integer> releaseAll(String owner) {
    return pool.preparedQuery(
            "update delivery set lease_owner = null, next_attempt_at = now(), updated_at = now()"
                + " where lease_owner = $1 and status in ('queued', 'deferred')")
        .execute(Tuple.of(owner))
        .map(rows -> rows.rowCount());
  }

  public Uni<MessageData> message(UUID id) {
    return pool.preparedQuery(
            "select m.id, m.domain, m.mail_from, m.content, m.signature, m.expires_at,"
                + " exists (select 1 from domain d where d.name = m.domain) as domain_exists"
                + " from message m where m.id = $1")
        .execute(Tuple.of(id))
        .map(
            rows -> {
              if (!rows.iterator().hasNext()) {
                return null;
              }
              Row r = rows.iterator().next();
              return new MessageData(
                  r.getUUID("id"),
                  r.getString("domain"),
                  r.getString("mail_from"),
                  r.getBuffer("content").getBytes(),
                  r.getString("signature"),
                  r.getOffsetDateTime("expires_at").toInstant(),
                  r.getBoolean("domain_exists"));
            });
  }

  /**
   * Stores a message's signature unless another worker already did (first writer wins), and returns
   * the one that is stored.
   */
  public Uni<String> storeSignature(UUID messageId, String signature) {
    return pool.preparedQuery(
            "with s as (update message set signature = $2 where id = $1 and signature is null"
                + " returning signature),"
                + " e as (insert into event (message_id, type, detail)"
                + " select $1, 'signed', $3::text::jsonb from s)"
                + " select coalesce((select signature from s),"
                + " (select signature from message where id = $1)) as signature")
        .execute(Tuple.of(messageId, signature, "{}"))
        .map(rows -> rows.iterator().next().getString("signature"));
  }

  /**
   * Writes outcomes (only for rows this worker still holds), their events, and suppressions, in one
   * statement.
   */
  public Uni<Void> record(String owner, List<Outcome> outcomes, List<Event> events) {
    int n = outcomes.size();
    Long[] ids = new Long[n];
    String[] statuses = new String[n];
    OffsetDateTime[] next = new OffsetDateTime[n];
    Integer[] codes = new Integer[n];
    String[] enhanced = new String[n];
    String[] texts = new String[n];
    String[] hosts = new String[n];
    String[] categories = new String[n];
    Boolean[] attempted = new Boolean[n];
    List<String> suppress = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Outcome o = outcomes.get(i);
      ids[i] = o.deliveryId();
      statuses[i] = o.status();
      next[i] = o.nextAttemptAt() == null ? null : o.nextAttemptAt().atOffset(ZoneOffset.UTC);
      codes[i] = o.code();
      enhanced[i] = o.enhancedCode();
      texts[i] = o.text();
      hosts[i] = o.host();
      categories[i] = o.bounceCategory();
      attempted[i] = o.attempted();
      if (o.suppress()) {
        suppress.add(o.recipient());
      }
    }
    int m = events.size();
    UUID[] eventMessages = new UUID[m];
    String[] eventRecipients = new String[m];
    String[] eventTypes = new String[m];
    String[] eventDetails = new String[m];
    for (int i = 0; i < m; i++) {
      Event e = events.get(i);
      eventMessages[i] = e.messageId();
      eventRecipients[i] = e.recipient();
      eventTypes[i] = e.type();
      eventDetails[i] = e.detailJson();
    }
    return pool.preparedQuery(
            "with o as (select * from unnest($2::bigint[], $3::text[], $4::timestamptz[],"
                + " $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[])"
                + " as t(id, status, next_at, code, enhanced, txt, host, category, attempted)),"
                + " u as (update delivery d set status = o.status,"
                + " attempts = d.attempts + case when o.attempted then 1 else 0 end,"
                + " last_attempt_at = case when o.attempted then now() else d.last_attempt_at end,"
                + " next_attempt_at = o.next_at, lease_owner = null,"
                + " last_code = coalesce(o.code, d.last_code),"
                + " last_enhanced_code = case when o.code is null then d.last_enhanced_code"
                + " else o.enhanced end,"
                + " last_text = coalesce(o.txt, d.last_text),"
                + " last_host = case when o.code is null then d.last_host else o.host end,"
                + " bounce_category = o.category, updated_at = now()"
                + " from o where d.id = o.id and d.lease_owner = $1 returning d.id),"
                + " e as (insert into event (message_id, recipient, type, detail)"
                + " select m, r, t, d::jsonb from unnest($11::uuid[], $12::text[], $13::text[], $14::text[]) as x(m, r, t, d)),"
                + " s as (insert into suppression (address, reason, detail)"
                + " select a, 'hard_bounce', 'permanent failure' from unnest($15::text[]) a"
                + " on conflict (address) do nothing)"
                + " select count(*) from u")
        .execute(
            Tuple.tuple()
                .addString(owner)
                .addArrayOfLong(ids)
                .addArrayOfString(statuses)
                .addArrayOfOffsetDateTime(next)
                .addArrayOfInteger(codes)
                .addArrayOfString(enhanced)
                .addArrayOfString(texts)
                .addArrayOfString(hosts)
                .addArrayOfString(categories)
                .addArrayOfBoolean(attempted)
                .addArrayOfUUID(eventMessages)
                .addArrayOfString(eventRecipients)
                .addArrayOfString(eventTypes)
                .addArrayOfString(eventDetails)
                .addArrayOfString(suppress.toArray(String[]::new)))
        .replaceWithVoid();
  }

  /** Counts for the queue-depth gauge: due, deferred (not yet due), leased. */
  public Uni<long[]> depth() {
    return pool.query(
            "select count(*) filter (where lease_owner is null and next_attempt_at <= now()),"
                + " count(*) filter (where lease_owner is null and next_attempt_at > now()),"
                + " count(*) filter (where lease_owner is not null)"
                + " from delivery where status in ('queued', 'deferred')")
        .execute()
        .map(
            rows -> {
              Row r = rows.iterator().next();
              return new long[] {r.getLong(0), r.getLong(1), r.getLong(2)};
            });
  }
}
