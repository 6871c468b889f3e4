import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Bounded load client for {@code POST /v1/messages} and {@code /v1/messages/batch}, and an SMTP
 * submission client for the Postfix side of the comparison; run as a single source file ({@code
 * java bench/LoadClient.java ...}), JDK 17, no dependencies.
 *
 * <pre>
 * rate  URL KEY BATCH RATE SECONDS [WARMUP]
 *                                    open loop: RATE requests/s for SECONDS (fixed schedule);
 *                                    latency counted from each request's scheduled time, so a
 *                                    stalled server is not hidden (no coordinated omission);
 *                                    up to MAX_IN_FLIGHT keep-alive connections, plain sockets;
 *                                    requests due in the first WARMUP seconds (default 0) are sent
 *                                    but left out of the latency figures (this JVM and its
 *                                    connections warming up)
 * count URL KEY BATCH MESSAGES CONC  closed loop: exactly MESSAGES messages in requests of BATCH,
 *                                    CONC requests in flight; prints first/last timestamps (ms)
 * smtp  HOST:PORT MESSAGES [SESSIONS] [FROM] [TO]
 *                                    the same messages rendered as MIME and submitted over SMTP:
 *                                    SESSIONS (default 20) sessions, each reused for many
 *                                    messages (EHLO once, then MAIL/RCPT/DATA, pipelined when the
 *                                    server offers PIPELINING), QUIT; loopback addresses only;
 *                                    with BENCH_SMTP_KEY in the environment each session
 *                                    authenticates once after EHLO (AUTH PLAIN, user "bench",
 *                                    that key as the password: Postwire's submission port)
 * json  DIR COUNT FROM_DOMAIN PREFIX writes DIR/PREFIX-i.json (i = 1..COUNT): message i as one
 *                                    POST /v1/messages body, from a@FROM_DOMAIN to
 *                                    r{i}@example.org, subject "PREFIX-i ..." (for curl -d @file)
 * bodies FILE BATCH                  writes the request bodies the HTTP modes cycle through, one
 *                                    a line (JSON has no raw line breaks), for bench/wrk/post.lua
 * mime  I                            prints message I as the smtp mode sends it (not dot-stuffed)
 * </pre>
 *
 * <p>The messages: message i is {@link #mail(int)} of i modulo a pool of {@link #POOL}, built once
 * (so building requests never makes this client the bottleneck) and deterministic given i: 10-40
 * lines of prose (about 1-3 KB), an html alternative with the same lines in {@code <p>} and a link,
 * every third one with non-ASCII text (subject included), every fifth one with a PDF attachment of
 * 20-100 KB; all to {@link #TO} unless {@code BENCH_RCPT=distinct} (see {@link #to}). {@code
 * BENCH_MAIL=small} in the environment brings back the earlier shape for
 * comparison: one line of about 1 KB of text, no html, no attachment.
 *
 * <p>Every run stops after its count or its time limit (rate: SECONDS + 30 s drain; count and
 * smtp: 600 s).
 */
public class LoadClient {

  static final int MAX_IN_FLIGHT = 512;

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "";
    if (mode.equals("smtp") && args.length >= 3) {
      smtp(
          args[1],
          Integer.parseInt(args[2]),
          args.length > 3 ? Integer.parseInt(args[3]) : 20,
          args.length > 4 ? args[4] : "bench@bench.test",
          args.length > 5 ? args[5] : "rcpt@sink.test");
      return;
    }
    if (mode.equals("json") && args.length >= 5) {
      writeJson(Path.of(args[1]), Integer.parseInt(args[2]), args[3], args[4]);
      return;
    }
    if (mode.equals("bodies") && args.length >= 3) {
      byte[][] bodies = requestBodies(Integer.parseInt(args[2]));
      try (OutputStream out = Files.newOutputStream(Path.of(args[1]))) {
        for (byte[] body : bodies) {
          out.write(body);
          out.write('\n');
        }
      }
      return;
    }
    if (mode.equals("mime") && args.length >= 2) {
      System.out.write(mime(mail(Integer.parseInt(args[1])), FROM, TO));
      System.out.flush();
      return;
    }
    if (args.length < 6 || !(mode.equals("rate") || mode.equals("count"))) {
      System.err.println(
          "usage: rate|count URL KEY BATCH RATE|MESSAGES SECONDS|CONC\n"
              + "       smtp HOST:PORT MESSAGES [SESSIONS] [FROM] [TO]\n"
              + "       json DIR COUNT FROM_DOMAIN PREFIX");
      System.exit(2);
    }
    URI uri = URI.create(args[1] + (Integer.parseInt(args[3]) > 1 ? "/v1/messages/batch" : "/v1/messages"));
    String key = args[2];
    int batch = Integer.parseInt(args[3]);
    byte[][] bodies = requestBodies(batch);
    if (mode.equals("rate")) {
      rate(
          uri,
          key,
          bodies,
          batch,
          Double.parseDouble(args[4]),
          Integer.parseInt(args[5]),
          args.length > 6 ? Integer.parseInt(args[6]) : 0);
    } else {
      HttpClient client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build();
      HttpRequest[] requests = new HttpRequest[bodies.length];
      for (int r = 0; r < bodies.length; r++) {
        requests[r] =
            HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies[r]))
                .build();
      }
      count(client, requests, batch, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The messages

  /** Distinct messages; message i is {@code mail(i % POOL)}. */
  static final int POOL = 50;

  static final boolean SMALL = "small".equalsIgnoreCase(System.getenv("BENCH_MAIL"));

  static final String FROM = "Bench <bench@bench.test>";
  static final String TO = "rcpt@sink.test";

  /** One message's content; {@code attachment} is null for most. */
  record Mail(
      int index, String subject, String text, String html, String attachmentName, byte[] attachment) {}

  static final String[] WORDS = (
      "the we our your you this that with for from about into after before order delivery account"
          + " invoice shipment update team schedule meeting report quarter review thanks attached"
          + " details customer support request confirmed payment received project status next week"
          + " Monday Tuesday office warehouse address reference number summary changes notes"
          + " feedback please let us know if anything is missing and we will follow up by phone or"
          + " mail as soon as possible the new prices apply from the first of the month")
      .split(" ");

  static final String[] NON_ASCII = {
    "Grüße", "Köln", "—", "日本語", "Straße", "Zürich", "café", "München", "€ 42,50", "naïve",
    "résumé"
  };

  static final String[] NAMES = {"Anna", "Jörg", "Maria", "Ken", "Zoë", "Paul", "Léa", "Sam"};

  /** Message i: deterministic given i (a Random seeded with i). */
  static Mail mail(int i) {
    if (SMALL) {
      return new Mail(
          i,
          "Postwire benchmark message",
          "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(16),
          null,
          null,
          null);
    }
    // spread the seeds: java.util.Random's first values from neighbouring seeds are alike
    Random rnd = new Random(0x9E37_79B9_7F4A_7C15L * (i + 1));
    boolean nonAscii = i % 3 == 0;
    String name = NAMES[rnd.nextInt(NAMES.length)];
    if (!nonAscii) {
      name = name.replace("ö", "o").replace("ë", "e").replace("é", "e");
    }
    int number = 4000 + i;
    String link = "https://example.com/orders/" + number;
    List<String> lines = new ArrayList<>();
    lines.add((nonAscii ? "Hallo " : "Hello ") + name + ",");
    int prose = 8 + rnd.nextInt(31); // with the greeting, the link and the closing: 10-40 lines
    for (int l = 0; l < prose; l++) {
      int target = 55 + rnd.nextInt(40);
      StringBuilder line = new StringBuilder();
      while (line.length() < target) {
        String w =
            nonAscii && rnd.nextInt(12) == 0
                ? NON_ASCII[rnd.nextInt(NON_ASCII.length)]
                : WORDS[rnd.nextInt(WORDS.length)];
        if (line.length() == 0) {
          w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
        } else {
          line.append(' ');
        }
        line.append(w);
      }
      lines.add(line.append(rnd.nextInt(4) == 0 ? "?" : ".").toString());
    }
    lines.add("Your order: " + link);
    lines.add(nonAscii ? "Viele Grüße aus Köln — 日本語チーム" : "Kind regards, the Bench team");
    String text = String.join("\n", lines) + "\n";
    StringBuilder html =
        new StringBuilder("<!DOCTYPE html>\n<html><body>\n");
    for (int l = 0; l < lines.size() - 2; l++) {
      html.append("<p>").append(escapeHtml(lines.get(l))).append("</p>\n");
    }
    html.append("<p>Your order: <a href=\"")
        .append(link)
        .append("\">")
        .append(number)
        .append("</a></p>\n<p>")
        .append(escapeHtml(lines.get(lines.size() - 1)))
        .append("</p>\n</body></html>\n");
    String subject =
        nonAscii
            ? "Grüße aus Köln — Bestellung " + number
            : "Order " + number + ": " + WORDS[rnd.nextInt(WORDS.length)] + " update";
    String attachmentName = null;
    byte[] attachment = null;
    if (i % 5 == 0) {
      attachment = new byte[20 * 1024 + rnd.nextInt(80 * 1024 + 1)];
      rnd.nextBytes(attachment);
      byte[] magic = "%PDF-1.4\n".getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(magic, 0, attachment, 0, magic.length);
      attachmentName = "invoice-" + number + ".pdf";
    }
    return new Mail(i, subject, text, html.toString(), attachmentName, attachment);
  }

  static Mail[] pool() {
    int n = SMALL ? 1 : POOL;
    Mail[] pool = new Mail[n];
    for (int i = 0; i < n; i++) {
      pool[i] = mail(i);
    }
    return pool;
  }

  static String escapeHtml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** One POST /v1/messages body (as in the README's API section). */
  static String json(Mail m, String from, String to, String subject) {
    StringBuilder sb = new StringBuilder(256 + m.text().length() * 3);
    sb.append("{\"from\":");
    jsonString(sb, from);
    sb.append(",\"to\":[");
    jsonString(sb, to);
    sb.append("],\"subject\":");
    jsonString(sb, subject);
    sb.append(",\"text\":");
    jsonString(sb, m.text());
    if (m.html() != null) {
      sb.append(",\"html\":");
      jsonString(sb, m.html());
    }
    if (m.attachment() != null) {
      sb.append(",\"attachments\":[{\"filename\":");
      jsonString(sb, m.attachmentName());
      sb.append(",\"contentType\":\"application/pdf\",\"content\":\"")
          .append(Base64.getEncoder().encodeToString(m.attachment()))
          .append("\"}]");
    }
    return sb.append('}').toString();
  }

  static void jsonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /**
   * The request bodies the HTTP modes cycle through: for BATCH 1 each pool message, else arrays of
   * BATCH consecutive pool messages (request r holds messages r*BATCH .. r*BATCH+BATCH-1 of the
   * pool, so every message of the pool is sent equally often); at most about 64 MB of them.
   */
  static byte[][] requestBodies(int batch) {
    Mail[] pool = pool();
    byte[][] one = new byte[pool.length][];
    long total = 0;
    for (int i = 0; i < pool.length; i++) {
      one[i] = json(pool[i], FROM, to(i), pool[i].subject()).getBytes(StandardCharsets.UTF_8);
      total += one[i].length;
    }
    if (batch <= 1) {
      return one;
    }
    int distinct = pool.length / gcd(batch, pool.length);
    long perRequest = total * batch / pool.length;
    distinct = (int) Math.max(1, Math.min(distinct, (64L << 20) / Math.max(1, perRequest)));
    byte[][] bodies = new byte[distinct][];
    for (int r = 0; r < distinct; r++) {
      ByteArrayOutputStream out =
          new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 16, perRequest + 1024));
      out.write('[');
      for (int j = 0; j < batch; j++) {
        if (j > 0) {
          out.write(',');
        }
        out.writeBytes(one[(int) (((long) r * batch + j) % pool.length)]);
      }
      out.write(']');
      bodies[r] = out.toByteArray();
    }
    return bodies;
  }

  /**
   * The recipient of pool message i in the HTTP modes: {@link #TO}, or with {@code
   * BENCH_RCPT=distinct} in the environment one address per pool message ({@code r<i>@sink.test}),
   * as mail to many people is (events are ordered per recipient: one address serialises them).
   */
  static String to(int i) {
    return "distinct".equalsIgnoreCase(System.getenv("BENCH_RCPT")) ? "r" + i + "@sink.test" : TO;
  }

  static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** The json mode: one body file per message, for scripts that post with curl. */
  static void writeJson(Path dir, int count, String domain, String prefix) throws IOException {
    Files.createDirectories(dir);
    Mail[] pool = pool();
    for (int i = 1; i <= count; i++) {
      Mail m = pool[i % pool.length];
      String subject = prefix + "-" + i + " order " + (4000 + m.index()) + " update";
      Files.writeString(
          dir.resolve(prefix + "-" + i + ".json"),
          json(m, "a@" + domain, "r" + i + "@example.org", subject),
          StandardCharsets.UTF_8);
    }
    System.out.printf("wrote %d message bodies to %s%n", count, dir);
  }

  // ---------------------------------------------------------------------------------------------
  // MIME, for the SMTP mode

  static final DateTimeFormatter DATE = DateTimeFormatter.RFC_1123_DATE_TIME;

  /**
   * The message as the service would render it, without Date and Message-ID (added per send):
   * multipart/alternative of quoted-printable UTF-8 text and html parts, inside multipart/mixed
   * with the base64 attachment when there is one; CRLF line ends; not yet dot-stuffed.
   */
  static byte[] mime(Mail m, String from, String to) {
    StringBuilder sb = new StringBuilder(4096);
    sb.append("From: ").append(from).append("\r\n");
    sb.append("To: ").append(to).append("\r\n");
    sb.append("Subject: ").append(encodeHeader(m.subject())).append("\r\n");
    sb.append("MIME-Version: 1.0\r\n");
    String alt = "----=_alt_" + m.index();
    String mixed = "----=_mixed_" + m.index();
    if (m.html() == null) {
      sb.append(textPart("plain", m.text()));
    } else if (m.attachment() == null) {
      sb.append(alternative(alt, m));
    } else {
      sb.append("Content-Type: multipart/mixed; boundary=\"").append(mixed).append("\"\r\n\r\n");
      sb.append("--").append(mixed).append("\r\n");
      sb.append(alternative(alt, m));
      sb.append("\r\n--").append(mixed).append("\r\n");
      sb.append("Content-Type: application/pdf; name=\"")
          .append(m.attachmentName())
          .append("\"\r\n");
      sb.append("Content-Disposition: attachment; filename=\"")
          .append(m.attachmentName())
          .append("\"\r\n");
      sb.append("Content-Transfer-Encoding: base64\r\n\r\n");
      sb.append(Base64.getMimeEncoder().encodeToString(m.attachment())).append("\r\n");
      sb.append("--").append(mixed).append("--\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  static String alternative(String boundary, Mail m) {
    return "Content-Type: multipart/alternative; boundary=\""
        + boundary
        + "\"\r\n\r\n--"
        + boundary
        + "\r\n"
        + textPart("plain", m.text())
        + "\r\n--"
        + boundary
        + "\r\n"
        + textPart("html", m.html())
        + "\r\n--"
        + boundary
        + "--\r\n";
  }

  static String textPart(String subtype, String content) {
    return "Content-Type: text/"
        + subtype
        + "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quotedPrintable(content);
  }

  /** RFC 2045 §6.7 quoted-printable of UTF-8 text: LF becomes CRLF, lines of at most 76. */
  static String quotedPrintable(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(b.length + b.length / 8);
    int col = 0;
    for (int k = 0; k < b.length; k++) {
      int c = b[k] & 0xff;
      if (c == '\n') {
        out.append("\r\n");
        col = 0;
        continue;
      }
      boolean lineEnd = k + 1 == b.length || b[k + 1] == '\n';
      String token;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !lineEnd)) {
        token = String.valueOf((char) c);
      } else {
        token = String.format("=%02X", c);
      }
      if (col + token.length() > 75) {
        out.append("=\r\n");
        col = 0;
      }
      out.append(token);
      col += token.length();
    }
    return col == 0 ? out.toString() : out.append("\r\n").toString();
  }

  /** RFC 2047 B encoded words (at most 75 characters each, folded) when s is not ASCII. */
  static String encodeHeader(String s) {
    if (s.chars().allMatch(c -> c < 128)) {
      return s;
    }
    StringBuilder out = new StringBuilder();
    StringBuilder chunk = new StringBuilder();
    int bytes = 0;
    for (int k = 0; k < s.length(); ) {
      int cp = s.codePointAt(k);
      String ch = new String(Character.toChars(cp));
      int n = ch.getBytes(StandardCharsets.UTF_8).length;
      if (bytes + n > 45) {
        out.append(out.length() == 0 ? "" : "\r\n ").append(encodedWord(chunk.toString()));
        chunk.setLength(0);
        bytes = 0;
      }
      chunk.append(ch);
      bytes += n;
      k += Character.charCount(cp);
    }
    return out.append(out.length() == 0 ? "" : "\r\n ")
        .append(encodedWord(chunk.toString()))
        .toString();
  }

  static String encodedWord(String s) {
    return "=?UTF-8?B?"
        + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8))
        + "?=";
  }

  /** RFC 5321 §4.5.2: a line starting with '.' gets one more; ends with CRLF. */
  static byte[] dotStuff(byte[] message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 64);
    boolean lineStart = true;
    for (byte b : message) {
      if (lineStart && b == '.') {
        out.write('.');
      }
      out.write(b);
      lineStart = b == '\n';
    }
    if (!lineStart) {
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
  }

  // ---------------------------------------------------------------------------------------------
  // The SMTP mode

  /**
   * Submits MESSAGES messages (message i = pool message i % POOL, with its own Message-ID) over
   * SESSIONS concurrent SMTP sessions to a loopback host, each session reused until the count is
   * reached; prints first/last timestamps (ms) like the count mode.
   */
  static void smtp(String hostPort, int messages, int sessions, String from, String to)
      throws Exception {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon);
    int port = Integer.parseInt(hostPort.substring(colon + 1));
    if (!java.net.InetAddress.getByName(host).isLoopbackAddress()) {
      throw new IllegalArgumentException("smtp mode sends to loopback addresses only: " + host);
    }
    Mail[] pool = pool();
    byte[][] wire = new byte[pool.length][];
    for (int i = 0; i < pool.length; i++) {
      wire[i] = dotStuff(mime(pool[i], FROM, to));
    }
    String date = ZonedDateTime.now().format(DATE);
    long run = System.currentTimeMillis();
    AtomicInteger next = new AtomicInteger();
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong sentBytes = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
    List<Thread> threads = new ArrayList<>();
    long first = System.currentTimeMillis();
    for (int s = 0; s < sessions; s++) {
      Thread t =
          new Thread(
              () -> {
                // a session that breaks is opened again; three in a row that deliver nothing end
                // this thread (a server refusing every session is not retried for ten minutes)
                int[] current = {-1};
                for (int fruitless = 0; fruitless < 3 && next.get() < messages; ) {
                  long before = ok.get();
                  try {
                    session(
                        host, port, from, to, next, current, messages, wire, date, run, deadline,
                        ok, failed, sentBytes);
                  } catch (IOException | RuntimeException e) {
                    if (errors.incrementAndGet() <= 5) {
                      System.err.println("smtp session: " + e);
                    }
                    if (current[0] >= 0) {
                      failed.incrementAndGet(); // the message of the broken transaction
                      current[0] = -1;
                    }
                  }
                  fruitless = ok.get() > before ? 0 : fruitless + 1;
                  if (System.nanoTime() > deadline) {
                    break;
                  }
                }
              },
              "smtp-" + s);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 30_000));
    }
    long last = System.currentTimeMillis();
    System.out.printf(
        "first_send_ms=%d last_answer_ms=%d messages_ok=%d messages_failed=%d not_sent=%d"
            + " sessions=%d mbytes=%.1f submit=%.0f msg/s%n",
        first,
        last,
        ok.get(),
        failed.get(),
        messages - ok.get() - failed.get(),
        sessions,
        sentBytes.get() / 1e6,
        ok.get() * 1000.0 / Math.max(1, last - first));
  }

  /** One SMTP session: EHLO, then transactions while messages are left, then QUIT. */
  static void session(
      String host,
      int port,
      String from,
      String to,
      AtomicInteger next,
      int[] current,
      int messages,
      byte[][] wire,
      String date,
      long run,
      long deadline,
      AtomicLong ok,
      AtomicLong failed,
      AtomicLong sentBytes)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(60_000);
      socket.connect(new InetSocketAddress(host, port), 5_000);
      InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      expect(reply(in), 220, "greeting");
      write(out, "EHLO loadclient.bench.test\r\n");
      out.flush();
      String ehlo = reply(in);
      expect(ehlo, 250, "EHLO");
      String key = System.getenv("BENCH_SMTP_KEY");
      if (key != null && !key.isEmpty()) {
        String plain =
            Base64.getEncoder()
                .encodeToString(("\0bench\0" + key).getBytes(StandardCharsets.UTF_8));
        write(out, "AUTH PLAIN " + plain + "\r\n");
        out.flush();
        expect(reply(in), 235, "AUTH");
      }
      boolean pipelining =
          ehlo.toUpperCase(java.util.Locale.ROOT).contains("PIPELINING")
              && !"false".equals(System.getProperty("pipelining"));
      byte[] envelope =
          ("MAIL FROM:<" + address(from) + ">\r\nRCPT TO:<" + address(to) + ">\r\nDATA\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      int i;
      while (System.nanoTime() < deadline && (i = next.getAndIncrement()) < messages) {
        current[0] = i;
        int mail, rcpt, data;
        if (pipelining) {
          out.write(envelope);
          out.flush();
          mail = code(reply(in));
          rcpt = code(reply(in));
          data = code(reply(in));
        } else {
          write(out, "MAIL FROM:<" + address(from) + ">\r\n");
          out.flush();
          mail = code(reply(in));
          rcpt = data = -1;
          if (mail == 250) {
            write(out, "RCPT TO:<" + address(to) + ">\r\n");
            out.flush();
            rcpt = code(reply(in));
            if (rcpt / 10 == 25) {
              write(out, "DATA\r\n");
              out.flush();
              data = code(reply(in));
            }
          }
        }
        boolean good = mail == 250 && rcpt / 10 == 25;
        if (data == 354) {
          write(out, "Message-ID: <" + run + "." + i + "@loadclient.bench.test>\r\n");
          write(out, "Date: " + date + "\r\n");
          byte[] body = wire[i % wire.length];
          out.write(body);
          out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          sentBytes.addAndGet(body.length);
          good &= code(reply(in)) == 250;
        } else {
          good = false;
        }
        if (good) {
          ok.incrementAndGet();
        } else {
          failed.incrementAndGet();
          write(out, "RSET\r\n");
          out.flush();
          reply(in);
        }
        current[0] = -1;
      }
      write(out, "QUIT\r\n");
      out.flush();
      reply(in);
    }
  }

  static String address(String mailbox) {
    int lt = mailbox.indexOf('<');
    return lt < 0 ? mailbox.trim() : mailbox.substring(lt + 1, mailbox.indexOf('>', lt));
  }

  static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.US_ASCII));
  }

  /** One SMTP reply, all its lines (RFC 5321 §4.2: "ddd-" continues, "ddd " ends). */
  static String reply(InputStream in) throws IOException {
    StringBuilder all = new StringBuilder();
    for (int lines = 0; lines < 1000; lines++) {
      String l = line(in);
      all.append(l).append('\n');
      if (l.length() < 4 || l.charAt(3) != '-') {
        return all.toString();
      }
    }
    throw new IOException("SMTP reply of more than 1000 lines");
  }

  static int code(String reply) {
    try {
      return Integer.parseInt(reply.substring(0, 3));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  static void expect(String reply, int want, String step) throws IOException {
    if (code(reply) != want) {
      throw new IOException(step + ": " + reply.trim());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The HTTP modes

  /**
   * Open loop on plain keep-alive sockets: the JDK HttpClient costs about as much CPU per request
   * as the service and PostgreSQL together, which on the benchmark's two shared cores would
   * measure the client. A dispatcher hands request i, due at start + i/RATE, to the most recently
   * idle connection (a new one when none is idle, at most MAX_IN_FLIGHT); when all are busy the
   * request waits for one, and that wait is counted in its latency.
   */
  static void rate(
      URI uri, String key, byte[][] payloads, int batch, double rate, int seconds, int warmup)
      throws Exception {
    int total = (int) Math.round(rate * seconds);
    long[] latencyNanos = new long[total];
    Arrays.fill(latencyNanos, -1);
    boolean[] succeeded = new boolean[total];
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLongArray statusCounts = new AtomicLongArray(600);
    byte[][] heads = new byte[payloads.length][];
    for (int r = 0; r < payloads.length; r++) {
      heads[r] =
          ("POST " + uri.getRawPath() + " HTTP/1.1\r\n"
                  + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
                  + "Authorization: Bearer " + key + "\r\n"
                  + "Content-Type: application/json\r\n"
                  + "Content-Length: " + payloads[r].length + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
    }
    long start = System.nanoTime();
    double intervalNanos = 1e9 / rate;
    long sendDeadline = start + TimeUnit.SECONDS.toNanos(seconds + 30);
    LinkedBlockingDeque<ArrayBlockingQueue<Long>> idle = new LinkedBlockingDeque<>();
    List<Thread> workers = new ArrayList<>();
    int issued = 0;
    for (int i = 0; i < total; i++) {
      long scheduled = start + (long) (i * intervalNanos);
      long wait = scheduled - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      ArrayBlockingQueue<Long> worker = idle.pollLast();
      if (worker == null && workers.size() < MAX_IN_FLIGHT) {
        ArrayBlockingQueue<Long> inbox = new ArrayBlockingQueue<>(1);
        Thread t =
            new Thread(
                () ->
                    connection(
                        uri, heads, payloads, inbox, idle, start, intervalNanos, latencyNanos,
                        succeeded, ok, failed, statusCounts),
                "load-" + workers.size());
        t.setDaemon(true);
        t.start();
        workers.add(t);
        worker = inbox;
      }
      if (worker == null) {
        worker = idle.pollLast(Math.max(1, sendDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
      if (worker == null || System.nanoTime() > sendDeadline) {
        break;
      }
      worker.put((long) i);
      issued++;
    }
    long joinDeadline = sendDeadline + TimeUnit.SECONDS.toNanos(30);
    for (int n = 0; n < workers.size(); n++) {
      ArrayBlockingQueue<Long> worker =
          idle.pollLast(Math.max(1, joinDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (worker == null) {
        break;
      }
      worker.put(-1L);
    }
    long elapsed = System.nanoTime() - start;
    int firstMeasured = (int) Math.min(total, Math.round(rate * warmup));
    long[] measured =
        Arrays.stream(latencyNanos, firstMeasured, total).filter(v -> v >= 0).sorted().toArray();
    long measuredOk = 0;
    for (int i = firstMeasured; i < total; i++) {
      measuredOk += succeeded[i] ? 1 : 0;
    }
    double seconds2 = elapsed / 1e9;
    System.out.printf(
        "rate=%.0f req/s batch=%d requests=%d ok=%d failed=%d achieved=%.0f req/s = %.0f msg/s"
            + " after the %d s warm-up: requests=%d failed=%d"
            + " p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms connections=%d%n",
        rate,
        batch,
        issued,
        ok.get(),
        failed.get(),
        ok.get() / seconds2,
        ok.get() * batch / seconds2,
        warmup,
        measured.length,
        measured.length - measuredOk,
        pct(measured, 50),
        pct(measured, 90),
        pct(measured, 99),
        measured.length == 0 ? 0 : measured[measured.length - 1] / 1e6,
        workers.size());
    printStatuses(statusCounts);
  }

  /** One keep-alive connection: sends the requests it is handed until it gets -1. */
  static void connection(
      URI uri,
      byte[][] heads,
      byte[][] payloads,
      ArrayBlockingQueue<Long> inbox,
      LinkedBlockingDeque<ArrayBlockingQueue<Long>> idle,
      long start,
      double intervalNanos,
      long[] latencyNanos,
      boolean[] succeeded,
      AtomicLong ok,
      AtomicLong failed,
      AtomicLongArray statusCounts) {
    Socket socket = null;
    InputStream in = null;
    OutputStream out = null;
    try {
      for (long i; (i = inbox.take()) >= 0; ) {
        long scheduled = start + (long) (i * intervalNanos);
        int status = -1;
        boolean reusable = false;
        try {
          if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
          }
          // request i carries body i modulo the distinct bodies (the message pool)
          out.write(heads[(int) (i % heads.length)]);
          out.write(payloads[(int) (i % payloads.length)]);
          out.flush();
          Response response = readResponse(in);
          status = response.status();
          reusable = !response.close();
        } catch (IOException | RuntimeException e) {
          status = -1;
        }
        latencyNanos[(int) i] = System.nanoTime() - scheduled;
        if (status / 100 == 2) {
          succeeded[(int) i] = true;
          ok.incrementAndGet();
        } else {
          failed.incrementAndGet();
          if (status > 0) {
            statusCounts.incrementAndGet(Math.min(599, status));
          }
        }
        if (!reusable) {
          close(socket);
          socket = null;
        }
        idle.offerLast(inbox);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close(socket);
    }
  }

  static void close(Socket socket) {
    try {
      if (socket != null) {
        socket.close();
      }
    } catch (IOException ignored) {
      // closing is all that is left to do
    }
  }

  /** A response's status and whether the server closes the connection after it. */
  record Response(int status, boolean close) {}

  /**
   * Reads one HTTP/1.1 response (RFC 9112: Content-Length or chunked body).
   */
  static Response readResponse(InputStream in) throws IOException {
    String statusLine = line(in);
    int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
    long length = -1;
    boolean chunked = false;
    boolean close = false;
    for (String h; !(h = line(in)).isEmpty(); ) {
      int colon = h.indexOf(':');
      String name = h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
      String value = h.substring(colon + 1).trim().toLowerCase(java.util.Locale.ROOT);
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding")) {
        chunked = value.contains("chunked");
      } else if (name.equals("connection")) {
        close = value.contains("close");
      }
    }
    if (chunked) {
      for (long size; (size = Long.parseLong(line(in).split(";", 2)[0].trim(), 16)) > 0; ) {
        skip(in, size);
        line(in);
      }
      while (!line(in).isEmpty()) {
        // trailer fields
      }
    } else if (length > 0) {
      skip(in, length);
    }
    return new Response(status, close);
  }

  static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  static void skip(InputStream in, long n) throws IOException {
    while (n > 0) {
      long skipped = in.skip(n);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new IOException("connection closed");
        }
        skipped = 1;
      }
      n -= skipped;
    }
  }

  static void count(HttpClient client, HttpRequest[] bodies, int batch, int messages, int conc)
      throws Exception {
    int requests = (messages + batch - 1) / batch;
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLongArray statusCounts = new AtomicLongArray(600);
    CountDownLatch done = new CountDownLatch(requests);
    Semaphore inFlight = new Semaphore(conc);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
    long first = System.currentTimeMillis();
    for (int i = 0; i < requests; i++) {
      if (!inFlight.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        break;
      }
      client
          .sendAsync(bodies[i % bodies.length], HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (response, error) -> {
                if (error == null && response.statusCode() / 100 == 2) {
                  ok.incrementAndGet();
                } else {
                  failed.incrementAndGet();
                  if (response != null) {
                    statusCounts.incrementAndGet(Math.min(599, response.statusCode()));
                  }
                }
                inFlight.release();
                done.countDown();
              });
    }
    done.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    long last = System.currentTimeMillis();
    System.out.printf(
        "first_post_ms=%d last_answer_ms=%d requests_ok=%d requests_failed=%d messages=%d"
            + " enqueue=%.0f msg/s%n",
        first,
        last,
        ok.get(),
        failed.get(),
        ok.get() * batch,
        ok.get() * batch * 1000.0 / Math.max(1, last - first));
    printStatuses(statusCounts);
  }

  static void printStatuses(AtomicLongArray counts) {
    for (int s = 0; s < counts.length(); s++) {
      if (counts.get(s) > 0) {
        System.out.printf("  http status %d: %d%n", s, counts.get(s));
      }
    }
  }

  static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }
}
