package io.postwire.event;

import io.postwire.platform.DatabaseSignals;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Gives committed events their {@code seq}, the position {@code GET /v1/events?after=} and the
 * webhook sender read by.
 *
 * <p>Why not the {@code bigserial} id: ids are taken when a row is inserted, not when its
 * transaction commits. A transaction holding id 10 can commit after one holding id 11 was already
 * read, and a reader that has moved past 11 never sees 10.
 *
 * <p>Why this is safe: events are inserted with {@code seq} null, by whatever transaction reports
 * the state change (the outbox: the event commits with the change or not at all). A sequencer
 * transaction takes the transaction-level advisory lock {@link #LOCK} without waiting, then numbers
 * the events its snapshot sees without a seq (all committed) in id order from {@code event_seq}.
 * The lock makes sequencer transactions run one after another across every replica: the next can
 * only take the lock once the previous has committed or rolled back (a transaction-level lock is
 * released only then, also when its connection dies). So every seq a transaction assigns is greater
 * than every seq already committed, and all its seqs become visible at one commit: the committed
 * seqs visible to any reader always include every smaller seq that will ever exist (PostgreSQL
 * makes a commit visible before it releases the transaction's locks): a reader that has seen {@code
 * s} could already see everything below it, so {@code after=s} skips nothing. The numbering
 * statement runs after the lock is taken, with a fresh READ COMMITTED snapshot, so it never numbers
 * an event twice. An event whose transaction is still open is invisible to the sequencer and gets a
 * later seq once committed. Seqs may have gaps (a rolled back numbering consumes its values).
 *
 * <p>The same statement writes a {@code webhook_delivery} row for every active webhook that
 * subscribes to the event, so a subscription sees every event sequenced after it was created.
 */
@ApplicationScoped
public class EventSequencer {

  /** The advisory lock key of sequencer transactions ("events" in ASCII). */
  static final long LOCK = 0x6576656e7473L;

  private static final Logger LOG = Logger.getLogger(EventSequencer.class);

  private static final String NUMBER =
      """
      with o as (select id from event where seq is null order by id limit $1 for update),
      s as (select o.id, nextval('event_seq') as seq from o order by o.id),
      u as (update event e set seq = s.seq from s where e.id = s.id
      returning e.id, e.seq, e.message_id, e.recipient, e.type, e.domain),
      w as (insert into webhook_delivery (webhook_id, event_id, seq, recipient)
      select h.id, u.id, u.seq, coalesce(u.recipient, '') from u
      left join message m on m.id = u.message_id
      join webhook h on h.status = 'active'
      and (h.events = '{*}' or %s = any(h.events))
      and (cardinality(h.domains) = 0 or coalesce(m.domain, u.domain) = any(h.domains))
      where u.type not in %s
      returning 1)
      select (select count(*) from u) as numbered, (select count(*) from w) as queued"""
          .formatted(EventTypes.publicSql("u"), EventTypes.INTERNAL_SQL);

  /**
   * Wakes the webhook sender on every replica once a numbering has queued webhook deliveries; no
   * payload. Its poll is the safety net of a lost notification.
   */
  public static final String WEBHOOKS = "postwire_webhooks";

  private final Pool pool;
  private final Vertx vertx;
  private final EventConfig config;
  private final DatabaseSignals signals;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicBoolean again = new AtomicBoolean();
  private long timer = -1;

  public EventSequencer(Pool pool, Vertx vertx, EventConfig config, DatabaseSignals signals) {
    this.pool = pool;
    this.vertx = vertx;
    this.config = config;
    this.signals = signals;
  }

  void start(@Observes StartupEvent event) {
    timer = vertx.setPeriodic(Math.max(10, config.sequenceInterval().toMillis()), id -> run());
    // an enqueue's commit sends this signal: its queued events are numbered at once
    signals.subscribe(DatabaseSignals.DELIVERY, payload -> run(), () -> {});
  }

  /** Numbers what is committed now; a call while a run is going makes it run once more. */
  void run() {
    if (!running.compareAndSet(false, true)) {
      again.set(true);
      return;
    }
    again.set(false);
    drain()
        .onTermination()
        .invoke(
            () -> {
              running.set(false);
              if (again.get()) {
                vertx.runOnContext(this::run);
              }
            })
        .subscribe()
        .with(n -> {}, e -> LOG.debugf("Event sequencing failed (retried): %s", e.toString()));
  }

  void stop(@Observes ShutdownEvent event) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Numbers batches until none is full; the count numbered, 0 when another replica holds it. */
  public Uni<Long> drain() {
    return sequenceOnce()
        .chain(
            n -> n >= config.sequenceBatch() ? drain().map(m -> n + m) : Uni.createFrom().item(n));
  }

  /** One sequencer transaction; how many events it numbered. */
  public Uni<Long> sequenceOnce() {
    return pool.<Row>withTransaction(
            conn ->
                conn.query("select pg_try_advisory_xact_lock(" + LOCK + ")")
                    .execute()
                    .chain(
                        rows -> {
                          if (!rows.iterator().next().getBoolean(0)) {
                            return Uni.createFrom().<Row>nullItem();
                          }
                          return conn.preparedQuery(NUMBER)
                              .execute(Tuple.of(config.sequenceBatch()))
                              .map(r -> r.iterator().next());
                        }))
        .call(
            row ->
                row != null && row.getLong("queued") > 0
                    ? signals.notifyCommitted(WEBHOOKS).onFailure().recoverWithNull()
                    : Uni.createFrom().voidItem())
        .map(row -> row == null ? 0L : row.getLong("numbered"));
  }
}
