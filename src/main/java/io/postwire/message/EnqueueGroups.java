package io.postwire.message;

import io.postwire.platform.GroupCommit;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Writes single sends that arrive while earlier ones are being written together, in one checked
 * statement ({@link MessageStore#insertChecked}): the service's own group commit ({@link
 * GroupCommit}). A send that finds a free slot is written at once, so an idle service adds no wait;
 * under load each statement carries what queued meanwhile. Every message still gets its own answer
 * or refusal: after a group's statement fails, each of its messages is written by itself, so a
 * message PostgreSQL refuses fails only its own send, as it would have without grouping.
 */
@ApplicationScoped
public class EnqueueGroups {

  /** Statements under way at once; more would only make the groups smaller. */
  private static final int IN_FLIGHT = 2;

  private static final int MAX_GROUP = 100;

  private final GroupCommit<MessageStore.NewMessage, MessageStore.Checked> groups;

  public EnqueueGroups(MessageStore store) {
    this.groups =
        new GroupCommit<>(
            messages -> store.insertChecked(store.pool(), messages),
            MAX_GROUP,
            IN_FLIGHT,
            failure -> true,
            GroupCommit.Alone.AT_ONCE,
            (size, failure) -> {},
            (message, failure) -> {});
  }

  /** Stores {@code message} (all its recipients in {@code queued()}) or tells why not. */
  public Uni<MessageStore.Checked> enqueue(MessageStore.NewMessage message) {
    return Uni.createFrom()
        .deferred(
            () -> {
              // answer on the caller's own event loop, not on the one that ran the statement
              Context context = Vertx.currentContext();
              Uni<MessageStore.Checked> stored = groups.submit(message);
              return context == null
                  ? stored
                  : stored.emitOn(task -> context.runOnContext(v -> task.run()));
            });
  }
}
