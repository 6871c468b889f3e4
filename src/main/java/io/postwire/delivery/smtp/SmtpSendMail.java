package io.postwire.delivery.smtp;

import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * One mail transaction on a session that is ready for it: MAIL, RCPT (pipelined per RFC 2920 when
 * offered), DATA with the message dot-stuffed (RFC 5321 §4.5.2), and RSET after a failed
 * transaction. The envelope has one deadline and the message data another (RFC 5321 §4.5.3.2);
 * every recipient ends with its own reply.
 */
final class SmtpSendMail {

  private static final int CHUNK = 32 * 1024;

  /** Parts of one data block before they are merged into one (a copy): dot lines are rare. */
  private static final int MAX_COMPONENTS = 64;

  private static final byte[] DOT = {'.'};
  private static final byte[] END = {'.', '\r', '\n'};
  private static final byte[] NEW_LINE_END = {'\r', '\n', '.', '\r', '\n'};

  private final SmtpClientOptions options;

  /**
   * What a transaction left: each recipient's reply in envelope order, and whether the dialogue is
   * in a known state (the connection may serve the next transaction).
   */
  record Sent(Map<String, SmtpReply> replies, boolean clean) {

    /** A pooled connection the server had already closed: nothing was sent, nothing answered. */
    static final Sent STALE = new Sent(Map.of(), false);
  }

  SmtpSendMail(SmtpClientOptions options) {
    this.options = options;
  }

  /**
   * Runs {@code tx} on {@code c}; never fails. With {@code mayBeStale} (a pooled connection), a
   * connection lost before any reply gives {@link Sent#STALE}, for a run on a fresh connection.
   */
  Future<Sent> send(SmtpConnection c, SmtpTransaction tx, boolean mayBeStale) {
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
              if (ar.failed()) {
                // a pooled connection closed by the server while idle fails before any reply;
                // a stalled server (timeout) is not retried
                if (mayBeStale && x.mail == null && !x.timedOut(ar.cause())) {
                  return Future.succeededFuture(Sent.STALE);
                }
                x.failRest(ar.cause());
                x.clean = false;
              }
              return Future.succeededFuture(new Sent(x.ordered(), x.clean));
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
      // a line starts at offset when the last byte before it was LF, and after each LF here; only
      // those starting with '.' get another (RFC 5321 §4.5.2)
      boolean lineStart = atLineStart[0];
      for (int i = offset; i < end; i++) {
        if (lineStart && bytes[i] == '.') {
          add(block, bytes, run, i - run);
          block.addComponent(true, Unpooled.wrappedBuffer(DOT));
          run = i;
        }
        lineStart = bytes[i] == '\n';
      }
      atLineStart[0] = lineStart;
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
      rest(SmtpReply.noReply(SmtpConnection.describe(cause)));
    }

    Map<String, SmtpReply> ordered() {
      Map<String, SmtpReply> m = new LinkedHashMap<>();
      recipients.forEach(r -> m.put(r, result.get(r)));
      return Collections.unmodifiableMap(m);
    }
  }
}
