package io.postwire.delivery;

import io.postwire.platform.GroupCommit;
import io.smallrye.mutiny.Uni;
import io.vertx.pgclient.PgException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Writes the outcomes of finished transactions ({@link GroupCommit}): groups that finish while a
 * write runs go together in the next one, so under load one statement (and one commit) records many
 * transactions. One statement runs at a time, with at most {@link #MAX_WRITE} groups.
 */
final class OutcomeWriter {

  private static final Logger LOG = Logger.getLogger(DeliveryPipeline.class);

  /** Most groups' outcomes written by one statement. */
  private static final int MAX_WRITE = 256;

  private final DeliveryStore store;
  private final String owner;
  private final Duration lease;
  private final GroupCommit<Recorded, Void> writes;

  OutcomeWriter(DeliveryStore store, String owner, Duration lease) {
    this.store = store;
    this.owner = owner;
    this.lease = lease;
    // one group's row must not cost the others their outcome: a transaction whose outcome is not
    // written is sent again once its lease expires, so a refused statement is split
    this.writes =
        new GroupCommit<>(
            this::record,
            MAX_WRITE,
            1,
            OutcomeWriter::refused,
            GroupCommit.Alone.IN_TURN,
            (size, e) ->
                LOG.warnf(
                    "The database refused the outcomes of %d transactions written together (%s);"
                        + " writing them one by one",
                    size, e.getMessage()),
            (recorded, e) ->
                LOG.errorf(
                    "The database refused the outcome of message %s: %s",
                    recorded.messageId(), e.getMessage()));
  }

  /** Writes a group's outcomes, events and signature with those of others finishing meanwhile. */
  Uni<Void> write(Recorded recorded) {
    if (recorded.empty()) {
      return Uni.createFrom().voidItem();
    }
    return writes.submit(recorded);
  }

  /**
   * One statement for the outcomes of {@code batch}. The SMTP side is done: while we hold the lease
   * keep trying to record it through a database blip, or the message would be sent again; a
   * statement the database refuses is not tried again as it is.
   */
  private Uni<List<Void>> record(List<Recorded> batch) {
    List<DeliveryStore.Outcome> outcomes = new ArrayList<>();
    List<DeliveryStore.Event> events = new ArrayList<>();
    List<DeliveryStore.Signature> signatures = new ArrayList<>();
    for (Recorded r : batch) {
      outcomes.addAll(r.outcomes());
      events.addAll(r.events());
      if (r.signature() != null) {
        signatures.add(r.signature());
      }
    }
    return store
        .record(owner, outcomes, events, signatures)
        .onFailure(e -> !refused(e))
        .retry()
        .withBackOff(Duration.ofMillis(200), Duration.ofSeconds(2))
        .expireIn(lease.toMillis())
        .invoke(() -> OutcomeLog.recorded(outcomes))
        .map(v -> Collections.nCopies(batch.size(), (Void) null));
  }

  /**
   * Whether the database answered the statement with an error of its own, as for a value it cannot
   * store, rather than the statement failing on the way (connection lost, pool exhausted) or for a
   * reason that passes by itself (SQLSTATE classes 08 connection, 40 transaction rollback, 53
   * insufficient resources, 57 operator intervention, 58 system error).
   */
  static boolean refused(Throwable e) {
    if (!(e instanceof PgException pg) || pg.getSqlState() == null) {
      return false;
    }
    String sqlClass = pg.getSqlState().length() < 2 ? "" : pg.getSqlState().substring(0, 2);
    return !Set.of("08", "40", "53", "57", "58").contains(sqlClass);
  }
}
