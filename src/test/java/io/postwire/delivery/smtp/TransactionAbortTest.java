package io.postwire.delivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link TransactionAbort}: what a cancel stops while a transaction waits for a connection. */
class TransactionAbortTest {

  private final TransactionAbort abort = new TransactionAbort();
  private final AtomicInteger left = new AtomicInteger();

  @Test
  void aCancelWhileWaitingLeavesTheQueueOnce() {
    assertThat(abort.waiting(left::incrementAndGet)).isTrue();

    abort.cancel();
    abort.cancel();

    assertThat(abort.cancelled()).isTrue();
    assertThat(left).hasValue(1);
  }

  @Test
  void aTransactionCancelledBeforeItQueuesIsToldSo() {
    abort.cancel();

    assertThat(abort.waiting(left::incrementAndGet)).isFalse();
    assertThat(left).hasValue(0);
  }

  @Test
  void aCancelAfterTheTransactionFinishedDoesNothing() {
    abort.waiting(left::incrementAndGet);
    abort.finish();

    abort.cancel();

    assertThat(abort.cancelled()).isFalse();
    assertThat(left).hasValue(0);
  }
}
