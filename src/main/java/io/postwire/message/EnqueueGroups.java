package io.postwire.message;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Writes single sends that arrive while earlier ones are being written together, in one checked
 * statement ({@link MessageStore#insertChecked}): the service's own group commit. A send that finds
 * a free slot is written at once, so an idle service adds no wait; under load each statement
 * carries what queued meanwhile, and PostgreSQL pays its per-statement and per-commit cost once per
 * group instead of once per message. Every message still gets its own answer or refusal.
 */
@ApplicationScoped
public class EnqueueGroups {

  /** Statements under way at once; more would only make the groups smaller. */
  private static final int IN_FLIGHT = 2;

  private static final int MAX_GROUP = 100;

  private final MessageStore store;
  private final ArrayDeque<Entry> pending = new ArrayDeque<>();
  private int inFlight;

  private record Entry(
      MessageStore.NewMessage message, BiConsumer<MessageStore.Checked, Throwable> done) {}

  public EnqueueGroups(MessageStore store) {
    this.store = store;
  }

  /** Stores {@code message} (all its recipients in {@code queued()}) or tells why not. */
  public Uni<MessageStore.Checked> enqueue(MessageStore.NewMessage message) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              // answer on the caller's own event loop, not on the one that ran the statement
              Context context = Vertx.currentContext();
              BiConsumer<MessageStore.Checked, Throwable> complete =
                  (checked, failure) -> {
                    if (failure != null) {
                      emitter.fail(failure);
                    } else {
                      emitter.complete(checked);
                    }
                  };
              BiConsumer<MessageStore.Checked, Throwable> done =
                  context == null
                      ? complete
                      : (checked, failure) ->
                          context.runOnContext(v -> complete.accept(checked, failure));
              List<Entry> group = null;
              synchronized (this) {
                pending.add(new Entry(message, done));
                if (inFlight < IN_FLIGHT) {
                  inFlight++;
                  group = take();
                }
              }
              if (group != null) {
                write(group);
              }
            });
  }

  private List<Entry> take() {
    List<Entry> group = new ArrayList<>(Math.min(pending.size(), MAX_GROUP));
    while (!pending.isEmpty() && group.size() < MAX_GROUP) {
      group.add(pending.poll());
    }
    return group;
  }

  private void write(List<Entry> group) {
    List<MessageStore.NewMessage> messages = new ArrayList<>(group.size());
    group.forEach(e -> messages.add(e.message()));
    Uni<List<MessageStore.Checked>> statement;
    try {
      statement = store.insertChecked(store.pool(), messages);
    } catch (RuntimeException e) {
      statement = Uni.createFrom().failure(e);
    }
    statement
        .subscribe()
        .with(
            results -> {
              for (int i = 0; i < group.size(); i++) {
                group.get(i).done().accept(results.get(i), null);
              }
              next();
            },
            failure -> {
              if (group.size() == 1) {
                group.get(0).done().accept(null, failure);
                next();
              } else {
                alone(group);
              }
            });
  }

  /**
   * After a group's statement failed, writes each of its messages in a statement of its own, so a
   * message PostgreSQL refuses fails only its own send, as it would have without grouping.
   */
  private void alone(List<Entry> group) {
    AtomicInteger left = new AtomicInteger(group.size());
    for (Entry entry : group) {
      Uni.createFrom()
          .deferred(() -> store.insertChecked(store.pool(), List.of(entry.message())))
          .subscribe()
          .with(
              results -> {
                entry.done().accept(results.get(0), null);
                if (left.decrementAndGet() == 0) {
                  next();
                }
              },
              failure -> {
                entry.done().accept(null, failure);
                if (left.decrementAndGet() == 0) {
                  next();
                }
              });
    }
  }

  private void next() {
    List<Entry> group = null;
    synchronized (this) {
      if (pending.isEmpty()) {
        inFlight--;
      } else {
        group = take();
      }
    }
    if (group != null) {
      write(group);
    }
  }
}
