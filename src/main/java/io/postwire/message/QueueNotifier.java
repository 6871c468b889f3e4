package io.postwire.message;

import io.postwire.platform.DatabaseSignals;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Wakes the delivery workers of every replica after messages were committed: a NOTIFY on {@link
 * DatabaseSignals#DELIVERY}, sent in its own transaction after the enqueue committed, at most one
 * in flight per replica (wakes that arrive meanwhile are coalesced into one more NOTIFY).
 *
 * <p>Why not NOTIFY inside the enqueue statement: PostgreSQL serializes every committing
 * transaction that has notified on one database-wide lock held until its commit record is flushed
 * (async.c, {@code PreCommit_Notify}), so a NOTIFY per message makes concurrent enqueues queue for
 * each other's WAL flush one at a time instead of sharing group commits.
 */
@ApplicationScoped
public class QueueNotifier {

  private static final Logger LOG = Logger.getLogger(QueueNotifier.class);

  private static final int IDLE = 0;
  private static final int SENDING = 1;
  private static final int SENDING_AND_PENDING = 2;

  private final DatabaseSignals signals;
  private final AtomicInteger state = new AtomicInteger(IDLE);

  public QueueNotifier(DatabaseSignals signals) {
    this.signals = signals;
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
    // Losing this NOTIFY in a crash loses nothing: the messages are already durable and the
    // delivery poll finds them, so its commit need not wait for a WAL flush.
    signals
        .notifyCommitted(DatabaseSignals.DELIVERY)
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
