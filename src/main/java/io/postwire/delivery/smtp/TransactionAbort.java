package io.postwire.delivery.smtp;

/**
 * What a cancelled transaction must stop: its wait in a queue, or its connection (closed, so the
 * peer never gets the end of the data). Once the transaction is done, a cancel does nothing.
 */
final class TransactionAbort {

  static final String CANCELLED = "transaction cancelled before it completed";

  private boolean cancelled;
  private boolean finished;
  private Runnable leaveQueue;
  private SmtpConnection connection;

  void cancel() {
    Runnable leave;
    SmtpConnection c;
    synchronized (this) {
      if (finished || cancelled) {
        return;
      }
      cancelled = true;
      leave = leaveQueue;
      c = connection;
    }
    if (leave != null) {
      leave.run();
    }
    if (c != null) {
      closeOnItsContext(c);
    }
  }

  synchronized boolean cancelled() {
    return cancelled;
  }

  synchronized void finish() {
    finished = true;
    leaveQueue = null;
    connection = null;
  }

  /** Records how to leave the queue waited in; false when the transaction is already cancelled. */
  synchronized boolean waiting(Runnable leave) {
    leaveQueue = leave;
    return !cancelled;
  }

  /** Records the connection in use, closing it at once when already cancelled. */
  void use(SmtpConnection c) {
    boolean close;
    synchronized (this) {
      leaveQueue = null;
      connection = c;
      close = cancelled;
    }
    if (close) {
      closeOnItsContext(c);
    }
  }

  synchronized void detach(SmtpConnection c) {
    if (connection == c) {
      connection = null;
    }
  }

  private static void closeOnItsContext(SmtpConnection c) {
    c.context.runOnContext(v -> c.close());
  }
}
