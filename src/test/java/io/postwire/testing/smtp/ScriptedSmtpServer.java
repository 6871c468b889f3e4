package io.postwire.testing.smtp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An SMTP server on loopback whose replies are scripted per phase and per recipient, for testing
 * SMTP clients against every outcome of RFC 5321 (and STARTTLS, RFC 3207; AUTH, RFC 4954).
 *
 * <pre>{@code
 * try (var server = ScriptedSmtpServer.start()) {
 *   server.rcpt("gone@example.test", "550 5.1.1 No such user")
 *       .reply(Phase.DATA_END, "250 2.0.0 queued as 1");
 *   ... send to 127.0.0.1:server.port() ...
 *   server.messages();          // envelope + exact bytes of every message received
 *   server.maxOpenConnections();
 * }
 * }</pre>
 *
 * <p>Defaults: every command succeeds, PIPELINING and ENHANCEDSTATUSCODES are offered, STARTTLS and
 * AUTH only when configured. Scripts may be changed while the server runs.
 */
public final class ScriptedSmtpServer implements AutoCloseable {

  /** The points of the dialogue a reply can be scripted for. */
  public enum Phase {
    GREETING,
    EHLO,
    HELO,
    STARTTLS,
    AUTH,
    MAIL,
    RCPT,
    DATA,
    /** The reply to the final "." of the message. */
    DATA_END,
    RSET,
    NOOP,
    QUIT
  }

  /**
   * One message the server accepted at the end of DATA.
   *
   * @param connection the number of the connection it arrived on (1, 2, …)
   * @param mailFrom the reverse-path, without angle brackets
   * @param recipients the recipients the server accepted with RCPT
   * @param data the message exactly as received, dot-stuffing removed, without the final "."
   * @param tls whether the connection was under TLS
   * @param authUser the authenticated user, or {@code null}
   */
  public record Received(
      int connection,
      String mailFrom,
      List<String> recipients,
      byte[] data,
      boolean tls,
      String authUser) {

    /** The data as text (ISO-8859-1, so every byte maps to one char). */
    public String text() {
      return new String(data, StandardCharsets.ISO_8859_1);
    }
  }

  private final ServerSocket listener;
  private final Map<Phase, String> replies = new ConcurrentHashMap<>();
  private final Map<String, String> rcptReplies = new ConcurrentHashMap<>();
  private final Set<Phase> stalls = ConcurrentHashMap.newKeySet();
  private final Set<Phase> endless = ConcurrentHashMap.newKeySet();
  private final Map<Phase, Duration> delays = new ConcurrentHashMap<>();
  private final List<Received> messages = new CopyOnWriteArrayList<>();
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger maxOpen = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile boolean pipelining = true;
  private volatile boolean dropDuringData;
  private volatile boolean dropAfterMessage;
  private volatile String chatter;
  private volatile SSLContext tls;
  private volatile boolean failTlsHandshake;
  private volatile String authUser;
  private volatile String authPassword;
  private volatile boolean closed;

  private ScriptedSmtpServer(ServerSocket listener) {
    this.listener = listener;
    Thread acceptor =
        new Thread(this::acceptLoop, "scripted-smtp-accept-" + listener.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts a server on 127.0.0.1 with an ephemeral port. */
  public static ScriptedSmtpServer start() {
    return start(InetAddress.getLoopbackAddress());
  }

  /** Starts a server on the given loopback address ({@code ::1} for IPv6) and an ephemeral port. */
  public static ScriptedSmtpServer start(InetAddress loopback) {
    return start(loopback, 0);
  }

  /**
   * Starts a server on the given loopback address and port (0 = ephemeral): several servers on
   * 127.0.0.x sharing one port stand in for the MX hosts of a domain, all reached on the one SMTP
   * port the client is configured with.
   */
  public static ScriptedSmtpServer start(InetAddress loopback, int port) {
    if (!loopback.isLoopbackAddress()) {
      throw new IllegalArgumentException("tests listen on loopback only: " + loopback);
    }
    try {
      ServerSocket socket = new ServerSocket();
      socket.bind(new InetSocketAddress(loopback, port), 200);
      return new ScriptedSmtpServer(socket);
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + loopback, e);
    }
  }

  /** The listening port. */
  public int port() {
    return listener.getLocalPort();
  }

  /** The listening address as an IP literal ("127.0.0.1" or "0:0:0:0:0:0:0:1"). */
  public String address() {
    return listener.getInetAddress().getHostAddress();
  }

  /**
   * Answers {@code phase} with {@code reply} ("450 4.2.0 Mailbox busy"; a multi-line reply is given
   * with "\n" between lines). For RCPT this applies to recipients without their own script.
   */
  public ScriptedSmtpServer reply(Phase phase, String reply) {
    replies.put(phase, reply);
    return this;
  }

  /** Answers RCPT TO for {@code recipient} with {@code reply}. */
  public ScriptedSmtpServer rcpt(String recipient, String reply) {
    rcptReplies.put(recipient.toLowerCase(Locale.ROOT), reply);
    return this;
  }

  /**
   * Never answers at {@code phase}: the server keeps reading (and discarding) until the client
   * closes the connection. At DATA_END the whole message is read first.
   */
  public ScriptedSmtpServer stall(Phase phase) {
    stalls.add(phase);
    return this;
  }

  /**
   * Answers {@code phase} with "250-" continuation lines that never end, until the client closes
   * the connection: a hostile peer trying to exhaust the client's memory.
   */
  public ScriptedSmtpServer endlessReply(Phase phase) {
    endless.add(phase);
    return this;
  }

  /**
   * After answering the end of DATA, sends {@code text} unasked, as if the connection were still
   * owed a reply while it sits idle in the client's pool.
   */
  public ScriptedSmtpServer chatterAfterMessage(String text) {
    this.chatter = text;
    return this;
  }

  /** Answers each RCPT only after {@code pause}: a server pacing its replies just in time. */
  public ScriptedSmtpServer slowRcpt(Duration pause) {
    delays.put(Phase.RCPT, pause);
    return this;
  }

  /** Answers the end of DATA only after {@code pause}: a slow but live server. */
  public ScriptedSmtpServer slowDataEnd(Duration pause) {
    delays.put(Phase.DATA_END, pause);
    return this;
  }

  /** Closes the connection after the first line of message data. */
  public ScriptedSmtpServer dropDuringData() {
    this.dropDuringData = true;
    return this;
  }

  /**
   * Closes the connection right after answering the end of DATA, without 421: a pooled client
   * connection is then dead while it sits idle.
   */
  public ScriptedSmtpServer dropAfterMessage() {
    this.dropAfterMessage = true;
    return this;
  }

  /** Offers PIPELINING (RFC 2920) in the EHLO reply or not; on by default. */
  public ScriptedSmtpServer pipelining(boolean offer) {
    this.pipelining = offer;
    return this;
  }

  /** Offers STARTTLS with the certificate of {@code context} (see {@link TestCertificates}). */
  public ScriptedSmtpServer starttls(SSLContext context) {
    this.tls = context;
    return this;
  }

  /** Offers STARTTLS, answers 220 to it, then sends bytes that are no TLS handshake and closes. */
  public ScriptedSmtpServer failTlsHandshake() {
    this.failTlsHandshake = true;
    return this;
  }

  /** Offers AUTH PLAIN and LOGIN (RFC 4954) and refuses MAIL until this user authenticated. */
  public ScriptedSmtpServer requireAuth(String user, String password) {
    this.authUser = user;
    this.authPassword = password;
    return this;
  }

  /** Every message accepted so far, in arrival order. */
  public List<Received> messages() {
    return List.copyOf(messages);
  }

  /** Every command line received so far (all connections, arrival order, AUTH data hidden). */
  public List<String> commands() {
    return List.copyOf(commands);
  }

  /** Connections open right now, as the server sees them. */
  public int openConnections() {
    return open.get();
  }

  /** The most connections that were open at the same time. */
  public int maxOpenConnections() {
    return maxOpen.get();
  }

  /** Connections accepted since the start. */
  public int connectionsAccepted() {
    return accepted.get();
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket socket = listener.accept();
        socket.setTcpNoDelay(true);
        int number = accepted.incrementAndGet();
        sockets.add(socket);
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        Thread t =
            new Thread(() -> serve(socket, number), "scripted-smtp-" + port() + "-" + number);
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          // transient accept failure: keep listening
          continue;
        }
      }
    }
  }

  private void serve(Socket socket, int number) {
    AtomicBoolean counted = new AtomicBoolean(true);
    try {
      socket.setSoTimeout(120_000);
      new Session(socket, number, counted).run();
    } catch (IOException | RuntimeException e) {
      // the client went away or the test ended: nothing to report
    } finally {
      try {
        socket.close();
      } catch (IOException ignored) {
        // already closed
      }
      sockets.remove(socket);
      if (counted.getAndSet(false)) {
        open.decrementAndGet();
      }
    }
  }

  /** One connection's dialogue. */
  private final class Session {
    private final int number;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private boolean secure;
    private String user;
    private String mailFrom;
    private final List<String> recipients = new ArrayList<>();
    private final AtomicBoolean counted;

    Session(Socket socket, int number, AtomicBoolean counted) throws IOException {
      this.socket = socket;
      this.number = number;
      this.counted = counted;
      this.in = new BufferedInputStream(socket.getInputStream());
      this.out = socket.getOutputStream();
    }

    void run() throws IOException {
      if (answer(Phase.GREETING, "220 scripted.test ESMTP ready")) {
        return;
      }
      String line;
      while ((line = readLine()) != null) {
        String upper = line.toUpperCase(Locale.ROOT);
        commands.add(
            upper.startsWith("AUTH") ? line.split(" ")[0] + " " + authMechanism(line) : line);
        if (upper.startsWith("EHLO")) {
          if (answer(Phase.EHLO, ehloReply())) {
            return;
          }
        } else if (upper.startsWith("HELO")) {
          if (answer(Phase.HELO, "250 scripted.test")) {
            return;
          }
        } else if (upper.equals("STARTTLS") && (tls != null || failTlsHandshake)) {
          if (startTls()) {
            return;
          }
        } else if (upper.startsWith("AUTH ") && authUser != null) {
          if (auth(line)) {
            return;
          }
        } else if (upper.startsWith("MAIL FROM:")) {
          if (authUser != null && user == null) {
            send("530 5.7.0 Authentication required");
            continue;
          }
          String reply = replies.getOrDefault(Phase.MAIL, "250 2.1.0 Ok");
          if (stalled(Phase.MAIL)) {
            return;
          }
          send(reply);
          if (reply.startsWith("2")) {
            mailFrom = path(line.substring(10));
            recipients.clear();
          }
          if (reply.startsWith("421")) {
            return;
          }
        } else if (upper.startsWith("RCPT TO:")) {
          String rcpt = path(line.substring(8));
          if (mailFrom == null) {
            send("503 5.5.1 Error: need MAIL command");
            continue;
          }
          String reply =
              rcptReplies.getOrDefault(
                  rcpt.toLowerCase(Locale.ROOT), replies.getOrDefault(Phase.RCPT, "250 2.1.5 Ok"));
          if (stalled(Phase.RCPT) || paused(Phase.RCPT)) {
            return;
          }
          send(reply);
          if (reply.startsWith("2")) {
            recipients.add(rcpt);
          }
          if (reply.startsWith("421")) {
            return;
          }
        } else if (upper.equals("DATA")) {
          if (mailFrom == null || recipients.isEmpty()) {
            send("554 5.5.1 Error: no valid recipients");
            continue;
          }
          String reply = replies.getOrDefault(Phase.DATA, "354 End data with <CR><LF>.<CR><LF>");
          if (stalled(Phase.DATA)) {
            return;
          }
          send(reply);
          if (!reply.startsWith("354")) {
            continue;
          }
          byte[] data = readData();
          if (data == null) {
            return;
          }
          if (stalled(Phase.DATA_END)) {
            return;
          }
          Duration pause = delays.get(Phase.DATA_END);
          if (pause != null) {
            try {
              Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
          String end = replies.getOrDefault(Phase.DATA_END, "250 2.0.0 Ok: queued");
          if (end.startsWith("2")) {
            messages.add(
                new Received(number, mailFrom, List.copyOf(recipients), data, secure, user));
          }
          mailFrom = null;
          recipients.clear();
          send(end);
          if (chatter != null) {
            send(chatter);
          }
          if (end.startsWith("421") || dropAfterMessage) {
            return;
          }
        } else if (upper.equals("RSET")) {
          mailFrom = null;
          recipients.clear();
          if (answer(Phase.RSET, "250 2.0.0 Ok")) {
            return;
          }
        } else if (upper.equals("NOOP")) {
          if (answer(Phase.NOOP, "250 2.0.0 Ok")) {
            return;
          }
        } else if (upper.equals("QUIT")) {
          // after QUIT the connection is over (RFC 5321 §4.1.1.10): it no longer counts as open
          // when the client reads the 221 and opens its next one
          if (counted.getAndSet(false)) {
            open.decrementAndGet();
          }
          answer(Phase.QUIT, "221 2.0.0 Bye");
          return;
        } else {
          send("502 5.5.2 Error: command not recognized");
        }
      }
    }

    /** Sends the scripted (or default) reply; true when the session must end. */
    private boolean answer(Phase phase, String fallback) throws IOException {
      if (stalled(phase)) {
        return true;
      }
      if (endless.contains(phase)) {
        for (long i = 0; ; i++) {
          // ends with an IOException once the client has closed the connection
          send("250-endless line " + i + " of a reply that never ends");
        }
      }
      String reply = replies.getOrDefault(phase, fallback);
      send(reply);
      return reply.startsWith("421");
    }

    /** Waits the pause scripted for {@code phase}, if any; true when interrupted. */
    private boolean paused(Phase phase) {
      Duration pause = delays.get(phase);
      if (pause == null) {
        return false;
      }
      try {
        Thread.sleep(pause.toMillis());
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      }
    }

    /** When {@code phase} is scripted to stall, reads until the client gives up; true then. */
    private boolean stalled(Phase phase) throws IOException {
      if (!stalls.contains(phase)) {
        return false;
      }
      byte[] sink = new byte[4096];
      try {
        while (in.read(sink) >= 0) {
          // discard: a stalled server reads but never answers
        }
      } catch (IOException e) {
        // the client closed or reset the connection
      }
      return true;
    }

    private String ehloReply() {
      List<String> lines = new ArrayList<>();
      lines.add("scripted.test");
      if (pipelining) {
        lines.add("PIPELINING");
      }
      lines.add("SIZE 52428800");
      if ((tls != null || failTlsHandshake) && !secure) {
        lines.add("STARTTLS");
      }
      if (authUser != null) {
        lines.add("AUTH PLAIN LOGIN");
      }
      lines.add("ENHANCEDSTATUSCODES");
      StringBuilder reply = new StringBuilder();
      for (int i = 0; i < lines.size(); i++) {
        reply.append("250").append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i));
        if (i < lines.size() - 1) {
          reply.append('\n');
        }
      }
      return reply.toString();
    }

    private boolean startTls() throws IOException {
      if (stalled(Phase.STARTTLS)) {
        return true;
      }
      String reply = replies.getOrDefault(Phase.STARTTLS, "220 2.0.0 Ready to start TLS");
      send(reply);
      if (!reply.startsWith("220")) {
        return reply.startsWith("421");
      }
      if (failTlsHandshake) {
        out.write("this is not a TLS handshake\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return true;
      }
      SSLSocket ssl =
          (SSLSocket)
              tls.getSocketFactory()
                  .createSocket(
                      socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
      ssl.setUseClientMode(false);
      ssl.startHandshake();
      sockets.add(ssl);
      socket = ssl;
      in = new BufferedInputStream(ssl.getInputStream());
      out = ssl.getOutputStream();
      secure = true;
      // RFC 3207 §4.2: the client must forget everything it learned before TLS.
      mailFrom = null;
      recipients.clear();
      user = null;
      return false;
    }

    private boolean auth(String line) throws IOException {
      String[] parts = line.split(" ");
      String mechanism = parts.length > 1 ? parts[1].toUpperCase(Locale.ROOT) : "";
      String login;
      String password;
      if (mechanism.equals("PLAIN")) {
        String response = parts.length > 2 ? parts[2] : prompt("");
        if (response == null) {
          return true;
        }
        String[] fields = decode(response).split("\0", -1);
        if (fields.length != 3) {
          send("501 5.5.2 Malformed AUTH PLAIN response");
          return false;
        }
        login = fields[1];
        password = fields[2];
      } else if (mechanism.equals("LOGIN")) {
        String u = parts.length > 2 ? parts[2] : prompt("VXNlcm5hbWU6");
        String p = u == null ? null : prompt("UGFzc3dvcmQ6");
        if (p == null) {
          return true;
        }
        login = decode(u);
        password = decode(p);
      } else {
        send("504 5.5.4 Unrecognized authentication type");
        return false;
      }
      if (stalled(Phase.AUTH)) {
        return true;
      }
      if (authUser.equals(login) && authPassword.equals(password)) {
        user = login;
        return answer(Phase.AUTH, "235 2.7.0 Authentication successful");
      }
      send("535 5.7.8 Authentication credentials invalid");
      return false;
    }

    private String prompt(String challenge) throws IOException {
      send("334 " + challenge);
      return readLine();
    }

    private String decode(String base64) {
      try {
        return new String(Base64.getDecoder().decode(base64.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return "";
      }
    }

    private String authMechanism(String line) {
      String[] parts = line.split(" ");
      return parts.length > 1 ? parts[1] : "";
    }

    /** Reads message data up to CRLF.CRLF, undoing dot-stuffing (RFC 5321 §4.5.2). */
    private byte[] readData() throws IOException {
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      boolean first = true;
      while (true) {
        byte[] line = readRawLine();
        if (line == null) {
          return null;
        }
        if (first && dropDuringData) {
          socket.close();
          return null;
        }
        first = false;
        int len = line.length;
        boolean crlf = len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n';
        if (crlf && len == 3 && line[0] == '.') {
          return data.toByteArray();
        }
        int start = line.length > 0 && line[0] == '.' ? 1 : 0;
        data.write(line, start, line.length - start);
      }
    }

    private String readLine() throws IOException {
      byte[] raw = readRawLine();
      if (raw == null) {
        return null;
      }
      int end = raw.length;
      while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
        end--;
      }
      return new String(raw, 0, end, StandardCharsets.ISO_8859_1);
    }

    /** One line including its line end, or null at end of stream. */
    private byte[] readRawLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream(128);
      int b;
      while ((b = in.read()) >= 0) {
        line.write(b);
        if (b == '\n') {
          return line.toByteArray();
        }
      }
      return line.size() == 0 ? null : line.toByteArray();
    }

    private void send(String reply) throws IOException {
      out.write(
          (reply.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n")
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    private String path(String argument) {
      String a = argument.trim();
      int open = a.indexOf('<');
      int close = a.indexOf('>', open + 1);
      return open >= 0 && close > open ? a.substring(open + 1, close) : a.split(" ")[0];
    }
  }
}
