package io.postwire.delivery.smtp;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One SMTP connection: reads replies (RFC 5321 §4.2.1) with a timeout per reply (and a deadline per
 * phase, see {@link #within}) and writes commands. Every method runs on the connection's own Vert.x
 * context, so no locking is needed.
 *
 * <p>A peer is held to what it owes: a reply beyond {@link #MAX_REPLY_LINES} lines or {@link
 * #MAX_REPLY_BYTES} octets, or any byte when no command awaits a reply (an idle pooled connection),
 * is a protocol error that closes the connection; nothing unasked-for is buffered.
 */
final class SmtpConnection {

  /** Thrown for a network failure or a timeout: the connection is gone, no reply exists. */
  static final class ConnectionLost extends RuntimeException {
    ConnectionLost(String message) {
      super(message, null, false, false);
    }
  }

  // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; allow some slack before giving up.
  private static final int MAX_LINE = 8192;

  /** Most lines in one reply; a real EHLO reply has a few dozen. */
  static final int MAX_REPLY_LINES = 100;

  /** Most octets in one reply, line ends included. */
  static final int MAX_REPLY_BYTES = 64 * 1024;

  final Vertx vertx;
  final Context context;
  final NetSocket socket;
  final String host;
  final String ip;
  final int port;
  final SmtpTransaction.TlsPolicy policy;
  final long id;

  private final ArrayDeque<SmtpReply> replies = new ArrayDeque<>();
  private final ArrayDeque<List<String>> rawReplies = new ArrayDeque<>();
  private List<String> lastLines = List.of();
  private final ArrayDeque<Promise<SmtpReply>> waiters = new ArrayDeque<>();
  private final List<String> lines = new ArrayList<>();
  private Buffer partial = Buffer.buffer();
  private int replyBytes;
  // replies the peer still owes us: the greeting, then one per command written
  private int owed = 1;
  private Promise<Void> drainWaiter;
  private Set<String> extensions = Set.of();
  private String lostBecause;
  private boolean secure;
  private int tlsGeneration;
  int messages;
  long idleTimer = -1;

  SmtpConnection(
      Vertx vertx,
      NetSocket socket,
      String host,
      String ip,
      int port,
      SmtpTransaction.TlsPolicy policy,
      long id) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.socket = socket;
    this.host = host;
    this.ip = ip;
    this.port = port;
    this.policy = policy;
    this.id = id;
    socket.handler(this::received);
    socket.exceptionHandler(e -> lost("connection error: " + describe(e)));
    socket.closeHandler(v -> lost("connection closed by " + ip));
  }

  boolean open() {
    return lostBecause == null;
  }

  boolean secure() {
    return secure;
  }

  /** Whether the last EHLO reply offered {@code keyword} (upper case, e.g. "PIPELINING"). */
  boolean offers(String keyword) {
    return extensions.contains(keyword);
  }

  /** The parameters of an EHLO keyword ("AUTH PLAIN LOGIN" → "PLAIN LOGIN"), or "". */
  String parameters(String keyword) {
    for (String e : extensions) {
      if (e.startsWith(keyword + " ")) {
        return e.substring(keyword.length() + 1);
      }
    }
    return "";
  }

  /** Remembers the EHLO keywords (RFC 5321 §4.1.1.1), forgetting the earlier ones. */
  void extensionsFrom(List<String> rawLines) {
    Set<String> found = new HashSet<>();
    for (int i = 1; i < rawLines.size(); i++) {
      String line = rawLines.get(i);
      if (line.length() > 4) {
        String ext = line.substring(4).trim().toUpperCase(Locale.ROOT);
        // the whole line serves parameters(), the bare keyword serves offers()
        found.add(ext);
        int space = ext.indexOf(' ');
        if (space > 0) {
          found.add(ext.substring(0, space));
        }
      }
    }
    extensions = found;
  }

  /** The raw lines of the reply most recently handed out (EHLO keywords live there). */
  List<String> lastLines() {
    return lastLines;
  }

  /** Writes {@code command} + CRLF and reads its reply within {@code timeout}. */
  Future<SmtpReply> command(String command, Duration timeout) {
    return send(command + "\r\n", 1).compose(v -> read(timeout, command));
  }

  /** Writes {@code commands} (a pipelined group, RFC 2920), which call for {@code replies}. */
  Future<Void> send(String commands, int replies) {
    return send(Buffer.buffer(commands.getBytes(StandardCharsets.US_ASCII)), replies);
  }

  /**
   * Queues {@code data}, which calls for {@code replies} replies (0 for a block of message data),
   * for writing. We never wait for the write itself: a peer that stops reading is caught by the
   * reply and data block timeouts, and a write error closes the socket, which fails the pending
   * read.
   */
  Future<Void> send(Buffer data, int replies) {
    if (lostBecause != null) {
      return Future.failedFuture(new ConnectionLost(lostBecause));
    }
    owed += replies;
    socket.write(data);
    return Future.succeededFuture();
  }

  /**
   * The next reply, waiting at most {@code timeout}; on timeout the connection is closed, since the
   * dialogue can no longer be trusted (RFC 5321 §4.5.3.2).
   */
  Future<SmtpReply> read(Duration timeout, String what) {
    if (!replies.isEmpty()) {
      lastLines = rawReplies.poll();
      return Future.succeededFuture(replies.poll());
    }
    if (lostBecause != null) {
      return Future.failedFuture(new ConnectionLost(lostBecause));
    }
    Promise<SmtpReply> promise = Promise.promise();
    waiters.add(promise);
    long timer =
        vertx.setTimer(
            timeout.toMillis(),
            t -> {
              if (waiters.remove(promise)) {
                String why =
                    "timeout: no reply to " + verb(what) + " from " + ip + " within " + timeout;
                drop(why);
                promise.tryFail(new ConnectionLost(why));
              }
            });
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /**
   * Runs {@code phase} under a total deadline: when it has not completed within {@code total}, the
   * connection is closed and whatever it waits for fails, however the peer paces its bytes. The
   * per-reply and per-block timers alone would let a peer that answers each step just in time hold
   * the connection for as many timeouts as there are steps.
   */
  <T> Future<T> within(Duration total, String what, Supplier<Future<T>> phase) {
    long timer =
        vertx.setTimer(
            total.toMillis(),
            t -> {
              String why = "timeout: " + what + " with " + ip + " not done within " + total;
              drop(why);
            });
    return phase.get().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /**
   * Waits until the socket can take more data (RFC 5321 §4.5.3.2.5 data block timeout): when the
   * peer stops reading, we close rather than buffer without bound.
   */
  Future<Void> drained(Duration timeout) {
    if (!socket.writeQueueFull()) {
      return Future.succeededFuture();
    }
    if (lostBecause != null) {
      return Future.failedFuture(new ConnectionLost(lostBecause));
    }
    Promise<Void> promise = Promise.promise();
    drainWaiter = promise;
    long timer =
        vertx.setTimer(
            timeout.toMillis(),
            t -> {
              String why = "timeout: " + ip + " took no message data within " + timeout;
              drop(why);
              promise.tryFail(new ConnectionLost(why));
            });
    socket.drainHandler(
        v -> {
          socket.drainHandler(null);
          promise.tryComplete();
        });
    return promise
        .future()
        .onComplete(
            ar -> {
              vertx.cancelTimer(timer);
              drainWaiter = null;
            });
  }

  /** STARTTLS handshake (RFC 3207) naming {@link #host} for SNI and certificate checks. */
  Future<Void> upgradeToTls() {
    // Replies buffered before the handshake would be a plaintext injection (RFC 3207 §4.2).
    tlsGeneration++;
    replies.clear();
    rawReplies.clear();
    partial = Buffer.buffer();
    lines.clear();
    replyBytes = 0;
    owed = 0;
    return socket.upgradeToSsl(host).onSuccess(v -> secure = true);
  }

  /** Closes the socket at once (no QUIT). */
  void close() {
    drop("connection closed");
  }

  /** Sends QUIT (RFC 5321 §4.1.1.10), waits briefly for 221, then closes. */
  Future<Void> quit(Duration timeout) {
    if (lostBecause != null) {
      return Future.succeededFuture();
    }
    return command("QUIT", timeout)
        .<Void>mapEmpty()
        .recover(e -> Future.succeededFuture())
        .onComplete(ar -> close());
  }

  private void received(Buffer data) {
    if (lostBecause != null) {
      // after a protocol error or a timeout nothing the peer sends counts
      return;
    }
    if (owed == 0) {
      protocolError("data from " + ip + " while no command awaits a reply");
      return;
    }
    partial.appendBuffer(data);
    List<String> complete = new ArrayList<>();
    int start = 0;
    int len = partial.length();
    for (int i = 0; i < len; i++) {
      if (partial.getByte(i) == '\n') {
        int end = i > start && partial.getByte(i - 1) == '\r' ? i - 1 : i;
        complete.add(partial.getString(start, end, "ISO-8859-1"));
        start = i + 1;
      }
    }
    partial = start == 0 ? partial : partial.getBuffer(start, len);
    if (partial.length() > MAX_LINE) {
      protocolError("reply line longer than " + MAX_LINE + " octets from " + ip);
      return;
    }
    // A reply may start the TLS handshake synchronously; lines that came after it in the same
    // read are plaintext leftovers and must be dropped (RFC 3207 §4.2).
    int generation = tlsGeneration;
    for (String line : complete) {
      if (generation != tlsGeneration || lostBecause != null) {
        return;
      }
      line(line);
    }
    if (owed == 0 && partial.length() > 0 && generation == tlsGeneration && lostBecause == null) {
      protocolError("data from " + ip + " after the last reply owed");
    }
  }

  private void line(String line) {
    if (owed == 0) {
      protocolError("a reply from " + ip + " while no command awaits one");
      return;
    }
    lines.add(line);
    replyBytes += line.length() + 2;
    if (lines.size() > MAX_REPLY_LINES || replyBytes > MAX_REPLY_BYTES) {
      protocolError(
          "reply from "
              + ip
              + " longer than "
              + MAX_REPLY_LINES
              + " lines or "
              + MAX_REPLY_BYTES
              + " octets");
      return;
    }
    if (SmtpReplies.isLastLine(line) || SmtpReplies.codeOf(line) < 0) {
      List<String> complete = List.copyOf(lines);
      lines.clear();
      replyBytes = 0;
      owed--;
      SmtpReply reply = SmtpReplies.parse(complete);
      Promise<SmtpReply> waiter = waiters.poll();
      if (waiter != null) {
        lastLines = complete;
        waiter.tryComplete(reply);
      } else {
        replies.add(reply);
        rawReplies.add(complete);
      }
    }
  }

  /** The peer broke the protocol: the dialogue cannot be trusted any more, close at once. */
  private void protocolError(String why) {
    lost("protocol error: " + why);
    partial = Buffer.buffer();
    lines.clear();
    socket.close();
  }

  /** Ends the dialogue: whatever waits fails with {@code why}, and the socket is closed. */
  private void drop(String why) {
    lost(why);
    socket.close();
  }

  private void lost(String why) {
    if (lostBecause == null) {
      lostBecause = why;
    }
    Promise<SmtpReply> waiter;
    while ((waiter = waiters.poll()) != null) {
      waiter.tryFail(new ConnectionLost(why));
    }
    if (drainWaiter != null) {
      drainWaiter.tryFail(new ConnectionLost(why));
    }
  }

  private static String verb(String command) {
    String c = command == null ? "" : command;
    if (c.regionMatches(true, 0, "AUTH", 0, 4)) {
      return "AUTH";
    }
    int colon = c.indexOf(':');
    return colon > 0 ? c.substring(0, colon) : c;
  }

  /** What went wrong, for a reply text: a lost connection's own words, else the exception's. */
  static String describe(Throwable e) {
    if (e instanceof ConnectionLost) {
      return e.getMessage();
    }
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
