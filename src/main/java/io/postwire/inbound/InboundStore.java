package io.postwire.inbound;

import io.postwire.suppression.SuppressionService;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.UUID;

/**
 * What inbound reports change: each outcome (an asynchronous bounce, a delay, an auto-reply, a
 * complaint) is one statement, so the recipient's new state, its event and any suppression commit
 * together (the event table is the outbox the events API and webhooks read).
 *
 * <p>Every statement names the delivery by id and by recipient address: a report whose recipient is
 * not the delivery's own changes nothing, so a token for one recipient cannot touch another.
 */
@ApplicationScoped
public class InboundStore {

  /** The delivery a token names, with its message's sending domain. */
  public record Delivery(long id, UUID messageId, String recipient, String domain, String status) {}

  // A bounce turns a recipient that was delivered, or is still queued or deferred, into bounced
  // (RFC 3464 Action: failed); a recipient already final otherwise keeps its state. The event and
  // the hard-bounce suppression are written only when the state changed. A recipient whose attempt
  // is in flight (queued or deferred under a live lease: the lease's end is in next_attempt_at) is
  // left alone and reported: a server may accept a message and send its DSN before the attempt's
  // outcome is written, and the bounce must come after that outcome, not be overwritten by it.
  private static final String BOUNCE =
      """
      with d as (select d.id, d.message_id, d.recipient, m.domain,
      d.status in ('queued', 'deferred') and d.lease_owner is not null
      and d.next_attempt_at > now() as in_flight from delivery d
      join message m on m.id = d.message_id where d.id = $1 and lower(d.recipient) = lower($2)),
      u as (update delivery x set status = 'bounced', bounce_category = $3, last_code = $4,
      last_enhanced_code = $5, last_text = $6, last_host = coalesce($7, x.last_host),
      next_attempt_at = null, lease_owner = null, updated_at = now()
      from d where x.id = d.id and x.status in ('queued', 'deferred', 'delivered')
      and not d.in_flight
      returning x.id),
      e as (insert into event (message_id, recipient, type, detail)
      select d.message_id, d.recipient, t.type, t.detail::jsonb from d
      cross join (select count(*) as n from u) c
      cross join (values (1, 'bounced', $8::text), (2, 'suppressed', $9::text))
      as t(k, type, detail)
      where c.n > 0 and t.detail is not null order by t.k),
      s as (%s)
      select count(*) as changed, (select count(*) from d where d.in_flight) as in_flight from u"""
          .formatted(
              SuppressionService.suppressHardBounces(
                  "select d.recipient, d.domain from d where $10 and exists (select 1 from u)"));

  private static final String EVENT =
      """
      insert into event (message_id, recipient, type, detail)
      select d.message_id, d.recipient, $3, $4::jsonb from delivery d
      where d.id = $1 and lower(d.recipient) = lower($2)""";

  private static final String COMPLAINT =
      """
      with d as (select d.id, d.message_id, d.recipient, m.domain from delivery d
      join message m on m.id = d.message_id where d.id = $1 and lower(d.recipient) = lower($2)),
      e as (insert into event (message_id, recipient, type, detail)
      select d.message_id, d.recipient, 'complained', $3::jsonb from d),
      s as (%s)
      select count(*) as found from d"""
          .formatted(SuppressionService.suppressComplaints("select d.recipient, d.domain from d"));

  private final Pool pool;

  public InboundStore(Pool pool) {
    this.pool = pool;
  }

  /** The delivery with this id, or null when it is gone (retention, a removed message). */
  public Uni<Delivery> delivery(long id) {
    return pool.preparedQuery(
            """
            select d.id, d.message_id, d.recipient, d.status, m.domain from delivery d
            join message m on m.id = d.message_id where d.id = $1""")
        .execute(Tuple.of(id))
        .map(rows -> rows.iterator().hasNext() ? delivery(rows.iterator().next()) : null);
  }

  /**
   * The delivery of {@code recipient} of the message whose Message-ID header is {@code
   * messageIdHeader} (a feedback report that quotes the original message), or null.
   */
  public Uni<Delivery> byMessageId(String messageIdHeader, String recipient) {
    return pool.preparedQuery(
            """
            select d.id, d.message_id, d.recipient, d.status, m.domain from message m
            join delivery d on d.message_id = m.id where m.message_id = $1
            and ($2::text is null or lower(d.recipient) = lower($2))
            order by d.id limit 2""")
        .execute(Tuple.of(messageIdHeader, recipient))
        // without a recipient, only a message with one recipient names one
        .map(
            rows ->
                rows.size() == 1 || (recipient != null && rows.size() > 0)
                    ? delivery(rows.iterator().next())
                    : null);
  }

  private static Delivery delivery(Row r) {
    return new Delivery(
        r.getLong("id"),
        r.getUUID("message_id"),
        r.getString("recipient"),
        r.getString("domain"),
        r.getString("status"));
  }

  /**
   * Records an asynchronous permanent failure of {@code recipient}'s delivery; true when its state
   * changed.
   *
   * @param suppressedDetail the {@code suppressed} event's detail when the address goes on the list
   *     (null: it does not)
   */
  public Uni<Boolean> bounce(
      long deliveryId,
      String recipient,
      String category,
      Integer code,
      String enhancedCode,
      String text,
      String host,
      String detail,
      String suppressedDetail) {
    return pool.preparedQuery(BOUNCE)
        .execute(
            Tuple.tuple()
                .addLong(deliveryId)
                .addString(recipient)
                .addString(category)
                .addInteger(code)
                .addString(enhancedCode)
                .addString(text)
                .addString(host)
                .addString(detail)
                .addString(suppressedDetail)
                .addBoolean(suppressedDetail != null))
        .map(
            rows -> {
              Row r = rows.iterator().next();
              if (r.getLong("in_flight") > 0) {
                throw new AttemptInFlight(deliveryId);
              }
              return r.getLong("changed") > 0;
            });
  }

  /** The delivery a bounce names has an attempt in flight: try again once its outcome is in. */
  public static final class AttemptInFlight extends RuntimeException {
    AttemptInFlight(long deliveryId) {
      super("delivery " + deliveryId + " has an attempt in flight", null, false, false);
    }
  }

  /**
   * Adds an event of {@code type} for the recipient's delivery (no state change); true if found.
   */
  public Uni<Boolean> event(long deliveryId, String recipient, String type, String detail) {
    return pool.preparedQuery(EVENT)
        .execute(Tuple.of(deliveryId, recipient, type, detail))
        .map(rows -> rows.rowCount() > 0);
  }

  /** Records a complaint: the event and a {@code complaint} suppression for the sending domain. */
  public Uni<Boolean> complaint(long deliveryId, String recipient, String detail) {
    return pool.preparedQuery(COMPLAINT)
        .execute(Tuple.of(deliveryId, recipient, detail))
        .map(rows -> rows.iterator().next().getLong("found") > 0);
  }
}
