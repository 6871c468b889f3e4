package io.postwire.unsubscribe;

import io.postwire.suppression.SuppressionService;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Iterator;
import java.util.Optional;
import java.util.UUID;

/**
 * What an unsubscribe does, whichever way it comes (the one-click POST, mail to the mailto
 * address): an {@code unsubscribe} suppression of the message's recipient for the message's sending
 * domain and the event {@code unsubscribed} (public {@code message.unsubscribed}), in one
 * transaction. Doing it again changes nothing and writes no second event.
 */
@ApplicationScoped
public class Unsubscribes {

  /** The stored event type ({@code message.unsubscribed} to the events API and webhooks). */
  static final String EVENT = "unsubscribed";

  /** The message's one recipient and sending domain, what its unsubscribe token stands for. */
  private static final String TARGET =
      """
      select m.domain, d.recipient, %s as suppressed
      from message m join delivery d on d.message_id = m.id
      where m.id = $1 order by d.id limit 2"""
          .formatted(SuppressionService.suppresses("d.recipient", "m.domain"));

  /**
   * The same, with the message row locked against a concurrent unsubscribe of it (FOR NO KEY UPDATE
   * does not conflict with the key-share locks of event and delivery inserts).
   */
  private static final String TARGET_LOCKED =
      """
      select m.domain, d.recipient from message m join delivery d on d.message_id = m.id
      where m.id = $1 order by d.id limit 2 for no key update of m""";

  /**
   * The suppression (kept as it is when the address already has one for the domain) and the event,
   * written when the suppression is new or the message has no {@code unsubscribed} event yet: a
   * repeated request writes nothing, one after the sender lifted the suppression writes both again.
   */
  private static final String WRITE =
      """
      with s as (%s)
      insert into event (message_id, recipient, type, detail)
      select $1, $2, '%s', jsonb_build_object('via', $4::text)
      where exists (select 1 from s) or not exists (select 1 from event
      where message_id = $1 and recipient = $2 and type = '%s')"""
          .formatted(SuppressionService.suppressUnsubscribe("$2", "$3", "$5"), EVENT, EVENT);

  /** The recipient and domain an unsubscribe token stands for. */
  public record Target(UUID messageId, String domain, String recipient, boolean suppressed) {}

  /** An unsubscribe done: whether this request wrote it, or an earlier one had. */
  public record Outcome(Target target, boolean written) {}

  private final Pool pool;

  public Unsubscribes(Pool pool) {
    this.pool = pool;
  }

  /** The recipient and domain of message {@code id}; empty when it is gone or not one recipient. */
  public Uni<Optional<Target>> target(UUID id) {
    return pool.preparedQuery(TARGET)
        .execute(Tuple.of(id))
        .map(rows -> one(rows).map(r -> target(id, r, r.getBoolean("suppressed"))));
  }

  /**
   * Unsubscribes the recipient of message {@code id} from its sending domain's mail; empty when the
   * message is gone (retention) or has not exactly one recipient.
   *
   * @param via how the request came: {@code https} or {@code mailto} (the event's {@code detail})
   */
  public Uni<Optional<Outcome>> unsubscribe(UUID id, String via) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(TARGET_LOCKED)
                .execute(Tuple.of(id))
                .chain(
                    rows -> {
                      Optional<Row> row = one(rows);
                      if (row.isEmpty()) {
                        return Uni.createFrom().item(Optional.<Outcome>empty());
                      }
                      Target target = target(id, row.get(), true);
                      return conn.preparedQuery(WRITE)
                          .execute(
                              Tuple.of(
                                  id,
                                  target.recipient(),
                                  target.domain(),
                                  via,
                                  "one-click unsubscribe (" + via + ")"))
                          .map(done -> Optional.of(new Outcome(target, done.rowCount() > 0)));
                    }));
  }

  private static Optional<Row> one(RowSet<Row> rows) {
    Iterator<Row> it = rows.iterator();
    if (!it.hasNext()) {
      return Optional.empty();
    }
    Row row = it.next();
    // a token names a message with one recipient; anything else is no message it can stand for
    return it.hasNext() ? Optional.empty() : Optional.of(row);
  }

  private static Target target(UUID id, Row row, boolean suppressed) {
    return new Target(id, row.getString("domain"), row.getString("recipient"), suppressed);
  }
}
