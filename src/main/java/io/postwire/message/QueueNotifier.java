package io.postwire.message;

import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Wakes the delivery workers of every replica after messages were committed: a NOTIFY on {@link
 * MessageStore#CHANNEL}, sent in its own transaction after the enqueue committed, at most one in
 * flight per replica (wakes that arrive meanwhile are coalesced into one more NOTIFY).
 *
 * <p>Why not NOTIFY inside the enqueue statement: PostgreSQL serializes every committing
 * transaction that has notified on one database-wide lock held until its commit record is flushed
 * (async.c, {@code PreCommit_Notify}), so a NOTIFY per message makes concurrent enqueues queue for
 * each other's WAL flush one at a time instead of sharing group commits.
 */
@ApplicationScoped
public class QueueNotifier {

  private static final Logger LOG = Logger.getLogger(QueueNotifier.class);

  // Losing this NOTIFY in a crash loses nothing: the messages are already durable and the
  // delivery poll finds them, so its commit need not wait for a WAL flush.
  private static final String NOTIFY =
      "begin; set local synchronous_commit = off; select pg_notify('"
          + MessageStore.CHANNEL
          + "', ''); commit";

  private static final int IDLE = 0;
  private static final int SENDING = 1;
  private static final int SENDING_AND_PENDING = 2;

  private final Pool pool;
  private final AtomicInteger state = new AtomicInteger(IDLE);

  public QueueNotifier(Pool pool) {
    this.pool = pool;
  }

  /** Asks for a NOTIFY that starts after this call (new work was just committed). */
  public void wake() {
    int s;
    do {
      s = state.get();
      if (s == SENDING_AND_PENDING) {
        return;
      }
    } while (!state.compareAndSet(s, s + 1));
    if (s == IDLE) {
      send();
    }
  }

  private void send() {
    pool.query(NOTIFY)
        .execute()
        .subscribe()
        .with(
            rows -> sent(),
            failure -> {
              LOG.debugf("NOTIFY failed (the delivery poll still runs): %s", failure.toString());
              sent();
            });
  }

  private void sent() {
    if (state.compareAndSet(SENDING, IDLE)) {
      return;
    }
    // Only this method leaves SENDING_AND_PENDING: wakes came in while the last NOTIFY was under
    // way, and it may have woken the workers before those rows were committed: send one more.
    state.set(SENDING);
    send();
  }
}
