package io.postwire.delivery;

import io.postwire.platform.Bytea;
import io.postwire.platform.DeliveryStatus;
import io.postwire.suppression.SuppressionService;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The queue side of the {@code delivery} table: claim due rows under a lease (FOR UPDATE SKIP
 * LOCKED), renew leases, record outcomes, release on shutdown. While a row is leased its {@code
 * next_attempt_at} holds the lease expiry, so a dead replica's rows become due again by themselves.
 */
@ApplicationScoped
public class DeliveryStore {

  // Outcomes, events, signatures and hard-bounce suppressions in one statement, so they commit
  // together: a hard bounce suppresses the address for the domain that sent the message.
  // The rows are named twice, joined to the arrays and by "= any" of an array: the second lets the
  // planner reach them through their primary key whatever its statistics say. With the join alone,
  // statistics older than the table (a fresh install's first burst, before autovacuum's next
  // analyze) chose a hash join over the whole of delivery and message for every statement.
  private static final String RECORD =
      """
      with o as (select * from unnest($2::bigint[], $3::text[], $4::timestamptz[],
      $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[])
      as t(id, status, next_at, code, enhanced, txt, host, category, attempted)),
      u as (update delivery d set status = o.status,
      attempts = d.attempts + case when o.attempted then 1 else 0 end,
      last_attempt_at = case when o.attempted then now() else d.last_attempt_at end,
      next_attempt_at = o.next_at, lease_owner = null,
      last_code = coalesce(o.code, d.last_code),
      last_enhanced_code = case when o.code is null then d.last_enhanced_code
      else o.enhanced end,
      last_text = coalesce(o.txt, d.last_text),
      last_host = case when o.code is null then d.last_host else o.host end,
      bounce_category = o.category, updated_at = now()
      from o where d.id = o.id and d.id = any($2) and d.lease_owner = $1 returning d.id),
      g as (update message m set signature = x.sig
      from unnest($16::uuid[], $17::text[]) as x(id, sig)
      where m.id = x.id and m.id = any($16) and m.signature is null returning m.id),
      e as (insert into event (message_id, recipient, type, detail)
      select m, r, t, d::jsonb from (select g.id as m, null::text as r,
      'signed' as t, '{}' as d, 0 as k from g union all
      select m, r, t, d, k from unnest($11::uuid[], $12::text[], $13::text[],
      $14::text[]) with ordinality as x(m, r, t, d, k)) y order by y.k),
      s as (%s)
      select count(*) from u"""
          .formatted(
              SuppressionService.suppressHardBounces(
                  """
                  select b.a, m.domain from unnest($15::text[], $18::uuid[]) as b(a, mid)
                  join message m on m.id = b.mid and m.id = any($18)"""));

  // cand comes in (next_attempt_at, id) order from the partial index delivery_due_order, so its
  // scan stops once the limit is locked instead of reading, checking and sorting the whole backlog;
  // sized: a message's content counts once, on its first row; the final select reads what
  // describes the message (content, domain_exists, pending) once, on its first row; pending filters
  // the message's rows (found by delivery_message) rather than asking the partial index of due
  // rows too, which stale statistics made a bitmap of every due row
  static final String CLAIM =
      """
      with cand as (select id, message_id, next_attempt_at from delivery
      where status in %1$s
      and next_attempt_at <= now()
      and not exists (select 1 from message pm join domain pd on pd.id = pm.domain_id
      where pm.id = delivery.message_id and pd.sending_paused_since is not null)
      order by next_attempt_at, id limit $1 for update skip locked),
      sized as (select cand.id, cand.message_id, cand.next_attempt_at,
      case when row_number() over (partition by cand.message_id
      order by cand.next_attempt_at, cand.id) = 1
      then coalesce(m.size_bytes, 0) else 0 end as cost
      from cand left join message m on m.id = cand.message_id),
      run as (select id, message_id,
      sum(cost) over (order by next_attempt_at, id) as running,
      row_number() over (order by next_attempt_at, id) as pos from sized),
      due as (select id from (select id,
      min(running) over (partition by message_id) as upto,
      min(pos) over (partition by message_id) as first_pos from run) x
      where first_pos = 1 or upto <= $4::bigint),
      c as (update delivery d set lease_owner = $2,
      next_attempt_at = now() + $3::bigint * interval '1 millisecond', updated_at = now()
      from due where d.id = due.id
      returning d.id, d.message_id, d.recipient, d.recipient_domain, d.attempts),
      r as (select c.*, row_number() over (partition by c.message_id order by c.id) as n
      from c)
      select r.id, r.message_id, r.recipient, r.recipient_domain, r.attempts, r.n,
      m.id as mid, m.domain, m.mail_from, m.signature, m.expires_at,
      case when r.n = 1 then m.content end as content,
      case when r.n = 1 then exists (select 1 from domain x where x.id = m.domain_id)
      end as domain_exists,
      case when r.n = 1 then (select x.return_path from domain x where x.id = m.domain_id)
      end as return_path,
      case when r.n = 1 then (select count(*) filter (where p.status in %1$s)
      from delivery p where p.message_id = r.message_id)
      end as pending
      from r left join message m on m.id = r.message_id order by r.message_id, r.n"""
          .formatted(DeliveryStatus.PENDING_SQL);

  private final Pool pool;

  public DeliveryStore(Pool pool) {
    this.pool = pool;
  }

  /** A claimed delivery row, with the message it belongs to. */
  public record Claimed(
      long id,
      UUID messageId,
      String recipient,
      String recipientDomain,
      int attempts,
      MessageData message) {}

  /**
   * What a worker needs of the message itself. {@code pending} counts the message's deliveries
   * still queued or deferred when it was claimed (this worker's included); {@code returnPath} is
   * its domain's own return-path domain, or null.
   */
  public record MessageData(
      UUID id,
      String domain,
      String mailFrom,
      byte[] content,
      String signature,
      Instant expiresAt,
      boolean domainExists,
      int pending,
      String returnPath) {}

  /** A signature to store with outcomes (first writer wins), and its event. */
  public record Signature(UUID messageId, String value) {}

  /** One recipient's result, to be written. */
  public record Outcome(
      long deliveryId,
      UUID messageId,
      String recipient,
      DeliveryStatus status,
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

  /**
   * Claims up to {@code limit} due rows under a lease and returns them with their messages, in one
   * statement: the content travels once per message, however many of its recipients were claimed. A
   * row whose message is gone comes back with a null message.
   *
   * <p>Rows of a domain whose sending the reputation guard paused are not claimed: they wait,
   * neither attempted nor expired, until the domain is resumed.
   *
   * <p>The claim loads at most {@code maxBytes} of message content (by {@code message.size_bytes}):
   * due rows are taken in order, message by message, until the next message would pass the budget;
   * the first message is always taken, however large. Rows left out stay due for the next claim.
   */
  public Uni<List<Claimed>> claim(String owner, int limit, Duration lease, long maxBytes) {
    return pool.preparedQuery(CLAIM)
        .execute(Tuple.of(limit, owner, lease.toMillis(), maxBytes))
        .map(
            rows -> {
              List<Claimed> claimed = new ArrayList<>();
              MessageData current = null;
              for (Row r : rows) {
                UUID messageId = r.getUUID("message_id");
                if (r.getLong("n") == 1) {
                  current =
                      r.getUUID("mid") == null
                          ? null
                          : new MessageData(
                              messageId,
                              r.getString("domain"),
                              r.getString("mail_from"),
                              Bytea.bytes(r.getBuffer("content").getDelegate()),
                              r.getString("signature"),
                              r.getOffsetDateTime("expires_at").toInstant(),
                              r.getBoolean("domain_exists"),
                              r.getLong("pending").intValue(),
                              r.getString("return_path"));
                }
                claimed.add(
                    new Claimed(
                        r.getLong("id"),
                        messageId,
                        r.getString("recipient"),
                        r.getString("recipient_domain"),
                        r.getInteger("attempts"),
                        current));
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
            """
            update delivery set next_attempt_at = now() + $3::bigint * interval '1 millisecond'
            where lease_owner = $1 and id = any($2) and status in %s"""
                .formatted(DeliveryStatus.PENDING_SQL))
        .execute(Tuple.of(owner, ids.toArray(Long[]::new), lease.toMillis()))
        .map(rows -> rows.rowCount());
  }

  /** Gives back these rows this worker holds, due again after {@code delay}. */
  public Uni<Integer> release(String owner, Collection<Long> ids, Duration delay) {
    return pool.preparedQuery(
            """
            update delivery set lease_owner = null,
            next_attempt_at = now() + $3::bigint * interval '1 millisecond',
            updated_at = now()
            where lease_owner = $1 and id = any($2) and status in %s"""
                .formatted(DeliveryStatus.PENDING_SQL))
        .execute(Tuple.of(owner, ids.toArray(Long[]::new), delay.toMillis()))
        .map(rows -> rows.rowCount());
  }

  /** Gives back every row this worker still holds, due at once (graceful shutdown). */
  public Uni<Integer> releaseAll(String owner) {
    return pool.preparedQuery(
            """
            update delivery set lease_owner = null, next_attempt_at = now(), updated_at = now()
            where lease_owner = $1 and status in %s"""
                .formatted(DeliveryStatus.PENDING_SQL))
        .execute(Tuple.of(owner))
        .map(rows -> rows.rowCount());
  }

  /**
   * Stores a message's signature unless another worker already did (first writer wins), and returns
   * the one that is stored.
   */
  public Uni<String> storeSignature(UUID messageId, String signature) {
    return pool.preparedQuery(
            """
            with s as (update message set signature = $2 where id = $1 and signature is null
            returning signature),
            e as (insert into event (message_id, type, detail)
            select $1, 'signed', $3::text::jsonb from s)
            select coalesce((select signature from s),
            (select signature from message where id = $1)) as signature""")
        .execute(Tuple.of(messageId, signature, "{}"))
        .map(rows -> rows.iterator().next().getString("signature"))
        .chain(
            stored ->
                stored != null
                    ? Uni.createFrom().item(stored)
                    // another group's signature was committed after this statement's snapshot:
                    // its update found the row taken, its select still saw it empty
                    : pool.preparedQuery("select signature from message where id = $1")
                        .execute(Tuple.of(messageId))
                        .map(
                            rows ->
                                rows.iterator().hasNext()
                                    ? rows.iterator().next().getString("signature")
                                    : null)
                        .map(s -> s != null ? s : signature));
  }

  /**
   * Writes outcomes (only for rows this worker still holds), their events, suppressions, and the
   * signatures of messages signed for these attempts (first writer wins, with a {@code signed}
   * event before the message's other events), in one statement.
   */
  public Uni<Void> record(
      String owner, List<Outcome> outcomes, List<Event> events, List<Signature> signatures) {
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
    List<UUID> suppressFor = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Outcome o = outcomes.get(i);
      ids[i] = o.deliveryId();
      statuses[i] = o.status().wire();
      next[i] = o.nextAttemptAt() == null ? null : o.nextAttemptAt().atOffset(ZoneOffset.UTC);
      codes[i] = o.code();
      enhanced[i] = o.enhancedCode();
      texts[i] = o.text();
      hosts[i] = o.host();
      categories[i] = o.bounceCategory();
      attempted[i] = o.attempted();
      if (o.suppress()) {
        suppress.add(o.recipient());
        suppressFor.add(o.messageId());
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
    UUID[] signedMessages = new UUID[signatures.size()];
    String[] signatureValues = new String[signatures.size()];
    for (int i = 0; i < signatures.size(); i++) {
      signedMessages[i] = signatures.get(i).messageId();
      signatureValues[i] = signatures.get(i).value();
    }
    return pool.preparedQuery(RECORD)
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
                .addArrayOfString(suppress.toArray(String[]::new))
                .addArrayOfUUID(signedMessages)
                .addArrayOfString(signatureValues)
                .addArrayOfUUID(suppressFor.toArray(UUID[]::new)))
        .replaceWithVoid();
  }

  /** How many {@code failed_internal} events each of these recipients of a message already has. */
  public Uni<Map<String, Integer>> internalFailures(UUID messageId, List<String> recipients) {
    return pool.preparedQuery(
            """
            select recipient, count(*)::int as n from event where message_id = $1
            and type = 'failed_internal' and recipient = any($2) group by recipient""")
        .execute(Tuple.of(messageId, recipients.toArray(String[]::new)))
        .map(
            rows -> {
              Map<String, Integer> counts = new HashMap<>();
              for (Row r : rows) {
                counts.put(r.getString("recipient"), r.getInteger("n"));
              }
              return counts;
            });
  }

  /** Counts for the queue-depth gauge: due, deferred (not yet due), leased. */
  public Uni<long[]> depth() {
    return pool.query(
            """
            select count(*) filter (where lease_owner is null and next_attempt_at <= now()),
            count(*) filter (where lease_owner is null and next_attempt_at > now()),
            count(*) filter (where lease_owner is not null)
            from delivery where status in %s"""
                .formatted(DeliveryStatus.PENDING_SQL))
        .execute()
        .map(
            rows -> {
              Row r = rows.iterator().next();
              return new long[] {r.getLong(0), r.getLong(1), r.getLong(2)};
            });
  }
}
