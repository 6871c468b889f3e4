package io.postwire.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The group-commit batcher both the single sends and the delivery outcomes use: groups form while a
 * statement runs, in order, bounded; at most so many statements at once; a failed group is split
 * only when the failure says so, each item then answered by itself.
 */
class GroupCommitTest {

  /** A statement that answers only when the test says so; records every group it was given. */
  static final class Statements implements Function<List<Integer>, Uni<List<String>>> {
    final List<List<Integer>> groups = new CopyOnWriteArrayList<>();
    final List<UniEmitter<? super List<String>>> open = new CopyOnWriteArrayList<>();

    @Override
    public Uni<List<String>> apply(List<Integer> group) {
      groups.add(List.copyOf(group));
      return Uni.createFrom().emitter(open::add);
    }

    void answer(int i) {
      List<String> results = new ArrayList<>();
      groups.get(i).forEach(n -> results.add("r" + n));
      open.get(i).complete(results);
    }

    void fail(int i, RuntimeException e) {
      open.get(i).fail(e);
    }
  }

  static final class Refused extends RuntimeException {
    Refused(String m) {
      super(m);
    }
  }

  static CompletableFuture<String> submit(GroupCommit<Integer, String> commit, int n) {
    return commit.submit(n).subscribeAsCompletionStage();
  }

  static GroupCommit<Integer, String> commit(
      Statements s, int maxGroup, int inFlight, GroupCommit.Alone alone) {
    return new GroupCommit<>(
        s, maxGroup, inFlight, e -> e instanceof Refused, alone, (n, e) -> {}, (t, e) -> {});
  }

  @Test
  void lingeringWaitsForTheTimerThenWritesEverythingThatArrivedAsOneGroup() throws Exception {
    Statements s = new Statements();
    List<Runnable> timers = new ArrayList<>();
    GroupCommit<Integer, String> commit =
        commit(s, 3, 1, GroupCommit.Alone.IN_TURN).lingering(timers::add);
    List<CompletableFuture<String>> results = new ArrayList<>();
    results.add(submit(commit, 0));
    results.add(submit(commit, 1));
    // nothing is written until the timer runs, and one timer serves both
    assertThat(s.groups).isEmpty();
    assertThat(timers).hasSize(1);
    timers.get(0).run();
    assertThat(s.groups).containsExactly(List.of(0, 1));
    // while that statement runs, a full group does not linger once the slot is free
    for (int i = 2; i <= 4; i++) {
      results.add(submit(commit, i));
    }
    assertThat(timers).hasSize(1);
    s.answer(0);
    assertThat(s.groups).containsExactly(List.of(0, 1), List.of(2, 3, 4));
    s.answer(1);
    // with the slot free again the first item lingers; the group is written once it is full,
    // before the timer, which then finds nothing left
    for (int i = 5; i <= 7; i++) {
      results.add(submit(commit, i));
    }
    assertThat(timers).hasSize(2);
    assertThat(s.groups).containsExactly(List.of(0, 1), List.of(2, 3, 4), List.of(5, 6, 7));
    timers.get(1).run();
    assertThat(s.groups).hasSize(3);
    s.answer(2);
    for (int i = 0; i <= 7; i++) {
      assertThat(results.get(i).get()).isEqualTo("r" + i);
    }
  }

  @Test
  void writesAtOnceWhenIdleAndGroupsWhatArrivesMeanwhileInOrderAndBounded() throws Exception {
    Statements s = new Statements();
    GroupCommit<Integer, String> commit = commit(s, 3, 1, GroupCommit.Alone.IN_TURN);
    CompletableFuture<String> first = submit(commit, 0);
    List<CompletableFuture<String>> rest = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      rest.add(submit(commit, i));
    }
    assertThat(s.groups).containsExactly(List.of(0));
    s.answer(0);
    assertThat(first.get()).isEqualTo("r0");
    assertThat(s.groups).containsExactly(List.of(0), List.of(1, 2, 3));
    s.answer(1);
    assertThat(s.groups).containsExactly(List.of(0), List.of(1, 2, 3), List.of(4, 5));
    s.answer(2);
    for (int i = 0; i < 5; i++) {
      assertThat(rest.get(i).get()).isEqualTo("r" + (i + 1));
    }
  }

  @Test
  void runsAtMostInFlightStatementsAtOnce() {
    Statements s = new Statements();
    GroupCommit<Integer, String> commit = commit(s, 100, 2, GroupCommit.Alone.AT_ONCE);
    submit(commit, 0);
    submit(commit, 1);
    submit(commit, 2);
    submit(commit, 3);
    assertThat(s.groups).containsExactly(List.of(0), List.of(1));
    s.answer(1);
    assertThat(s.groups).containsExactly(List.of(0), List.of(1), List.of(2, 3));
  }

  @Test
  void aRefusedGroupIsWrittenItemByItemInTurnAndOnlyTheRefusedItemFails() throws Exception {
    Statements s = new Statements();
    GroupCommit<Integer, String> commit = commit(s, 100, 1, GroupCommit.Alone.IN_TURN);
    submit(commit, 0);
    CompletableFuture<String> a = submit(commit, 1);
    CompletableFuture<String> b = submit(commit, 2);
    s.answer(0);
    s.fail(1, new Refused("group"));
    // in turn: the second item's statement waits for the first's answer
    assertThat(s.groups).containsExactly(List.of(0), List.of(1, 2), List.of(1));
    s.fail(2, new Refused("row 1"));
    assertThat(s.groups).containsExactly(List.of(0), List.of(1, 2), List.of(1), List.of(2));
    s.answer(3);
    assertThatThrownBy(a::get).hasCauseInstanceOf(Refused.class);
    assertThat(b.get()).isEqualTo("r2");
  }

  @Test
  void atOnceWritesEveryItemOfARefusedGroupTogetherAndHoldsTheSlotUntilAllAnswer() {
    Statements s = new Statements();
    GroupCommit<Integer, String> commit = commit(s, 100, 1, GroupCommit.Alone.AT_ONCE);
    submit(commit, 0);
    submit(commit, 1);
    submit(commit, 2);
    s.answer(0);
    s.fail(1, new Refused("group"));
    assertThat(s.groups).containsExactly(List.of(0), List.of(1, 2), List.of(1), List.of(2));
    submit(commit, 3);
    s.answer(2);
    assertThat(s.groups).hasSize(4);
    s.answer(3);
    assertThat(s.groups).hasSize(5).last().isEqualTo(List.of(3));
  }

  @Test
  void aFailureNotMeantForSplittingFailsTheWholeGroup() {
    Statements s = new Statements();
    GroupCommit<Integer, String> commit = commit(s, 100, 1, GroupCommit.Alone.IN_TURN);
    submit(commit, 0);
    CompletableFuture<String> a = submit(commit, 1);
    CompletableFuture<String> b = submit(commit, 2);
    s.answer(0);
    s.fail(1, new IllegalStateException("connection lost"));
    assertThat(s.groups).hasSize(2);
    assertThatThrownBy(() -> a.get()).hasCauseInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.get()).hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void aStatementThatThrowsFailsItsGroupAndFreesTheSlot() throws Exception {
    List<Integer> seen = new CopyOnWriteArrayList<>();
    GroupCommit<Integer, String> commit =
        new GroupCommit<>(
            group -> {
              seen.addAll(group);
              if (group.contains(0)) {
                throw new IllegalStateException("bug");
              }
              return Uni.createFrom().item(group.stream().map(n -> "r" + n).toList());
            },
            10,
            1,
            e -> true,
            GroupCommit.Alone.AT_ONCE,
            (n, e) -> {},
            (t, e) -> {});
    assertThatThrownBy(() -> submit(commit, 0).get())
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(commit.submit(1).await().atMost(Duration.ofSeconds(5))).isEqualTo("r1");
  }
}
