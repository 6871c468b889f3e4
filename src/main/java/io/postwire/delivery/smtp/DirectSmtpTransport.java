package io.postwire.delivery.smtp;

import io.postwire.delivery.smtp.SmtpConnectionPool.Lease;
import io.postwire.delivery.smtp.SmtpSendMail.Sent;
import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A focused RFC 5321 client on the Vert.x {@code NetClient}: one transaction per {@link #send},
 * exact replies per recipient, per-command timeouts (RFC 5321 §4.5.3.2) with one deadline for the
 * whole envelope and one for the message data, replies capped in size, STARTTLS (RFC 3207) per
 * {@link TlsPolicy}, PIPELINING (RFC 2920) for the envelope, AUTH PLAIN/LOGIN (RFC 4954) when
 * configured (over TLS only, unless {@link SmtpClientOptions#allowPlaintextAuth()}), and a bounded
 * pool of connections per host name whose limit also holds per IP address, across host names. A
 * transaction waits for a connection at most {@link SmtpClientOptions#queueTimeout()}; one whose
 * subscriber cancels leaves its queue, or has its connection closed.
 *
 * <p>Outcomes, never exceptions: every network or protocol problem becomes a reply for each
 * recipient. A reply with code 0 means no server reply exists (refused, reset, timeout, TLS
 * failure, a required STARTTLS missing); its text says what happened. {@link
 * SmtpResult#tlsFailed()} marks a failed STARTTLS handshake, so that a caller using {@code
 * OPPORTUNISTIC} may retry the host once with {@code NONE}. Retry hints in reply texts are read
 * with {@link SmtpReply#retryAfter()}.
 *
 * <p>Pooling: after a completed transaction the connection stays open for the next one to the same
 * host name, address, port and TLS policy (RFC 5321 §3.3 allows a new MAIL after the end of data);
 * RSET is sent only after a failed or aborted transaction. Idle connections are closed with QUIT
 * after {@link SmtpClientOptions#idleTimeout()}.
 *
 * <p>The work is split as in vertx-mail-client: {@link SmtpConnectionPool} gives a pooled
 * connection or a permit (and holds each host's rate, {@link RateShaper}), {@link SmtpStarter}
 * opens a session on a new connection, {@link SmtpSendMail} runs the transaction on it; this class
 * chains them: rate → connection → session → transaction → back to the pool.
 */
public final class DirectSmtpTransport implements SmtpTransport, AutoCloseable {

  // A pooled connection the server had already closed: run once more on a fresh connection.
  private static final SmtpResult STALE = new SmtpResult("", "", false, Map.of(), 0);

  private final Vertx vertx;
  private final HostLimits defaultLimits;
  private final SmtpStarter starter;
  private final SmtpSendMail sendMail;
  private final SmtpConnectionPool pool;

  /** Creates the transport; nothing connects before the first {@link #send}. */
  public DirectSmtpTransport(Vertx vertx, SmtpClientOptions options) {
    this.vertx = vertx;
    this.defaultLimits = HostLimits.of(options);
    this.pool = new SmtpConnectionPool(vertx, options, defaultLimits);
    this.starter = new SmtpStarter(vertx, options);
    this.sendMail = new SmtpSendMail(options);
  }

  @Override
  public Uni<SmtpResult> send(SmtpTransaction transaction) {
    return send(transaction, defaultLimits);
  }

  /**
   * Runs one transaction under {@code limits} for its host name: the pool of that host takes the
   * latest limits given. Over the host's rate the transaction waits for its turn when that comes
   * within {@link RateShaper#MAX_RATE_WAIT}, else every recipient gets a transient reply with a
   * retry hint.
   */
  @Override
  public Uni<SmtpResult> send(SmtpTransaction transaction, HostLimits limits) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              validate(transaction);
              // a subscriber that gives up (a deadline of its own) takes the transaction with it:
              // out of the waiting queue, or its connection closed before the data is complete
              TransactionAbort abort = new TransactionAbort();
              emitter.onTermination(abort::cancel);
              long start = System.nanoTime();
              long delay = pool.reserve(transaction.host(), transaction.address(), limits);
              if (delay > RateShaper.MAX_RATE_WAIT.toMillis()) {
                long seconds = Math.max(1, TimeUnit.MILLISECONDS.toSeconds(delay));
                emitter.complete(
                    failed(
                        transaction,
                        "rate limit of "
                            + limits.ratePerMinute()
                            + "/min for "
                            + transaction.host()
                            + " reached, try again in "
                            + seconds
                            + " seconds",
                        start));
                return;
              }
              Promise<Void> turn = Promise.promise();
              if (delay > 0) {
                vertx.setTimer(delay, t -> turn.complete());
              } else {
                turn.complete();
              }
              turn.future()
                  .compose(v -> run(transaction, start, false, abort))
                  .onComplete(
                      ar -> {
                        abort.finish();
                        emitter.complete(
                            ar.succeeded()
                                ? ar.result()
                                : failed(transaction, SmtpConnection.describe(ar.cause()), start));
                      });
            });
  }

  /** Connections open (or being opened) to {@code host} right now. */
  public int openConnections(String host) {
    return pool.openConnections(host);
  }

  /** Connections open (or being opened) right now, per host name. */
  public Map<String, Integer> openConnectionsByHost() {
    return pool.openConnectionsByHost();
  }

  /** Idle pooled connections to {@code host}. */
  public int idleConnections(String host) {
    return pool.idleConnections(host);
  }

  /** Transactions waiting for a connection to {@code host}. */
  public int queuedTransactions(String host) {
    return pool.queuedTransactions(host);
  }

  /** Host pools held right now (bounded by {@link SmtpClientOptions#maxHosts()}). */
  public int hostPools() {
    return pool.hostPools();
  }

  /**
   * Stops taking transactions, sends QUIT on idle connections, then closes the clients; busy
   * connections close when their transaction ends.
   */
  @Override
  public void close() {
    pool.close().onComplete(ar -> starter.close());
  }

  /**
   * One transaction: a pooled connection, or a new one with its session set up, then MAIL, RCPT and
   * DATA; a pooled connection found closed by the server is replaced once.
   */
  private Future<SmtpResult> run(
      SmtpTransaction tx, long start, boolean retried, TransactionAbort abort) {
    if (abort.cancelled()) {
      return Future.succeededFuture(failed(tx, TransactionAbort.CANCELLED, start));
    }
    return pool.acquire(tx, abort)
        .compose(
            lease -> {
              if (lease.refusal() != null) {
                return Future.succeededFuture(failed(tx, lease.refusal(), start));
              }
              if (abort.cancelled()) {
                // the turn came too late: give it to the next transaction untouched
                if (lease.connection() != null) {
                  pool.release(lease, lease.connection(), true);
                } else {
                  pool.releasePermit(lease, tx.addressOrHost());
                }
                return Future.succeededFuture(failed(tx, TransactionAbort.CANCELLED, start));
              }
              if (lease.connection() != null) {
                SmtpConnection c = lease.connection();
                abort.use(c);
                Promise<SmtpResult> result = Promise.promise();
                c.context.runOnContext(
                    v -> transact(lease, c, tx, start, !retried, abort).onComplete(result));
                return result.future();
              }
              return starter
                  .start(tx, start, abort, () -> pool.releasePermit(lease, tx.addressOrHost()))
                  .compose(
                      session ->
                          session.result() != null
                              ? Future.succeededFuture(session.result())
                              : transact(lease, session.connection(), tx, start, false, abort));
            })
        .compose(
            outcome ->
                outcome == STALE ? run(tx, start, true, abort) : Future.succeededFuture(outcome));
  }

  /** The mail transaction on {@code c}, which then goes back to the pool. */
  private Future<SmtpResult> transact(
      Lease lease,
      SmtpConnection c,
      SmtpTransaction tx,
      long start,
      boolean mayBeStale,
      TransactionAbort abort) {
    return sendMail
        .send(c, tx, mayBeStale)
        .map(
            sent -> {
              // from here the connection is the pool's again: a late cancel must not close it
              abort.detach(c);
              if (sent == Sent.STALE) {
                pool.release(lease, c, false);
                return STALE;
              }
              pool.release(lease, c, sent.clean());
              return new SmtpResult(
                  tx.host(), c.ip, c.secure(), sent.replies(), SmtpResult.since(start), false);
            });
  }

  private static void validate(SmtpTransaction tx) {
    if (tx.recipients() == null || tx.recipients().isEmpty()) {
      throw new IllegalArgumentException("a transaction needs at least one recipient");
    }
    check(tx.mailFrom());
    tx.recipients().forEach(DirectSmtpTransport::check);
    if (tx.host() == null || tx.message() == null || tx.tls() == null) {
      throw new IllegalArgumentException("host, tls and message are required");
    }
  }

  // CR, LF or angle brackets in a path would let an address inject SMTP commands.
  private static void check(String path) {
    if (path == null
        || path.chars()
            .anyMatch(ch -> ch == '\r' || ch == '\n' || ch == '<' || ch == '>' || ch == 0)) {
      throw new IllegalArgumentException("unsafe envelope address: " + path);
    }
  }

  /** Every recipient deferred without a server reply, for {@code why}. */
  private static SmtpResult failed(SmtpTransaction tx, String why, long start) {
    return SmtpResult.forAll(tx, tx.address(), false, SmtpReply.noReply(why), start, false);
  }
}
