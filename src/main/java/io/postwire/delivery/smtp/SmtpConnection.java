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

/**
 * One SMTP connection: reads replies (RFC 5321 §4.2.1) with a timeout per reply and writes
 * commands. Every method runs on the connection's own Vert.x context, so no locking is needed.
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
    return write(command + "\r\n").compose(v -> read(timeout, command));
  }

  Future<Void> write(String text) {
    return write(Buffer.buffer(text.getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * Queues {@code data} for writing. We never wait for the write itself: a peer that stops reading
   * is caught by the reply and data block timeouts, and a write error closes the socket, which
   * fails the pending read.
   */
  Future<Void> write(Buffer data) {
    if (lostBecause != null) {
      return Future.failedFuture(new ConnectionLost(lostBecause));
    }
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
                lost(why);
                socket.close();
                promise.tryFail(new ConnectionLost(why));
              }
            });
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /**
   * Waits until the socket can take more data (RFC 5321 §4.5.3.2.5 data block timeout): when the
   * peer stops reading, we close rather than buffer without bound.
   */
  Future<Void> drained(Duration timeout) {
    if (!socket.writeQueueFull()) {
      return Future.succeededFuture();
    }
    Promise<Void> promise = Promise.promise();
    long timer =
        vertx.setTimer(
            timeout.toMillis(),
            t -> {
              String why = "timeout: " + ip + " took no message data within " + timeout;
              lost(why);
              socket.close();
              promise.tryFail(new ConnectionLost(why));
            });
    socket.drainHandler(
        v -> {
          vertx.cancelTimer(timer);
          socket.drainHandler(null);
          promise.tryComplete();
        });
    return promise.future();
  }

  /** STARTTLS handshake (RFC 3207) naming {@link #host} for SNI and certificate checks. */
  Future<Void> upgradeToTls() {
    // Replies buffered before the handshake would be a plaintext injection (RFC 3207 §4.2).
    tlsGeneration++;
    replies.clear();
    rawReplies.clear();
    partial = Buffer.buffer();
    lines.clear();
    return socket.upgradeToSsl(host).onSuccess(v -> secure = true);
  }

  /** Closes the socket at once (no QUIT). */
  void close() {
    lost("connection closed");
    socket.close();
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
      lost("reply line longer than " + MAX_LINE + " octets from " + ip);
      socket.close();
      return;
    }
    // A reply may start the TLS handshake synchronously; lines that came after it in the same
    // read are plaintext leftovers and must be dropped (RFC 3207 §4.2).
    int generation = tlsGeneration;
    for (String line : complete) {
      if (generation != tlsGeneration) {
        return;
      }
      line(line);
    }
  }

  private void line(String line) {
    lines.add(line);
    if (SmtpReplies.isLastLine(line) || SmtpReplies.codeOf(line) < 0) {
      List<String> complete = List.copyOf(lines);
      lines.clear();
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

  private void lost(String why) {
    if (lostBecause == null) {
      lostBecause = why;
    }
    Promise<SmtpReply> waiter;
    while ((waiter = waiters.poll()) != null) {
      waiter.tryFail(new ConnectionLost(why));
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

  static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
