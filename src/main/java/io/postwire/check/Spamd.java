package io.postwire.check;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SpamAssassin spamd client (the spamc protocol, {@code REPORT SPAMC/1.5}) on a non-blocking
 * Vert.x {@link NetClient}: one connection per message, a connection timeout, a deadline for the
 * whole answer and a cap on its size. spamd is the operator's own host, as the relay is: the egress
 * policy does not apply to it.
 *
 * <p>Every byte spamd sends is bounded before it is held: an answer over {@code
 * postwire.check.spamd-max-reply} is cut off and counts as no answer, as do a garbled one, a
 * refusal ({@code SPAMD/1.x} with a non-zero code) and one that misses the deadline; each fails the
 * Uni with {@link SpamdUnavailable}.
 */
@ApplicationScoped
public class Spamd {

  /** Thrown (as the Uni's failure) when spamd gives no usable answer. */
  public static final class SpamdUnavailable extends RuntimeException {
    SpamdUnavailable(String message) {
      super(message);
    }
  }

  private static final Pattern STATUS =
      Pattern.compile("^SPAMD/(\\d+)\\.(\\d+)\\s+(\\d+)\\s*(.*)$");

  /** {@code Spam: True ; 15.0 / 5.0} (spamd 3.x; {@code Yes}/{@code No} from older ones). */
  private static final Pattern SPAM =
      Pattern.compile(
          "^(True|False|Yes|No)\\s*;\\s*(-?\\d+(?:\\.\\d+)?)\\s*/\\s*(-?\\d+(?:\\.\\d+)?)\\s*$",
          Pattern.CASE_INSENSITIVE);

  /** A rule line of the report's table: {@code pts rule name description}. */
  private static final Pattern RULE =
      Pattern.compile("^\\s*(-?\\d+(?:\\.\\d+)?)\\s+([A-Za-z0-9_]+)\\s+(.*)$");

  private final Vertx vertx;
  private final CheckConfig config;
  private final String host;
  private final int port;
  private NetClient client;

  public Spamd(Vertx vertx, CheckConfig config) {
    this.vertx = vertx;
    this.config = config;
    if (config.spamd().isPresent()) {
      String address = config.spamd().get().strip();
      int colon = address.lastIndexOf(':');
      if (colon <= 0 || colon == address.length() - 1) {
        throw new IllegalArgumentException(
            "postwire.check.spamd must be host:port, not " + address);
      }
      String h = address.substring(0, colon);
      this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
      this.port = Integer.parseInt(address.substring(colon + 1));
    } else {
      this.host = null;
      this.port = 0;
    }
  }

  /** Whether a spamd is configured ({@code postwire.check.spamd}). */
  public boolean configured() {
    return host != null;
  }

  /**
   * spamd's verdict on a message (the RFC 5322 bytes, CRLF): a null item when no spamd is
   * configured; a {@link SpamdUnavailable} failure when it does not answer usably in time.
   */
  public Uni<SpamReport> check(byte[] message) {
    if (!configured()) {
      return Uni.createFrom().nullItem();
    }
    return Uni.createFrom()
        .emitter(
            emitter -> {
              AtomicBoolean done = new AtomicBoolean();
              Buffer reply = Buffer.buffer();
              NetSocket[] socket = new NetSocket[1];
              long timer =
                  vertx.setTimer(
                      config.spamdTimeout().toMillis(),
                      t -> {
                        if (done.compareAndSet(false, true)) {
                          close(socket[0]);
                          emitter.fail(
                              new SpamdUnavailable(
                                  "spamd did not answer within " + config.spamdTimeout()));
                        }
                      });
              netClient()
                  .connect(port, host)
                  .onComplete(
                      connected -> {
                        if (connected.failed()) {
                          if (done.compareAndSet(false, true)) {
                            vertx.cancelTimer(timer);
                            emitter.fail(
                                new SpamdUnavailable(
                                    "spamd at "
                                        + host
                                        + ":"
                                        + port
                                        + " is unreachable: "
                                        + connected.cause().getMessage()));
                          }
                          return;
                        }
                        NetSocket so = connected.result();
                        socket[0] = so;
                        if (done.get()) {
                          so.close();
                          return;
                        }
                        so.handler(
                            data -> {
                              if (done.get()) {
                                return;
                              }
                              if (reply.length() + data.length() > config.spamdMaxReply()) {
                                done.set(true);
                                vertx.cancelTimer(timer);
                                so.close();
                                emitter.fail(
                                    new SpamdUnavailable(
                                        "spamd's answer is larger than postwire.check.spamd-max-reply ("
                                            + config.spamdMaxReply()
                                            + " bytes)"));
                                return;
                              }
                              reply.appendBuffer(data);
                              // spamd closes after its answer; an answer complete by its
                              // Content-length need not wait for that
                              if (complete(reply) && done.compareAndSet(false, true)) {
                                vertx.cancelTimer(timer);
                                so.close();
                                finish(reply, emitter);
                              }
                            });
                        so.exceptionHandler(
                            e -> {
                              if (done.compareAndSet(false, true)) {
                                vertx.cancelTimer(timer);
                                so.close();
                                emitter.fail(
                                    new SpamdUnavailable(
                                        "spamd connection failed: " + e.getMessage()));
                              }
                            });
                        so.closeHandler(
                            v -> {
                              if (done.compareAndSet(false, true)) {
                                vertx.cancelTimer(timer);
                                finish(reply, emitter);
                              }
                            });
                        so.write(request(message));
                      });
            });
  }

  private static void finish(
      Buffer reply, io.smallrye.mutiny.subscription.UniEmitter<? super SpamReport> emitter) {
    try {
      emitter.complete(parse(reply.getBytes()));
    } catch (SpamdUnavailable e) {
      emitter.fail(e);
    } catch (RuntimeException e) {
      emitter.fail(new SpamdUnavailable("spamd's answer cannot be read: " + e));
    }
  }

  private static void close(NetSocket socket) {
    if (socket != null) {
      socket.close();
    }
  }

  private synchronized NetClient netClient() {
    if (client == null) {
      client =
          vertx.createNetClient(
              new NetClientOptions()
                  .setConnectTimeout(
                      (int) Math.min(Integer.MAX_VALUE, config.spamdConnectTimeout().toMillis()))
                  .setIdleTimeout(0));
    }
    return client;
  }

  @PreDestroy
  synchronized void stop() {
    if (client != null) {
      client.close();
    }
  }

  /** {@code REPORT SPAMC/1.5}, its Content-length and the message. */
  static Buffer request(byte[] message) {
    String head =
        "REPORT SPAMC/1.5\r\nContent-length: " + message.length + "\r\nUser: postwire\r\n\r\n";
    return Buffer.buffer(head.getBytes(StandardCharsets.US_ASCII)).appendBytes(message);
  }

  /** Whether an answer is all there: its header ended and as many body octets as it declares. */
  static boolean complete(Buffer reply) {
    byte[] b = reply.getBytes();
    int end = headerEnd(b);
    if (end < 0) {
      return false;
    }
    Long length = contentLength(new String(b, 0, end, StandardCharsets.ISO_8859_1));
    return length != null && b.length - end >= length;
  }

  private static int headerEnd(byte[] b) {
    for (int i = 0; i + 3 < b.length; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
        return i + 4;
      }
    }
    return -1;
  }

  private static Long contentLength(String head) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-length")) {
        try {
          return Long.parseLong(line.substring(colon + 1).trim());
        } catch (NumberFormatException e) {
          return null;
        }
      }
    }
    return null;
  }

  /**
   * Parses spamd's answer to {@code REPORT}: the status line, the {@code Spam:} header and the
   * report's rule table (a rule's description may continue on indented lines).
   */
  static SpamReport parse(byte[] reply) {
    // a refusal may be the status line alone: read it before looking for the header's end
    String all = new String(reply, 0, Math.min(reply.length, 1024), StandardCharsets.ISO_8859_1);
    int firstLine = all.indexOf("\r\n");
    Matcher status = STATUS.matcher(firstLine < 0 ? all : all.substring(0, firstLine));
    if (!status.matches()) {
      throw new SpamdUnavailable(
          "spamd's answer is no SPAMD status line: "
              + printable(firstLine < 0 ? all : all.substring(0, firstLine)));
    }
    if (!status.group(3).equals("0")) {
      throw new SpamdUnavailable(
          "spamd refused the message: " + status.group(3) + " " + printable(status.group(4)));
    }
    int end = headerEnd(reply);
    if (end < 0) {
      throw new SpamdUnavailable("spamd's answer ended before its header did");
    }
    String[] head = new String(reply, 0, end - 4, StandardCharsets.ISO_8859_1).split("\r\n");
    Matcher spam = null;
    for (int i = 1; i < head.length; i++) {
      int colon = head[i].indexOf(':');
      if (colon > 0 && head[i].substring(0, colon).trim().equalsIgnoreCase("Spam")) {
        spam = SPAM.matcher(head[i].substring(colon + 1).trim());
        if (!spam.matches()) {
          throw new SpamdUnavailable("spamd's Spam header is garbled: " + printable(head[i]));
        }
      }
    }
    if (spam == null) {
      throw new SpamdUnavailable("spamd's answer has no Spam header");
    }
    boolean flagged =
        spam.group(1).equalsIgnoreCase("true") || spam.group(1).equalsIgnoreCase("yes");
    double score = Double.parseDouble(spam.group(2));
    double threshold = Double.parseDouble(spam.group(3));
    String body = new String(reply, end, reply.length - end, StandardCharsets.UTF_8);
    return new SpamReport("spamassassin", score, threshold, flagged, rules(body));
  }

  /**
   * The rules of a report's table: the lines after the {@code ---- ----…} rule under the {@code pts
   * rule name description} heading.
   */
  static List<SpamReport.Rule> rules(String report) {
    List<SpamReport.Rule> rules = new ArrayList<>();
    boolean inTable = false;
    String name = null;
    double points = 0;
    StringBuilder description = new StringBuilder();
    for (String line : report.split("\r?\n")) {
      if (!inTable) {
        inTable = line.strip().startsWith("----") && line.contains(" ----");
        continue;
      }
      if (line.isBlank()) {
        break;
      }
      Matcher m = RULE.matcher(line);
      if (m.matches() && m.group(2).toUpperCase(Locale.ROOT).equals(m.group(2))) {
        if (name != null) {
          rules.add(new SpamReport.Rule(name, points, description.toString().strip()));
        }
        points = Double.parseDouble(m.group(1));
        name = m.group(2);
        description.setLength(0);
        description.append(m.group(3).strip());
      } else if (name != null && Character.isWhitespace(line.charAt(0))) {
        description.append(' ').append(line.strip());
      }
    }
    if (name != null) {
      rules.add(new SpamReport.Rule(name, points, description.toString().strip()));
    }
    return rules;
  }

  private static String printable(String s) {
    String cut = s.length() > 100 ? s.substring(0, 100) : s;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
