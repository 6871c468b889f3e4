package io.postwire.smtp.server;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;

/**
 * One SMTP session (RFC 5321) on one connection: reads commands, answers them in order and hands
 * finished transactions to the {@link SmtpHandler}. Everything runs on the connection's event loop;
 * while the handler decides (AUTH, RCPT, end of DATA) later input waits in the buffer (pipelined
 * commands, RFC 2920), and reading pauses when too much of it waits.
 *
 * <p>ESMTP extensions: PIPELINING, SIZE (RFC 1870), 8BITMIME (RFC 6152), ENHANCEDSTATUSCODES (RFC
 * 2034), STARTTLS (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954). The session holds the state, the
 * input and the command dispatch; its phases are {@link SmtpAuth}, {@link SmtpStartTls} and {@link
 * SmtpData}.
 */
final class SmtpSession {

  /** Longest command line, CRLF included (RFC 5321 §4.5.3.1.4). */
  static final int MAX_COMMAND_LINE = 512;

  /** Longest text line in DATA, CRLF included (RFC 5321 §4.5.3.1.6). */
  static final int MAX_TEXT_LINE = 1000;

  /** Input waiting while the handler decides, beyond which reading pauses. */
  private static final int MAX_WAITING_INPUT = 64 * 1024;

  enum Mode {
    COMMAND,
    DATA,
    AUTH_PLAIN,
    AUTH_LOGIN_USER,
    AUTH_LOGIN_PASSWORD,
    CLOSED
  }

  final Vertx vertx;
  private final Context context;
  final NetSocket socket;
  final SmtpSettings settings;
  final SmtpHandler handler;
  final boolean startTlsAvailable;
  private final String clientAddress;
  private final Consumer<String> ended;
  private final SmtpAuth auth = new SmtpAuth(this);
  private final SmtpStartTls startTls = new SmtpStartTls(this);
  private final SmtpData dataPhase = new SmtpData(this);

  private byte[] input = new byte[4096];
  private int start;
  private int end;
  private boolean discardingLine;
  boolean busy;
  private boolean paused;

  // the session's state, which its phases (AUTH, STARTTLS, DATA) read and change too
  Mode mode = Mode.COMMAND;
  boolean secure;
  String helo;
  Object identity;

  String mailFrom;
  boolean eightBit;
  final List<String> recipients = new ArrayList<>();

  int errors;
  int commands;
  private long idleTimer = -1;
  private String outcome = "disconnected";

  /**
   * @param secure whether the connection is already TLS (implicit TLS, RFC 8314)
   * @param startTlsAvailable whether STARTTLS can be offered on this connection
   * @param ended told the session's outcome once it is closed
   */
  SmtpSession(
      Vertx vertx,
      NetSocket socket,
      SmtpSettings settings,
      SmtpHandler handler,
      boolean secure,
      boolean startTlsAvailable,
      String clientAddress,
      Consumer<String> ended) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.socket = socket;
    this.settings = settings;
    this.handler = handler;
    this.secure = secure;
    this.startTlsAvailable = startTlsAvailable;
    this.clientAddress = clientAddress;
    this.ended = ended;
  }

  /** Greets the client and starts reading. */
  void start() {
    socket.handler(this::received);
    socket.closeHandler(v -> closed());
    socket.exceptionHandler(e -> socket.close());
    restartIdleTimer();
    reply(new Reply(220, null, settings.hostname() + " ESMTP ready"));
  }

  /** Refuses the connection (a limit) with 421 and closes it. */
  static void refuse(NetSocket socket, String hostname, String why) {
    socket.write(new Reply(421, "4.7.0", hostname + " " + why).wire());
    socket.end();
  }

  private void received(Buffer buffer) {
    if (mode == Mode.CLOSED) {
      return;
    }
    restartIdleTimer();
    append(buffer);
    pump();
  }

  private void append(Buffer buffer) {
    int length = buffer.length();
    if (end + length > input.length) {
      int waiting = end - start;
      byte[] grown = waiting + length > input.length ? new byte[waiting + length + 4096] : input;
      System.arraycopy(input, start, grown, 0, waiting);
      input = grown;
      start = 0;
      end = waiting;
    }
    buffer.getBytes(0, length, input, end);
    end += length;
  }

  /** Works through the waiting input until it runs out or the handler is deciding. */
  void pump() {
    while (!busy && mode != Mode.CLOSED && start < end) {
      if (mode == Mode.DATA) {
        start += dataPhase.reader().feed(input, start, end - start);
        if (dataPhase.reader().done()) {
          dataPhase.endOfData();
        }
        continue;
      }
      int lf = indexOfLf();
      int limit = mode == Mode.COMMAND ? MAX_COMMAND_LINE : 12288;
      if (lf < 0) {
        if (end - start >= limit) {
          // too long: drop it and answer at its end
          discardingLine = true;
          start = end;
        }
        break;
      }
      int lineEnd = lf > start && input[lf - 1] == '\r' ? lf - 1 : lf;
      boolean tooLong = discardingLine || lf + 1 - start > limit;
      String line = new String(input, start, lineEnd - start, StandardCharsets.ISO_8859_1);
      start = lf + 1;
      discardingLine = false;
      if (tooLong) {
        mode = Mode.COMMAND;
        error(new Reply(500, "5.5.2", "Line too long"));
      } else {
        line(line);
      }
    }
    if (start == end) {
      start = 0;
      end = 0;
    }
    boolean tooMuchWaiting = busy && end - start > MAX_WAITING_INPUT;
    if (tooMuchWaiting && !paused) {
      paused = true;
      socket.pause();
    } else if (!tooMuchWaiting && paused && mode != Mode.CLOSED) {
      paused = false;
      socket.resume();
    }
  }

  /** Drops the input waiting (RFC 3207 §4.2: what came in the clear before TLS). */
  void dropInput() {
    start = end;
  }

  private int indexOfLf() {
    for (int i = start; i < end; i++) {
      if (input[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private void line(String line) {
    switch (mode) {
      case AUTH_PLAIN -> auth.authPlain(line);
      case AUTH_LOGIN_USER -> auth.authLoginUser(line);
      case AUTH_LOGIN_PASSWORD -> auth.authLoginPassword(line);
      default -> command(Command.parse(line));
    }
  }

  private void command(Command c) {
    boolean transactional =
        switch (c.verb()) {
          case "MAIL", "RCPT", "DATA", "QUIT", "AUTH", "STARTTLS" -> true;
          default -> false;
        };
    if (!transactional && ++commands > settings.maxCommands()) {
      close(
          new Reply(421, "4.7.0", settings.hostname() + " Too many commands, closing"),
          "too_many_commands");
      return;
    }
    switch (c.verb()) {
      case "EHLO" -> hello(c, true);
      case "HELO" -> hello(c, false);
      case "MAIL" -> mail(c);
      case "RCPT" -> rcpt(c);
      case "DATA" -> dataPhase.data(c);
      case "RSET" -> {
        if (!c.argument().isEmpty()) {
          error(new Reply(501, "5.5.4", "RSET takes no argument"));
          return;
        }
        resetTransaction();
        reply(new Reply(250, "2.0.0", "OK"));
      }
      case "NOOP" -> reply(new Reply(250, "2.0.0", "OK"));
      case "QUIT" -> close(new Reply(221, "2.0.0", settings.hostname() + " Bye"), "completed");
      case "VRFY" -> reply(new Reply(252, "2.5.0", "Cannot VRFY user, but will accept message"));
      case "EXPN" -> error(new Reply(502, "5.5.1", "EXPN not available"));
      case "HELP" ->
          reply(
              new Reply(
                  214,
                  "2.0.0",
                  "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH"));
      case "STARTTLS" -> startTls.startTls(c);
      case "AUTH" -> auth.auth(c);
      default -> error(new Reply(500, "5.5.2", "Command not recognized"));
    }
  }

  private void hello(Command c, boolean extended) {
    if (c.argument().isEmpty() || c.argument().indexOf(' ') >= 0) {
      error(new Reply(501, "5.5.4", "Syntax: " + c.verb() + " hostname"));
      return;
    }
    resetTransaction();
    helo = c.argument();
    if (!extended) {
      reply(new Reply(250, null, settings.hostname()));
      return;
    }
    List<String> lines = new ArrayList<>();
    lines.add(settings.hostname() + " greets " + helo);
    lines.add("PIPELINING");
    lines.add("SIZE " + settings.maxMessageSize());
    lines.add("8BITMIME");
    lines.add("ENHANCEDSTATUSCODES");
    if (startTlsAvailable && !secure) {
      lines.add("STARTTLS");
    }
    if (authOffered()) {
      lines.add("AUTH PLAIN LOGIN");
    }
    reply(new Reply(250, null, lines));
  }

  boolean authOffered() {
    return settings.authEnabled() && (secure || settings.plaintextAuth());
  }

  private void mail(Command c) {
    if (helo == null) {
      error(new Reply(503, "5.5.1", "Send EHLO first"));
      return;
    }
    if (mailFrom != null) {
      error(new Reply(503, "5.5.1", "Nested MAIL command"));
      return;
    }
    if (settings.authRequired() && identity == null) {
      error(new Reply(530, "5.7.0", "Authentication required"));
      return;
    }
    Command.Path path = c.path("FROM:");
    if (path == null || !path.address().isEmpty() && !Command.mailbox(path.address())) {
      error(new Reply(501, "5.1.7", "Syntax: MAIL FROM:<address>"));
      return;
    }
    boolean eight = false;
    for (var p : path.parameters().entrySet()) {
      String value = p.getValue();
      switch (p.getKey()) {
        case "SIZE" -> {
          long size;
          try {
            size = value == null ? -1 : Long.parseLong(value);
          } catch (NumberFormatException e) {
            size = -1;
          }
          if (size < 0) {
            error(new Reply(501, "5.5.4", "Bad SIZE parameter"));
            return;
          }
          if (size > settings.maxMessageSize()) {
            reply(
                new Reply(
                    552,
                    "5.3.4",
                    "Message size exceeds the limit of " + settings.maxMessageSize() + " octets"));
            return;
          }
        }
        case "BODY" -> {
          String body = value == null ? "" : value.toUpperCase(Locale.ROOT);
          if (!body.equals("7BIT") && !body.equals("8BITMIME")) {
            error(new Reply(501, "5.5.4", "BODY must be 7BIT or 8BITMIME"));
            return;
          }
          eight = body.equals("8BITMIME");
        }
        case "AUTH" -> {
          // RFC 4954 §5: accepted, and the session's own identity is what counts
        }
        default -> {
          error(new Reply(555, "5.5.4", "Unsupported parameter " + p.getKey()));
          return;
        }
      }
    }
    mailFrom = path.address();
    eightBit = eight;
    reply(new Reply(250, "2.1.0", "Sender OK"));
  }

  private void rcpt(Command c) {
    if (mailFrom == null) {
      error(new Reply(503, "5.5.1", "Need MAIL before RCPT"));
      return;
    }
    Command.Path path = c.path("TO:");
    if (path == null || !Command.mailbox(path.address())) {
      error(new Reply(501, "5.1.3", "Syntax: RCPT TO:<address>"));
      return;
    }
    if (!path.parameters().isEmpty()) {
      error(new Reply(555, "5.5.4", "RCPT parameters are not supported"));
      return;
    }
    if (recipients.size() >= settings.maxRecipients()) {
      reply(new Reply(452, "4.5.3", "Too many recipients"));
      return;
    }
    String address = path.address();
    decide(
        () -> handler.recipient(info(), address),
        r -> {
          if (r.positive() && mailFrom != null) {
            recipients.add(address);
          }
          reply(r);
        },
        new Reply(451, "4.3.0", "Cannot check the recipient now; try again later"));
  }

  /**
   * Waits for the handler's decision (input keeps waiting meanwhile) and goes on with it on the
   * connection's event loop; a failed decision is answered with {@code failure}. This is where a
   * decision meets the socket, so it is subscribed to here, once per decision.
   */
  <T> void decide(Supplier<Uni<? extends T>> decision, Consumer<T> then, Reply failure) {
    busy = true;
    Uni.createFrom()
        .<T>deferred(decision)
        .subscribe()
        .with(
            item ->
                context.runOnContext(
                    v -> {
                      busy = false;
                      if (mode == Mode.CLOSED) {
                        return;
                      }
                      then.accept(item);
                      pump();
                    }),
            failed ->
                context.runOnContext(
                    v -> {
                      busy = false;
                      if (mode == Mode.CLOSED) {
                        return;
                      }
                      reply(failure);
                      pump();
                    }));
  }

  SmtpHandler.SessionInfo info() {
    SSLSession tls = secure ? socket.sslSession() : null;
    return tls == null
        ? new SmtpHandler.SessionInfo(clientAddress, helo, secure, identity)
        : new SmtpHandler.SessionInfo(
            clientAddress, helo, true, identity, tls.getProtocol(), tls.getCipherSuite());
  }

  void resetTransaction() {
    mailFrom = null;
    eightBit = false;
    recipients.clear();
  }

  /** Answers a bad command, and closes the session once it has sent too many. */
  void error(Reply r) {
    if (++errors > settings.maxErrors()) {
      close(
          new Reply(421, "4.7.0", settings.hostname() + " Too many errors, closing"),
          "too_many_errors");
      return;
    }
    reply(r);
  }

  void reply(Reply r) {
    if (mode != Mode.CLOSED) {
      socket.write(r.wire());
    }
  }

  private void restartIdleTimer() {
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
    }
    idleTimer =
        vertx.setTimer(
            settings.idleTimeout().toMillis(),
            id -> {
              if (busy) {
                // the client waits for us, not we for it
                restartIdleTimer();
                return;
              }
              close(
                  new Reply(421, "4.4.2", settings.hostname() + " Idle timeout, closing"),
                  "timeout");
            });
  }

  /** Sends {@code last} (when given) and closes the connection. */
  void close(Reply last, String why) {
    if (mode == Mode.CLOSED) {
      return;
    }
    outcome = why;
    if (last != null) {
      socket.write(last.wire());
    }
    mode = Mode.CLOSED;
    dataPhase.drop();
    socket.end();
  }

  private void closed() {
    vertx.cancelTimer(idleTimer);
    dataPhase.cancelTimer();
    mode = Mode.CLOSED;
    dataPhase.drop();
    ended.accept(outcome);
  }
}
