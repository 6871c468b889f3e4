package io.postwire.delivery.smtp;

import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
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
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;
import org.jboss.logging.Logger;

/**
 * Opens an SMTP session on a new connection: connect, greeting, EHLO (HELO on 5xx), STARTTLS per
 * {@link TlsPolicy} (RFC 3207) and EHLO again, AUTH PLAIN/LOGIN (RFC 4954) when configured. The
 * session ends ready for MAIL, or with the reply every recipient gets.
 */
final class SmtpStarter {

  // the transport's category, where operators already look for (and configure) this warning
  private static final Logger LOG = Logger.getLogger(DirectSmtpTransport.class);

  private final Vertx vertx;
  private final SmtpClientOptions options;
  private final NetClient trustingClient;
  private final NetClient verifyingClient;
  private final AtomicLong connectionIds = new AtomicLong();
  private final AtomicLong plaintextAuthLogged = new AtomicLong();

  /** A session ready for MAIL on {@code connection}, or, without one, the {@code result}. */
  record Session(SmtpConnection connection, SmtpResult result) {}

  SmtpStarter(Vertx vertx, SmtpClientOptions options) {
    this.vertx = vertx;
    this.options = options;
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

  /**
   * Connects to {@code tx}'s address and runs the session set-up. {@code gone} runs once the
   * connection is closed after a failed set-up, or at once when none could be opened; a new
   * connection is handed to {@code abort} as soon as it exists.
   */
  Future<Session> start(SmtpTransaction tx, long start, TransactionAbort abort, Runnable gone) {
    String ip = tx.addressOrHost();
    SocketAddress remote;
    try {
      remote = socketAddress(tx);
    } catch (UnknownHostException | IllegalArgumentException e) {
      gone.run();
      return Future.succeededFuture(
          new Session(null, failed(tx, ip, SmtpConnection.describe(e), start)));
    }
    NetClient client = tx.tls() == TlsPolicy.REQUIRED_VERIFIED ? verifyingClient : trustingClient;
    return onEventLoop(
        () ->
            client
                .connect(remote, tx.host())
                .transform(ar -> connected(ar, tx, ip, start, abort, gone)));
  }

  /** Closes the network clients. */
  void close() {
    trustingClient.close();
    verifyingClient.close();
  }

  /** Starts the session on a new connection, or gives every recipient why there is none. */
  private Future<Session> connected(
      AsyncResult<NetSocket> ar,
      SmtpTransaction tx,
      String ip,
      long start,
      TransactionAbort abort,
      Runnable gone) {
    if (ar.failed()) {
      gone.run();
      return Future.succeededFuture(
          new Session(
              null,
              failed(
                  tx,
                  ip,
                  "cannot connect to " + ip + ": " + SmtpConnection.describe(ar.cause()),
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
              SmtpReply reply =
                  refusal != null ? refusal : SmtpReply.noReply(SmtpConnection.describe(d.cause()));
              boolean polite = refusal != null && refusal.code() != 421 && c.open();
              if (polite) {
                c.quit(options.commandTimeout()).onComplete(q -> gone.run());
              } else {
                c.close();
                gone.run();
              }
              return Future.succeededFuture(
                  new Session(
                      null, SmtpResult.forAll(tx, ip, c.secure(), reply, start, tlsFailed[0])));
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
                                      + SmtpConnection.describe(ar.cause())));
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

  private static SocketAddress socketAddress(SmtpTransaction tx) throws UnknownHostException {
    if (tx.address() == null) {
      // relay mode: the relay's name is resolved by Vert.x
      return SocketAddress.inetSocketAddress(tx.port(), tx.host());
    }
    String literal = tx.address();
    if (literal.startsWith("[") && literal.endsWith("]")) {
      literal = literal.substring(1, literal.length() - 1);
    }
    if (!SmtpTransaction.isIpLiteral(literal)) {
      throw new IllegalArgumentException("not an IP literal: " + tx.address());
    }
    // an IP literal never reaches a resolver: InetAddress parses it in place
    return SocketAddress.inetSocketAddress(
        new InetSocketAddress(InetAddress.getByName(literal), tx.port()));
  }

  private static SmtpResult failed(SmtpTransaction tx, String ip, String why, long start) {
    return SmtpResult.forAll(tx, ip, false, SmtpReply.noReply(why), start, false);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
