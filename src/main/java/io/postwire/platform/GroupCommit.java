package io.postwire.platform;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Group commit: items submitted while earlier ones are being written go together in the next
 * statement, so PostgreSQL pays its per-statement and per-commit cost once per group instead of
 * once per item. An item that finds a free slot is written at once, so an idle service adds no
 * wait. At most {@code inFlight} statements run at once, each with at most {@code maxGroup} items,
 * taken in the order they were submitted; what does not fit waits, unbounded, for the next free
 * statement. Every item still gets its own answer or refusal.
 *
 * <p>When a group's statement fails in a way {@code split} accepts, each of its items is written in
 * a statement of its own (all at once, or one after the other), so an item the database refuses
 * fails only itself, as it would have without grouping. Any other failure fails the whole group.
 * The slot is held until the group (or each of its items) has its answer; then the next group
 * starts.
 *
 * @param <T> what is written
 * @param <R> the answer for one item
 */
public final class GroupCommit<T, R> {

  /** How the items of a group whose statement failed are written again, each by itself. */
  public enum Alone {
    /** Each in its own statement, all at once. */
    AT_ONCE,
    /** Each in its own statement, one after the other. */
    IN_TURN
  }

  private final Function<List<T>, Uni<List<R>>> statement;
  private final int maxGroup;
  private final int inFlightMax;
  private final Predicate<Throwable> split;
  private final Alone alone;
  private final BiConsumer<Integer, Throwable> onSplit;
  private final BiConsumer<T, Throwable> onAloneFailure;

  private final ArrayDeque<Entry<T, R>> pending = new ArrayDeque<>();
  private int inFlight;
  private Consumer<Runnable> linger;
  private boolean lingering;

  private record Entry<T, R>(T item, UniEmitter<? super R> done) {}

  /**
   * @param statement writes a group and answers one result per item, in the same order
   * @param maxGroup most items in one statement
   * @param inFlight statements under way at once
   * @param split which failures of a group of more than one are retried item by item
   * @param alone how those items are written again
   * @param onSplit told the group size and failure before a group is split
   * @param onAloneFailure told each item whose own statement failed after a split
   */
  public GroupCommit(
      Function<List<T>, Uni<List<R>>> statement,
      int maxGroup,
      int inFlight,
      Predicate<Throwable> split,
      Alone alone,
      BiConsumer<Integer, Throwable> onSplit,
      BiConsumer<T, Throwable> onAloneFailure) {
    this.statement = statement;
    this.maxGroup = maxGroup;
    this.inFlightMax = inFlight;
    this.split = split;
    this.alone = alone;
    this.onSplit = onSplit;
    this.onAloneFailure = onAloneFailure;
  }

  /**
   * Makes an item that finds a free slot wait for {@code later} to run (a short timer) before its
   * statement starts, unless a whole group is already waiting, so that items finishing one after
   * the other still share a statement: for writes whose caller does not wait on them (a webhook
   * outcome), where fewer statements matter more than a few milliseconds. Call before the first
   * {@link #submit}.
   */
  public GroupCommit<T, R> lingering(Consumer<Runnable> later) {
    this.linger = later;
    return this;
  }

  /** Writes {@code item} with whatever else is waiting; answers its own result or failure. */
  public Uni<R> submit(T item) {
    return Uni.createFrom()
        .emitter(
            done -> {
              List<Entry<T, R>> group = null;
              boolean wait = false;
              synchronized (this) {
                pending.add(new Entry<>(item, done));
                if (inFlight < inFlightMax) {
                  if (linger == null || pending.size() >= maxGroup) {
                    inFlight++;
                    group = take();
                  } else if (!lingering) {
                    lingering = true;
                    wait = true;
                  }
                }
              }
              if (group != null) {
                write(group);
              } else if (wait) {
                linger.accept(this::lingered);
              }
            });
  }

  /** The linger is over: what waits (if a finished statement has not taken it) is written. */
  private void lingered() {
    List<Entry<T, R>> group = null;
    synchronized (this) {
      lingering = false;
      if (!pending.isEmpty() && inFlight < inFlightMax) {
        inFlight++;
        group = take();
      }
    }
    if (group != null) {
      write(group);
    }
  }

  private List<Entry<T, R>> take() {
    List<Entry<T, R>> group = new ArrayList<>(Math.min(pending.size(), maxGroup));
    while (!pending.isEmpty() && group.size() < maxGroup) {
      group.add(pending.poll());
    }
    return group;
  }

  private Uni<List<R>> run(List<T> items) {
    return Uni.createFrom().deferred(() -> statement.apply(items));
  }

  private void write(List<Entry<T, R>> group) {
    List<T> items = new ArrayList<>(group.size());
    group.forEach(e -> items.add(e.item()));
    run(items)
        .subscribe()
        .with(
            results -> {
              for (int i = 0; i < group.size(); i++) {
                group.get(i).done().complete(results.get(i));
              }
              next();
            },
            failure -> {
              if (group.size() > 1 && split.test(failure)) {
                onSplit.accept(group.size(), failure);
                alone(group);
              } else {
                group.forEach(e -> e.done().fail(failure));
                next();
              }
            });
  }

  /** Writes each entry of a failed group in a statement of its own, then frees the slot. */
  private void alone(List<Entry<T, R>> group) {
    Multi<Entry<T, R>> entries = Multi.createFrom().iterable(group);
    Multi<Entry<T, R>> written =
        alone == Alone.IN_TURN
            ? entries.onItem().transformToUniAndConcatenate(this::writeAlone)
            : entries.onItem().transformToUniAndMerge(this::writeAlone);
    written.collect().last().subscribe().with(last -> next(), e -> next());
  }

  private Uni<Entry<T, R>> writeAlone(Entry<T, R> entry) {
    return run(List.of(entry.item()))
        .onItemOrFailure()
        .transform(
            (results, failure) -> {
              if (failure != null) {
                onAloneFailure.accept(entry.item(), failure);
                entry.done().fail(failure);
              } else {
                entry.done().complete(results.get(0));
              }
              return entry;
            });
  }

  private void next() {
    List<Entry<T, R>> group = null;
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
