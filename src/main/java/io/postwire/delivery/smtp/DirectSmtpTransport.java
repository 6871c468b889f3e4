package io.postwire.delivery.smtp;

import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.postwire.delivery.smtp.SmtpConnection.ConnectionLost;
import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;
import org.jboss.logging.Logger;

/**
 * A focused RFC 5321 client on Vert.x {@link NetClient}: one transaction per {@link #send}, exact
 * replies per recipient, per-command timeouts (RFC 5321 §4.5.3.2) with one deadline for the whole
 * envelope and one for the message data, replies capped in size, STARTTLS (RFC 3207) per {@link
 * TlsPolicy}, PIPELINING (RFC 2920) for the envelope, AUTH PLAIN/LOGIN (RFC 4954) when configured
 * (over TLS only, unless {@link SmtpClientOptions#allowPlaintextAuth()}), and a bounded pool of
 * connections per host name whose limit also holds per IP address, across host names. A transaction
 * waits for a connection at most {@link SmtpClientOptions#queueTimeout()}; one whose subscriber
 * cancels leaves its queue, or has its connection closed.
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
 */
public final class DirectSmtpTransport implements SmtpTransport, AutoCloseable {

  private static final Logger LOG = Logger.getLogger(DirectSmtpTransport.class);

  private static final int CHUNK = 32 * 1024;

  /** Parts of one data block before they are merged into one (a copy): dot lines are rare. */
  private static final int MAX_COMPONENTS = 64;

  private static final byte[] DOT = {'.'};
  private static final byte[] END = {'.', '\r', '\n'};
  private static final byte[] NEW_LINE_END = {'\r', '\n', '.', '\r', '\n'};

  /** The longest a transaction waits for its turn under a host's rate before it is deferred. */
  static final Duration MAX_RATE_WAIT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final SmtpClientOptions options;
  private final NetClient trustingClient;
  private final NetClient verifyingClient;
  private final Object lock = new Object();
  // access order: the eldest entry is the least recently used host (LRU eviction)
  private final LinkedHashMap<String, HostPool> pools = new LinkedHashMap<>(16, 0.75f, true);
  // connections open or being opened per IP address, whatever host names led to it
  private final Map<String, AddressSlots> addresses = new HashMap<>();

  /** The rate buckets of IP addresses, least recently used first, as many as pools at most. */
  private final Map<String, RateBucket> addressRates;

  private final AtomicLong connectionIds = new AtomicLong();
  private final AtomicLong plaintextAuthLogged = new AtomicLong();
  private final HostLimits defaultLimits;
  private boolean closed;

  /** Creates the transport; nothing connects before the first {@link #send}. */
  public DirectSmtpTransport(Vertx vertx, SmtpClientOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.defaultLimits = HostLimits.of(options);
    int maxRates = Math.max(1, options.maxHosts());
    this.addressRates =
        new java.util.LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, RateBucket> eldest) {
            return size() > maxRates;
          }
        };
    // Opportunistic and REQUIRED TLS take any certificate, as Postfix's "may" and "encrypt" do:
    // an unverified encryption is still better than plaintext (RFC 7435).
    this.trustingClient =
        vertx.createNetClient(base(options).setTrustAll(true).setHostnameVerificationAlgorithm(""));
    NetClientOptions verified = base(options).setHostnameVerificationAlgorithm("HTTPS");
    if (options.trustStore() != null) {
      try {
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(options.trustStore());
        verified.setTrustOptions(TrustOptions.wrap(tmf));
      } catch (Exception e) {
        throw new IllegalArgumentException("unusable trust store: " + e.getMessage(), e);
      }
    }
    this.verifyingClient = vertx.createNetClient(verified);
  }

  private static NetClientOptions base(SmtpClientOptions options) {
    return new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
        .setSslHandshakeTimeout(options.commandTimeout().toMillis())
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
        .setTcpNoDelay(true);
  }

  @Override
  public Uni<SmtpResult> send(SmtpTransaction transaction) {
    return send(transaction, defaultLimits);
  }

  /**
   * Runs one transaction under {@code limits} for its host name: the pool of that host takes the
   * latest limits given. Over the host's rate the transaction waits for its turn when that comes
   * within {@link #MAX_RATE_WAIT}, else every recipient gets a transient reply with a retry hint.
   */
  @Override
  public Uni<SmtpResult> send(SmtpTransaction transaction, HostLimits limits) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              validate(transaction);
              // a subscriber that gives up (a deadline of its own) takes the transaction with it:
              // out of the waiting queue, or its connection closed before the data is complete
              Abort abort = new Abort();
              emitter.onTermination(abort::cancel);
              long start = System.nanoTime();
              long delay = reserve(transaction.host(), transaction.address(), limits);
              if (delay > MAX_RATE_WAIT.toMillis()) {
                long seconds = Math.max(1, TimeUnit.MILLISECONDS.toSeconds(delay));
                emitter.complete(
                    failed(
                        transaction,
                        transaction.address(),
                        false,
                        new ConnectionLost(
                            "rate limit of "
                                + limits.ratePerMinute()
                                + "/min for "
                                + transaction.host()
                                + " reached, try again in "
                                + seconds
                                + " seconds"),
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
                                : failed(
                                    transaction, transaction.address(), false, ar.cause(), start));
                      });
            });
  }

  /** Connections open (or being opened) to {@code host} right now. */
  public int openConnections(String host) {
    synchronized (lock) {
      HostPool pool = pools.get(key(host));
      return pool == null ? 0 : pool.total;
    }
  }

  /** Connections open (or being opened) right now, per host name. */
  public Map<String, Integer> openConnectionsByHost() {
    synchronized (lock) {
      Map<String, Integer> counts = new LinkedHashMap<>();
      pools.forEach((host, pool) -> counts.put(host, pool.total));
      return counts;
    }
  }

  /** Idle pooled connections to {@code host}. */
  public int idleConnections(String host) {
    synchronized (lock) {
      HostPool pool = pools.get(key(host));
      return pool == null ? 0 : pool.idle.size();
    }
  }

  /** Transactions waiting for a connection to {@code host}. */
  public int queuedTransactions(String host) {
    synchronized (lock) {
      HostPool pool = pools.get(key(host));
      return pool == null ? 0 : pool.waiters.size();
    }
  }

  /** Host pools held right now (bounded by {@link SmtpClientOptions#maxHosts()}). */
  public int hostPools() {
    synchronized (lock) {
      return pools.size();
    }
  }

  /**
   * Stops taking transactions, sends QUIT on idle connections, then closes the clients; busy
   * connections close when their transaction ends.
   */
  @Override
  public void close() {
    List<SmtpConnection> idle = new ArrayList<>();
    synchronized (lock) {
      closed = true;
      for (HostPool pool : pools.values()) {
        idle.addAll(pool.idle);
        pool.total -= pool.idle.size();
        pool.idle.clear();
        for (Waiter w : pool.waiters) {
          vertx.cancelTimer(w.timer);
          w.promise.tryComplete(Lease.refused("transport closed"));
        }
        pool.waiters.clear();
      }
      for (AddressSlots slots : addresses.values()) {
        for (Waiter w : slots.waiters) {
          vertx.cancelTimer(w.timer);
          w.promise.tryComplete(Lease.refused("transport closed"));
        }
        slots.waiters.clear();
      }
    }
    List<Future<Void>> quits = new ArrayList<>();
    Duration quick = min(options.commandTimeout(), Duration.ofSeconds(2));
    for (SmtpConnection c : idle) {
      Promise<Void> done = Promise.promise();
      c.context.runOnContext(v -> c.quit(quick).onComplete(done));
      quits.add(done.future());
    }
    Future.join(quits)
        .onComplete(
            ar -> {
              trustingClient.close();
              verifyingClient.close();
            });
  }

  // ---- one transaction ----------------------------------------------------------------------

  private Future<SmtpResult> run(SmtpTransaction tx, long start, boolean retried, Abort abort) {
    if (abort.cancelled()) {
      return Future.succeededFuture(
          failed(tx, tx.address(), false, new ConnectionLost(CANCELLED), start));
    }
    return acquire(tx, abort)
        .compose(lease -> lease.permit() ? admit(lease, tx, abort) : Future.succeededFuture(lease))
        .compose(
            lease -> {
              if (lease.refusal != null) {
                return Future.succeededFuture(
                    failed(tx, tx.address(), false, new ConnectionLost(lease.refusal), start));
              }
              if (abort.cancelled()) {
                // the turn came too late: give it to the next transaction untouched
                if (lease.connection != null) {
                  release(lease.pool, lease.connection, true);
                } else {
                  releasePermit(lease.pool, addressOf(tx));
                }
                return Future.succeededFuture(
                    failed(tx, tx.address(), false, new ConnectionLost(CANCELLED), start));
              }
              if (lease.connection != null) {
                SmtpConnection c = lease.connection;
                abort.use(c);
                Promise<SmtpResult> result = Promise.promise();
                c.context.runOnContext(
                    v -> transact(lease.pool, c, tx, start, !retried, abort).onComplete(result));
                return result.future();
              }
              return openSession(lease.pool, tx, start, abort)
                  .compose(
                      session ->
                          session.result != null
                              ? Future.succeededFuture(session.result)
                              : transact(lease.pool, session.connection, tx, start, false, abort));
            })
        .compose(
            outcome ->
                outcome == STALE ? run(tx, start, true, abort) : Future.succeededFuture(outcome));
  }

  private static final String CANCELLED = "transaction cancelled before it completed";

  // A pooled connection the server had already closed: run once more on a fresh connection.
  private static final SmtpResult STALE = new SmtpResult("", "", false, Map.of(), 0);

  private Future<SmtpResult> transact(
      HostPool pool,
      SmtpConnection c,
      SmtpTransaction tx,
      long start,
      boolean mayBeStale,
      Abort abort) {
    List<String> recipients = new ArrayList<>(new LinkedHashSet<>(tx.recipients()));
    Exchange x = new Exchange(recipients);
    String mail =
        "MAIL FROM:<" + tx.mailFrom() + ">" + (c.offers("SIZE") ? " SIZE=" + tx.size() : "");
    // one deadline for the whole envelope: a peer answering each RCPT just within its own timer
    // would otherwise hold the connection for as many timeouts as there are recipients
    Duration deadline = options.commandTimeout().plus(options.rcptTimeout());
    return c.within(deadline, "MAIL and RCPT", () -> envelope(c, x, mail))
        .compose(v -> afterEnvelope(c, tx, x))
        .transform(
            ar -> {
              // from here the connection is the pool's again: a late cancel must not close it
              abort.detach(c);
              if (ar.failed()) {
                // a pooled connection closed by the server while idle fails before any reply;
                // a stalled server (timeout) is not retried
                if (mayBeStale && x.mail == null && !x.timedOut(ar.cause())) {
                  release(pool, c, false);
                  return Future.succeededFuture(STALE);
                }
                x.failRest(ar.cause());
                x.clean = false;
              }
              release(pool, c, x.clean);
              return Future.succeededFuture(
                  new SmtpResult(tx.host(), c.ip, c.secure(), x.ordered(), elapsed(start), false));
            });
  }

  private Future<Void> envelope(SmtpConnection c, Exchange x, String mail) {
    if (c.offers("PIPELINING")) {
      // RFC 2920 §3.1: MAIL and every RCPT in one group; DATA waits for the RCPT replies, so a
      // mix of 250/550 can never leave a 354 hanging.
      StringBuilder group = new StringBuilder(mail).append("\r\n");
      x.recipients.forEach(r -> group.append("RCPT TO:<").append(r).append(">\r\n"));
      return c.send(group.toString(), 1 + x.recipients.size())
          .compose(v -> c.read(options.commandTimeout(), "MAIL"))
          .compose(
              m -> {
                x.mail = m;
                return m.code() == 421 ? Future.succeededFuture() : readRcpts(c, x, 0);
              });
    }
    return c.command(mail, options.commandTimeout())
        .compose(
            m -> {
              x.mail = m;
              return m.positive() ? sendRcpts(c, x, 0) : Future.succeededFuture();
            });
  }

  private Future<Void> readRcpts(SmtpConnection c, Exchange x, int i) {
    if (i >= x.recipients.size()) {
      return Future.succeededFuture();
    }
    return c.read(options.rcptTimeout(), "RCPT")
        .compose(
            r -> {
              x.rcpt.put(x.recipients.get(i), rcptReply(r));
              return r.code() == 421 ? Future.succeededFuture() : readRcpts(c, x, i + 1);
            });
  }

  /**
   * RFC 5321 §4.5.3.1.10: a 552 to RCPT has long meant "too many recipients" or a full mailbox that
   * may empty, and clients should treat it as the temporary 452; the server's words stay.
   */
  static SmtpReply rcptReply(SmtpReply reply) {
    if (reply.code() != 552) {
      return reply;
    }
    String enhanced = reply.enhancedCode() == null ? null : "4" + reply.enhancedCode().substring(1);
    return new SmtpReply(
        452,
        enhanced,
        reply.text() + " (552 to RCPT, retried as 452: RFC 5321 section 4.5.3.1.10)");
  }

  private Future<Void> sendRcpts(SmtpConnection c, Exchange x, int i) {
    if (i >= x.recipients.size()) {
      return Future.succeededFuture();
    }
    String r = x.recipients.get(i);
    return c.command("RCPT TO:<" + r + ">", options.rcptTimeout())
        .compose(
            reply -> {
              x.rcpt.put(r, rcptReply(reply));
              return reply.code() == 421 ? Future.succeededFuture() : sendRcpts(c, x, i + 1);
            });
  }

  private Future<Void> afterEnvelope(SmtpConnection c, SmtpTransaction tx, Exchange x) {
    SmtpReply closing = x.closing();
    if (closing != null) {
      // RFC 5321 §3.8: 421 means the server is closing; everyone still open gets that reply.
      x.rest(closing);
      x.clean = false;
      c.close();
      return Future.succeededFuture();
    }
    if (!x.mail.positive()) {
      x.recipients.forEach(r -> x.result.put(r, x.mail));
      return reset(c, x);
    }
    List<String> accepted = new ArrayList<>();
    x.rcpt.forEach(
        (r, reply) -> {
          if (reply.positive()) {
            accepted.add(r);
          } else {
            x.result.put(r, reply);
          }
        });
    if (accepted.isEmpty()) {
      return reset(c, x);
    }
    return c.command("DATA", options.dataInitTimeout())
        .compose(
            d -> {
              if (d.code() != 354) {
                accepted.forEach(r -> x.result.put(r, d));
                if (d.code() == 421) {
                  c.close();
                  return Future.succeededFuture();
                }
                return reset(c, x);
              }
              Duration deadline = dataDeadline(tx.size());
              return c.within(
                      deadline,
                      "message data",
                      () ->
                          stream(c, tx.head(), tx.message())
                              .compose(v -> c.read(options.dataEndTimeout(), "end of DATA")))
                  .compose(
                      end -> {
                        c.messages++;
                        accepted.forEach(r -> x.result.put(r, end));
                        if (end.code() == 421) {
                          c.close();
                          return Future.succeededFuture();
                        }
                        if (!end.positive()) {
                          return reset(c, x);
                        }
                        x.clean = true;
                        return Future.succeededFuture();
                      });
            });
  }

  /**
   * One deadline for the message data and the reply to it, whatever pace the peer reads at: the
   * end-of-data timeout plus one data block timeout per started MiB. A peer that takes less than a
   * MiB per block timeout is dropped however it paces its reads.
   */
  private Duration dataDeadline(long size) {
    long mebibytes = Math.max(1, (size + (1 << 20) - 1) >> 20);
    return options.dataEndTimeout().plus(options.dataBlockTimeout().multipliedBy(mebibytes));
  }

  /** RSET after a failed transaction (RFC 5321 §4.1.1.5); the connection is reusable if 250. */
  private Future<Void> reset(SmtpConnection c, Exchange x) {
    return c.command("RSET", options.commandTimeout())
        .transform(
            ar -> {
              x.clean = ar.succeeded() && ar.result().positive();
              return Future.succeededFuture();
            });
  }

  /**
   * Streams {@code head} then {@code message} with dot-stuffing (RFC 5321 §4.5.2): a line starting
   * with "." gets another "." in front, wherever that line starts (a line may begin in the message
   * after a head ending in CRLF); then CRLF.CRLF, in the same write as the last block. Each block
   * must be taken within the data block timeout.
   */
  private Future<Void> stream(SmtpConnection c, byte[] head, byte[] message) {
    byte[][] parts = {head, message};
    byte[] tail = message.length > 0 ? message : head;
    boolean endsWithNewLine = tail.length > 0 && tail[tail.length - 1] == '\n';
    return streamFrom(c, parts, 0, 0, new boolean[] {true}, endsWithNewLine);
  }

  private Future<Void> streamFrom(
      SmtpConnection c,
      byte[][] parts,
      int part,
      int offset,
      boolean[] atLineStart,
      boolean endsWithNewLine) {
    // the block refers to the message's bytes instead of copying them; the socket copies them
    // once, into its own buffer, on the way out
    CompositeByteBuf block = Unpooled.compositeBuffer(MAX_COMPONENTS);
    int room = CHUNK;
    while (part < parts.length && room > 0) {
      byte[] bytes = parts[part];
      int end = Math.min(bytes.length, offset + room);
      int run = offset;
      for (int i = offset; i < end; i++) {
        byte b = bytes[i];
        if (atLineStart[0] && b == '.') {
          add(block, bytes, run, i - run);
          block.addComponent(true, Unpooled.wrappedBuffer(DOT));
          run = i;
        }
        atLineStart[0] = b == '\n';
      }
      add(block, bytes, run, end - run);
      room -= end - offset;
      if (end == bytes.length) {
        part++;
        offset = 0;
      } else {
        offset = end;
      }
    }
    if (part == parts.length) {
      block.addComponent(true, Unpooled.wrappedBuffer(endsWithNewLine ? END : NEW_LINE_END));
      return c.send(Buffer.buffer(block), 1);
    }
    int nextPart = part;
    int nextOffset = offset;
    return c.send(Buffer.buffer(block), 0)
        .compose(v -> c.drained(options.dataBlockTimeout()))
        .compose(v -> streamFrom(c, parts, nextPart, nextOffset, atLineStart, endsWithNewLine));
  }

  private static void add(CompositeByteBuf block, byte[] bytes, int from, int length) {
    if (length > 0) {
      block.addComponent(true, Unpooled.wrappedBuffer(bytes, from, length));
    }
  }

  // ---- session set-up -----------------------------------------------------------------------

  private Future<Session> openSession(HostPool pool, SmtpTransaction tx, long start, Abort abort) {
    String ip = addressOf(tx);
    SocketAddress remote;
    try {
      remote = socketAddress(tx);
    } catch (UnknownHostException | IllegalArgumentException e) {
      releasePermit(pool, ip);
      return Future.succeededFuture(new Session(null, failed(tx, ip, false, e, start)));
    }
    NetClient client = tx.tls() == TlsPolicy.REQUIRED_VERIFIED ? verifyingClient : trustingClient;
    return onEventLoop(
        () ->
            client
                .connect(remote, tx.host())
                .transform(ar -> connected(ar, pool, tx, ip, start, abort)));
  }

  /** Starts the session on a new connection, or gives every recipient why there is none. */
  private Future<Session> connected(
      AsyncResult<NetSocket> ar,
      HostPool pool,
      SmtpTransaction tx,
      String ip,
      long start,
      Abort abort) {
    if (ar.failed()) {
      releasePermit(pool, ip);
      return Future.succeededFuture(
          new Session(
              null,
              failed(
                  tx,
                  ip,
                  false,
                  new ConnectionLost("cannot connect to " + ip + ": " + describe(ar.cause())),
                  start)));
    }
    SmtpConnection c =
        new SmtpConnection(
            vertx,
            ar.result(),
            tx.host(),
            ip,
            tx.port(),
            tx.tls(),
            connectionIds.incrementAndGet());
    abort.use(c);
    boolean[] tlsFailed = {false};
    return dialogue(c, tx, tlsFailed)
        .transform(
            d -> {
              SmtpReply refusal = d.succeeded() ? d.result() : null;
              if (d.succeeded() && refusal == null) {
                return Future.succeededFuture(new Session(c, null));
              }
              SmtpReply reply = refusal != null ? refusal : SmtpReply.noReply(describe(d.cause()));
              boolean polite = refusal != null && refusal.code() != 421 && c.open();
              (polite ? c.quit(options.commandTimeout()) : close(c))
                  .onComplete(q -> releasePermit(pool, ip));
              return Future.succeededFuture(
                  new Session(
                      null,
                      new SmtpResult(
                          tx.host(),
                          ip,
                          c.secure(),
                          all(tx, reply),
                          elapsed(start),
                          tlsFailed[0])));
            });
  }

  /**
   * Runs {@code connect} (a connection and what follows it) on an event-loop thread. Vert.x drops
   * what a socket reads before its handler is set; connected from any other thread, the connection
   * can complete before the caller attaches its callback, which then runs as a later task, after
   * the server's greeting was read and lost.
   */
  private <T> Future<T> onEventLoop(Supplier<Future<T>> connect) {
    if (Context.isOnEventLoopThread()) {
      return connect.get();
    }
    ContextInternal context = ((VertxInternal) vertx).createEventLoopContext();
    Promise<T> done = context.promise();
    context.runOnContext(v -> connect.get().onComplete(done));
    return done.future();
  }

  /**
   * Greeting, EHLO (HELO on 5xx), STARTTLS per policy, EHLO again, AUTH. Completes with {@code
   * null} when the session is ready, or with the reply every recipient gets.
   */
  private Future<SmtpReply> dialogue(SmtpConnection c, SmtpTransaction tx, boolean[] tlsFailed) {
    return c.read(options.greetingTimeout(), "greeting")
        .compose(
            greeting -> {
              if (greeting.code() / 100 != 2) {
                return Future.succeededFuture(greeting);
              }
              return hello(c);
            })
        .compose(
            refusal -> refusal != null ? Future.succeededFuture(refusal) : tls(c, tx, tlsFailed))
        .compose(refusal -> refusal != null ? Future.succeededFuture(refusal) : auth(c));
  }

  private Future<SmtpReply> hello(SmtpConnection c) {
    return c.command("EHLO " + options.ehloName(), options.commandTimeout())
        .compose(
            ehlo -> {
              if (ehlo.positive()) {
                c.extensionsFrom(c.lastLines());
                return Future.succeededFuture(null);
              }
              if (ehlo.code() >= 500) {
                // RFC 5321 §4.1.4: a server without EHLO still speaks HELO.
                return c.command("HELO " + options.ehloName(), options.commandTimeout())
                    .map(helo -> helo.positive() ? null : helo);
              }
              return Future.succeededFuture(ehlo);
            });
  }

  private Future<SmtpReply> tls(SmtpConnection c, SmtpTransaction tx, boolean[] tlsFailed) {
    TlsPolicy policy = tx.tls();
    if (policy == TlsPolicy.NONE || c.secure()) {
      return Future.succeededFuture(null);
    }
    boolean required = policy != TlsPolicy.OPPORTUNISTIC;
    if (!c.offers("STARTTLS")) {
      return Future.succeededFuture(
          required
              ? SmtpReply.noReply("TLS required but " + c.host + " does not offer STARTTLS")
              : null);
    }
    return c.command("STARTTLS", options.commandTimeout())
        .compose(
            reply -> {
              if (reply.code() != 220) {
                if (reply.code() == 421) {
                  return Future.succeededFuture(reply);
                }
                // RFC 3207 §4: after a refused STARTTLS the session goes on in plaintext.
                return Future.succeededFuture(
                    required
                        ? SmtpReply.noReply("TLS required but STARTTLS refused: " + reply)
                        : null);
              }
              return c.upgradeToTls()
                  .transform(
                      ar -> {
                        if (ar.failed()) {
                          tlsFailed[0] = true;
                          return Future.succeededFuture(
                              SmtpReply.noReply(
                                  "TLS handshake with "
                                      + c.host
                                      + " failed: "
                                      + describe(ar.cause())));
                        }
                        // RFC 3207 §4.2: forget what was learned in plaintext, ask again.
                        return hello(c);
                      });
            });
  }

  private Future<SmtpReply> auth(SmtpConnection c) {
    if (options.username() == null) {
      return Future.succeededFuture(null);
    }
    if (!c.secure() && !options.allowPlaintextAuth()) {
      // RFC 4954 §4: a password sent in clear is exposed to anyone on the path
      long now = System.nanoTime();
      long last = plaintextAuthLogged.get();
      boolean loud =
          (last == 0 || now - last >= TimeUnit.MINUTES.toNanos(1))
              && plaintextAuthLogged.compareAndSet(last, now);
      // once a minute at ERROR, so a queue of deferred deliveries does not flood the log
      LOG.logf(
          loud ? Logger.Level.ERROR : Logger.Level.DEBUG,
          "Not sending AUTH to %s (%s): the connection has no TLS (no STARTTLS offered or it was"
              + " refused). Enable STARTTLS on the relay, or set"
              + " postwire.relay.allow-plaintext-auth=true to send the credentials in clear;"
              + " deliveries are deferred until then",
          c.host,
          c.ip);
      return Future.succeededFuture(
          SmtpReply.noReply(
              "AUTH not sent: "
                  + c.host
                  + " offers no TLS and credentials are not sent in clear"
                  + " (postwire.relay.allow-plaintext-auth)"));
    }
    if (!c.offers("AUTH")) {
      return Future.succeededFuture(SmtpReply.noReply("AUTH not offered by " + c.host));
    }
    List<String> mechanisms = List.of(c.parameters("AUTH").toUpperCase(Locale.ROOT).split(" "));
    Duration t = options.commandTimeout();
    Future<SmtpReply> outcome;
    if (mechanisms.contains("PLAIN")) {
      // RFC 4616: authzid NUL authcid NUL passwd
      outcome =
          c.command("AUTH PLAIN " + b64("\0" + options.username() + "\0" + options.password()), t);
    } else if (mechanisms.contains("LOGIN")) {
      outcome =
          c.command("AUTH LOGIN", t)
              .compose(
                  r ->
                      r.code() == 334
                          ? c.command(b64(options.username()), t)
                          : Future.succeededFuture(r))
              .compose(
                  r ->
                      r.code() == 334
                          ? c.command(b64(options.password()), t)
                          : Future.succeededFuture(r));
    } else {
      return Future.succeededFuture(
          SmtpReply.noReply(
              "no supported AUTH mechanism offered by " + c.host + ": " + mechanisms));
    }
    // A refused login is our configuration's fault, not the recipients': keep it transient.
    return outcome.map(r -> r.code() == 235 ? null : SmtpReply.noReply("AUTH refused: " + r));
  }

  // ---- the pool -----------------------------------------------------------------------------

  /**
   * A connection to the transaction's host: an idle pooled one, or a permit to open one (then
   * {@link #admit} by its address), or a place in the host's queue; else a refusal.
   */
  private Future<Lease> acquire(SmtpTransaction tx, Abort abort) {
    List<Runnable> after = new ArrayList<>();
    Future<Lease> lease;
    synchronized (lock) {
      if (closed) {
        return Future.succeededFuture(Lease.refused("transport closed"));
      }
      HostPool pool = pool(tx.host());
      SmtpConnection idle = takeIdle(pool, tx, after);
      if (idle != null) {
        lease = Future.succeededFuture(new Lease(pool, idle, null));
      } else if (pool.total < pool.limits.maxConnections()) {
        pool.total++;
        lease = Future.succeededFuture(new Lease(pool, null, null));
      } else if (pool.waiters.size() < options.maxQueuedPerHost()) {
        // an idle connection for another address or TLS policy makes room for this one once it
        // is closed: the host never sees more than its limit
        SmtpConnection other = pool.idle.poll();
        if (other != null) {
          vertx.cancelTimer(other.idleTimer);
          after.add(() -> retire(pool, other));
        }
        lease = enqueue(pool.waiters, pool, tx, abort, after);
      } else {
        lease =
            Future.succeededFuture(
                Lease.refused(
                    "too many transactions waiting for "
                        + tx.host()
                        + " ("
                        + pool.waiters.size()
                        + ")"));
      }
    }
    after.forEach(Runnable::run);
    return lease;
  }

  /**
   * Turns a host's permit into a connection slot of the address it connects to. Receivers limit
   * connections per client IP whatever MX name led to them, so many names for one address share one
   * limit (the host's {@code maxConnections}); without a slot the transaction waits, and a refusal
   * gives the host's permit back.
   */
  private Future<Lease> admit(Lease permit, SmtpTransaction tx, Abort abort) {
    String ip = addressOf(tx);
    HostPool pool = permit.pool;
    List<Runnable> after = new ArrayList<>();
    Future<Lease> admitted;
    synchronized (lock) {
      AddressSlots slots = addresses.computeIfAbsent(ip, k -> new AddressSlots());
      if (slots.open < pool.limits.maxConnections()) {
        slots.open++;
        admitted = Future.succeededFuture(permit);
      } else if (slots.waiters.size() < options.maxQueuedPerHost()) {
        // an idle connection to this address under another host name holds a slot: close it
        closeIdleTo(ip, after);
        admitted = enqueue(slots.waiters, pool, tx, abort, after);
      } else {
        admitted =
            Future.succeededFuture(
                Lease.refused(
                    "too many transactions waiting for address "
                        + ip
                        + " ("
                        + slots.waiters.size()
                        + ")"));
      }
    }
    after.forEach(Runnable::run);
    return admitted.map(
        lease -> {
          if (lease.refusal != null) {
            releaseHostPermit(pool);
          }
          return lease;
        });
  }

  /**
   * Queues a transaction for a connection; it gives up after {@link
   * SmtpClientOptions#queueTimeout()}, or when it is cancelled. Call under {@link #lock}.
   */
  private Future<Lease> enqueue(
      ArrayDeque<Waiter> queue,
      HostPool pool,
      SmtpTransaction tx,
      Abort abort,
      List<Runnable> after) {
    Waiter w = new Waiter(tx, pool, queue);
    queue.add(w);
    w.timer =
        vertx.setTimer(
            options.queueTimeout().toMillis(),
            t ->
                expire(
                    w,
                    "no connection to "
                        + tx.host()
                        + " ["
                        + addressOf(tx)
                        + "] free within "
                        + options.queueTimeout()));
    if (!abort.waiting(w)) {
      after.add(() -> expire(w, CANCELLED));
    }
    return w.promise.future();
  }

  /** Takes {@code w} out of its queue, if it is still there, with a refusal. */
  private void expire(Waiter w, String why) {
    boolean mine;
    synchronized (lock) {
      mine = w.queue.remove(w);
    }
    if (mine) {
      vertx.cancelTimer(w.timer);
      w.promise.tryComplete(Lease.refused(why));
    }
  }

  /** Closes one idle connection to {@code ip}, whatever its host pool. Call under {@link #lock}. */
  private void closeIdleTo(String ip, List<Runnable> after) {
    for (HostPool p : pools.values()) {
      for (Iterator<SmtpConnection> it = p.idle.iterator(); it.hasNext(); ) {
        SmtpConnection c = it.next();
        if (c.ip.equals(ip)) {
          it.remove();
          vertx.cancelTimer(c.idleTimer);
          after.add(() -> retire(p, c));
          return;
        }
      }
    }
  }

  /** Closes an idle connection taken out of its pool with QUIT, then frees its permit. */
  private void retire(HostPool pool, SmtpConnection c) {
    c.context.runOnContext(
        v -> c.quit(options.commandTimeout()).onComplete(ar -> releasePermit(pool, c.ip)));
  }

  private SmtpConnection takeIdle(HostPool pool, SmtpTransaction tx, List<Runnable> after) {
    for (Iterator<SmtpConnection> it = pool.idle.iterator(); it.hasNext(); ) {
      SmtpConnection c = it.next();
      if (!c.open()) {
        it.remove();
        pool.total--;
        freeAddress(c.ip, after);
      } else if (matches(c, tx)) {
        it.remove();
        vertx.cancelTimer(c.idleTimer);
        return c;
      }
    }
    return null;
  }

  private static boolean matches(SmtpConnection c, SmtpTransaction tx) {
    return c.port == tx.port() && c.policy == tx.tls() && c.ip.equals(addressOf(tx));
  }

  /** Returns a connection after a transaction; {@code clean} = the dialogue is in a known state. */
  private void release(HostPool pool, SmtpConnection c, boolean clean) {
    boolean keep = clean && c.open() && c.messages < pool.limits.maxMessagesPerConnection();
    List<Runnable> after = new ArrayList<>();
    synchronized (lock) {
      Waiter same = null;
      if (keep && !closed) {
        for (Waiter w : pool.waiters) {
          if (matches(c, w.tx)) {
            same = w;
            break;
          }
        }
      }
      AddressSlots slots = addresses.get(c.ip);
      boolean addressWanted = slots != null && !slots.waiters.isEmpty();
      if (same != null) {
        pool.waiters.remove(same);
        vertx.cancelTimer(same.timer);
        Waiter w = same;
        after.add(() -> w.promise.complete(new Lease(pool, c, null)));
      } else if (keep && !closed && pool.waiters.isEmpty() && !addressWanted) {
        pool.idle.add(c);
        c.idleTimer =
            vertx.setTimer(pool.limits.idleTimeout().toMillis(), t -> idleExpired(pool, c));
      } else {
        // the slot is free only once the connection is closed, so neither the host nor the
        // address ever sees more connections than the limit; the waiters (of this host for
        // another address or policy, or of another host for this address) get it then
        boolean graceful = keep || (clean && c.open());
        after.add(
            () ->
                (graceful ? c.quit(options.commandTimeout()) : close(c))
                    .onComplete(ar -> releasePermit(pool, c.ip)));
      }
    }
    after.forEach(Runnable::run);
  }

  /** A connection to {@code ip} of {@code pool} is gone (or was never opened): free both slots. */
  private void releasePermit(HostPool pool, String ip) {
    List<Runnable> after;
    synchronized (lock) {
      pool.total--;
      after = wake(pool);
      freeAddress(ip, after);
    }
    after.forEach(Runnable::run);
  }

  /** A host permit that never got an address slot. */
  private void releaseHostPermit(HostPool pool) {
    List<Runnable> after;
    synchronized (lock) {
      pool.total--;
      after = wake(pool);
    }
    after.forEach(Runnable::run);
  }

  /** An address slot of a connection whose host pool is gone. */
  private void releaseAddress(String ip) {
    List<Runnable> after = new ArrayList<>();
    synchronized (lock) {
      freeAddress(ip, after);
    }
    after.forEach(Runnable::run);
  }

  /** Frees a slot of {@code ip} and gives free slots to its waiters. Call under {@link #lock}. */
  private void freeAddress(String ip, List<Runnable> after) {
    AddressSlots slots = addresses.get(ip);
    if (slots == null) {
      return;
    }
    slots.open--;
    while (!slots.waiters.isEmpty()
        && slots.open < slots.waiters.peek().pool.limits.maxConnections()) {
      Waiter w = slots.waiters.poll();
      slots.open++;
      vertx.cancelTimer(w.timer);
      after.add(() -> w.promise.complete(new Lease(w.pool, null, null)));
    }
    if (slots.open <= 0 && slots.waiters.isEmpty()) {
      addresses.remove(ip);
    }
  }

  /** Gives free connection slots to waiting transactions; run the result outside the lock. */
  private List<Runnable> wake(HostPool pool) {
    List<Runnable> after = new ArrayList<>();
    while (pool.total < pool.limits.maxConnections() && !pool.waiters.isEmpty()) {
      Waiter w = pool.waiters.poll();
      pool.total++;
      vertx.cancelTimer(w.timer);
      after.add(() -> w.promise.complete(new Lease(pool, null, null)));
    }
    return after;
  }

  private void idleExpired(HostPool pool, SmtpConnection c) {
    boolean mine;
    synchronized (lock) {
      mine = pool.idle.remove(c);
    }
    if (mine) {
      c.quit(options.commandTimeout()).onComplete(ar -> releasePermit(pool, c.ip));
    }
  }

  private HostPool pool(String host) {
    String key = key(host);
    HostPool pool = pools.get(key);
    if (pool == null) {
      pool = new HostPool(defaultLimits);
      pools.put(key, pool);
      evict();
    }
    return pool;
  }

  /**
   * Sets {@code limits} on the host's pool and takes one message from its token bucket: the
   * milliseconds until this message's turn (0 = now). A turn beyond {@link #MAX_RATE_WAIT} is not
   * taken.
   */
  /**
   * Takes a turn under the host's rate, and under the same rate for the IP address it connects to:
   * many MX names on one address share one rate, as they share its connection slots. Returns how
   * long to wait for the turn; a wait beyond {@link #MAX_RATE_WAIT} is not taken (its tokens go
   * back).
   */
  private long reserve(String host, String ip, HostLimits limits) {
    synchronized (lock) {
      HostPool pool = pool(host);
      pool.limits = limits;
      if (limits.ratePerMinute() <= 0) {
        return 0;
      }
      long now = System.nanoTime();
      long delay = pool.rate.take(limits.ratePerMinute(), now);
      RateBucket byIp = null;
      if (ip != null) {
        byIp = addressRates.computeIfAbsent(ip, k -> new RateBucket());
        delay = Math.max(delay, byIp.take(limits.ratePerMinute(), now));
      }
      if (delay > MAX_RATE_WAIT.toMillis()) {
        pool.rate.tokens += 1;
        if (byIp != null) {
          byIp.tokens += 1;
        }
      }
      return delay;
    }
  }

  /** A token bucket holding one minute's worth of a rate per minute; guarded by {@link #lock}. */
  private static final class RateBucket {
    double tokens;
    long at;

    /** Takes one token; returns 0, or the milliseconds until the debt is paid. */
    long take(int ratePerMinute, long now) {
      double perMs = ratePerMinute / 60_000.0;
      tokens = at == 0 ? ratePerMinute : Math.min(ratePerMinute, tokens + (now - at) / 1e6 * perMs);
      at = now;
      tokens -= 1;
      return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / perMs);
    }
  }

  /** Drops least recently used pools that have nothing in flight, closing their idle links. */
  private void evict() {
    Iterator<HostPool> it = pools.values().iterator();
    while (pools.size() > options.maxHosts() && it.hasNext()) {
      HostPool p = it.next();
      if (p.total == p.idle.size() && p.waiters.isEmpty()) {
        it.remove();
        for (SmtpConnection c : p.idle) {
          vertx.cancelTimer(c.idleTimer);
          quitLater(c);
        }
        p.total = 0;
        p.idle.clear();
      }
    }
  }

  private void quitLater(SmtpConnection c) {
    c.context.runOnContext(
        v -> c.quit(options.commandTimeout()).onComplete(ar -> releaseAddress(c.ip)));
  }

  private static Future<Void> close(SmtpConnection c) {
    c.close();
    return Future.succeededFuture();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static String key(String host) {
    return host.toLowerCase(Locale.ROOT);
  }

  /** The address a transaction connects to: its IP literal, or the relay's name. */
  private static String addressOf(SmtpTransaction tx) {
    return tx.address() == null ? tx.host() : tx.address();
  }

  private static SocketAddress socketAddress(SmtpTransaction tx) throws UnknownHostException {
    if (tx.address() == null) {
      // relay mode: the relay's name is resolved by Vert.x
      return SocketAddress.inetSocketAddress(tx.port(), tx.host());
    }
    String literal = tx.address();
    if (literal.startsWith("[") && literal.endsWith("]")) {
      literal = literal.substring(1, literal.length() - 1);
    }
    if (!literal.contains(":") && !literal.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      throw new IllegalArgumentException("not an IP literal: " + tx.address());
    }
    // an IP literal never reaches a resolver: InetAddress parses it in place
    return SocketAddress.inetSocketAddress(
        new InetSocketAddress(InetAddress.getByName(literal), tx.port()));
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

  private static SmtpResult failed(
      SmtpTransaction tx, String ip, boolean tls, Throwable cause, long start) {
    return new SmtpResult(
        tx.host(), ip, tls, all(tx, SmtpReply.noReply(describe(cause))), elapsed(start), false);
  }

  private static Map<String, SmtpReply> all(SmtpTransaction tx, SmtpReply reply) {
    Map<String, SmtpReply> m = new LinkedHashMap<>();
    tx.recipients().forEach(r -> m.put(r, reply));
    return Collections.unmodifiableMap(m);
  }

  private static String describe(Throwable e) {
    return e instanceof ConnectionLost ? e.getMessage() : SmtpConnection.describe(e);
  }

  private static long elapsed(long start) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Per-host pool state, guarded by {@link #lock}. */
  private static final class HostPool {
    final ArrayDeque<SmtpConnection> idle = new ArrayDeque<>();
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    int total;
    HostLimits limits;
    // the token bucket of the host's rate: receivers throttle per sending IP, so do we
    final RateBucket rate = new RateBucket();

    HostPool(HostLimits limits) {
      this.limits = limits;
    }
  }

  /** Connection slots of one IP address, guarded by {@link #lock}. */
  private static final class AddressSlots {
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    int open;
  }

  /** A transaction waiting in {@code queue} (its host's or its address's) for a connection. */
  private static final class Waiter {
    final SmtpTransaction tx;
    final HostPool pool;
    final ArrayDeque<Waiter> queue;
    final Promise<Lease> promise = Promise.promise();
    long timer = -1;

    Waiter(SmtpTransaction tx, HostPool pool, ArrayDeque<Waiter> queue) {
      this.tx = tx;
      this.pool = pool;
      this.queue = queue;
    }
  }

  /** A pooled connection, a permit to open one, or a refusal. */
  private record Lease(HostPool pool, SmtpConnection connection, String refusal) {
    static Lease refused(String why) {
      return new Lease(null, null, why);
    }

    boolean permit() {
      return connection == null && refusal == null;
    }
  }

  /**
   * What a cancelled transaction must stop: its wait in a queue, or its connection (closed, so the
   * peer never gets the end of the data). Once the transaction is done, a cancel does nothing.
   */
  private final class Abort {
    private boolean cancelled;
    private boolean finished;
    private Waiter waiter;
    private SmtpConnection connection;

    void cancel() {
      Waiter w;
      SmtpConnection c;
      synchronized (this) {
        if (finished || cancelled) {
          return;
        }
        cancelled = true;
        w = waiter;
        c = connection;
      }
      if (w != null) {
        expire(w, CANCELLED);
      }
      if (c != null) {
        c.context.runOnContext(v -> c.close());
      }
    }

    synchronized boolean cancelled() {
      return cancelled;
    }

    synchronized void finish() {
      finished = true;
      waiter = null;
      connection = null;
    }

    /** Records the wait; false when the transaction is already cancelled. */
    synchronized boolean waiting(Waiter w) {
      waiter = w;
      return !cancelled;
    }

    /** Records the connection in use, closing it at once when already cancelled. */
    void use(SmtpConnection c) {
      boolean close;
      synchronized (this) {
        waiter = null;
        connection = c;
        close = cancelled;
      }
      if (close) {
        c.context.runOnContext(v -> c.close());
      }
    }

    synchronized void detach(SmtpConnection c) {
      if (connection == c) {
        connection = null;
      }
    }
  }

  private record Session(SmtpConnection connection, SmtpResult result) {}

  /** The replies gathered during one transaction, on the connection's context. */
  private static final class Exchange {
    final List<String> recipients;
    final Map<String, SmtpReply> rcpt = new LinkedHashMap<>();
    final Map<String, SmtpReply> result = new LinkedHashMap<>();
    SmtpReply mail;
    boolean clean;

    Exchange(List<String> recipients) {
      this.recipients = recipients;
    }

    SmtpReply closing() {
      if (mail != null && mail.code() == 421) {
        return mail;
      }
      return rcpt.values().stream().filter(r -> r.code() == 421).findFirst().orElse(null);
    }

    /** Recipients refused at RCPT keep that reply; the rest get {@code reply}. */
    void rest(SmtpReply reply) {
      for (String r : recipients) {
        SmtpReply own = rcpt.get(r);
        result.putIfAbsent(r, own != null && !own.positive() ? own : reply);
      }
    }

    boolean timedOut(Throwable cause) {
      return String.valueOf(cause.getMessage()).startsWith("timeout");
    }

    void failRest(Throwable cause) {
      rest(SmtpReply.noReply(describe(cause)));
    }

    Map<String, SmtpReply> ordered() {
      Map<String, SmtpReply> m = new LinkedHashMap<>();
      recipients.forEach(r -> m.put(r, result.get(r)));
      return Collections.unmodifiableMap(m);
    }
  }
}
