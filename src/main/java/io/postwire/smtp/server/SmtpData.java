package io.postwire.smtp.server;

import io.postwire.smtp.server.SmtpSession.Mode;
import java.util.List;

/**
 * The DATA phase of one {@link SmtpSession} (RFC 5321 §4.1.1.4): its start, the reader of the
 * message text with its timer, and the end of data that hands the transaction to the handler.
 */
final class SmtpData {

  private final SmtpSession session;
  private DataReader data;
  private long dataTimer = -1;

  SmtpData(SmtpSession session) {
    this.session = session;
  }

  /** The reader of the message text while in DATA. */
  DataReader reader() {
    return data;
  }

  /** Forgets the message text read so far (the session is closing). */
  void drop() {
    data = null;
  }

  /** Stops the DATA timer (the connection is closed). */
  void cancelTimer() {
    session.vertx.cancelTimer(dataTimer);
  }

  void data(Command c) {
    if (!c.argument().isEmpty()) {
      session.error(new Reply(501, "5.5.4", "DATA takes no argument"));
      return;
    }
    if (session.mailFrom == null) {
      session.error(new Reply(503, "5.5.1", "Need MAIL before DATA"));
      return;
    }
    if (session.recipients.isEmpty()) {
      // RFC 2920 §3.1: after pipelined RCPTs that all failed
      session.error(new Reply(554, "5.5.1", "No valid recipients"));
      return;
    }
    // room for the whole message and a little more, so that one octet over is still told apart
    data = new DataReader(session.settings.maxMessageSize() + 1, SmtpSession.MAX_TEXT_LINE);
    session.mode = Mode.DATA;
    dataTimer =
        session.vertx.setTimer(
            session.settings.dataTimeout().toMillis(),
            id ->
                session.close(
                    new Reply(
                        421, "4.4.2", session.settings.hostname() + " DATA took too long, closing"),
                    "timeout"));
    session.reply(new Reply(354, null, "End data with <CR><LF>.<CR><LF>"));
  }

  void endOfData() {
    session.mode = Mode.COMMAND;
    session.vertx.cancelTimer(dataTimer);
    DataReader read = data;
    data = null;
    if (read.overflowed() || read.size() > session.settings.maxMessageSize()) {
      session.resetTransaction();
      session.reply(
          new Reply(
              552,
              "5.3.4",
              "Message size exceeds the limit of "
                  + session.settings.maxMessageSize()
                  + " octets"));
      return;
    }
    if (read.longLine()) {
      session.resetTransaction();
      session.reply(new Reply(500, "5.5.2", "Line too long (at most 1000 octets with CRLF)"));
      return;
    }
    SmtpHandler.Transaction transaction =
        new SmtpHandler.Transaction(
            session.info(),
            session.mailFrom,
            List.copyOf(session.recipients),
            session.eightBit,
            read.content());
    session.resetTransaction();
    session.decide(
        () -> session.handler.message(transaction),
        r -> {
          if (r.positive()) {
            // a session that delivers mail may go on: the limit is on sessions that do not
            session.commands = 0;
          }
          session.reply(r);
        },
        new Reply(451, "4.3.0", "Cannot take the message now; try again later"));
  }
}
