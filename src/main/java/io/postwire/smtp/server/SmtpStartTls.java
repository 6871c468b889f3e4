package io.postwire.smtp.server;

/**
 * STARTTLS for one {@link SmtpSession} (RFC 3207): the 220 answer, the upgrade of the connection,
 * and the session starting over on TLS.
 */
final class SmtpStartTls {

  private final SmtpSession session;

  SmtpStartTls(SmtpSession session) {
    this.session = session;
  }

  void startTls(Command c) {
    if (!session.startTlsAvailable || session.secure) {
      session.error(new Reply(502, "5.5.1", "STARTTLS not available"));
      return;
    }
    if (!c.argument().isEmpty()) {
      session.error(new Reply(501, "5.5.4", "STARTTLS takes no argument"));
      return;
    }
    // RFC 3207 §4.2: whatever the client sent after STARTTLS in the clear is dropped
    session.dropInput();
    session.busy = true;
    session.socket.write(
        new Reply(220, "2.0.0", "Ready to start TLS").wire(),
        written -> {
          session.dropInput();
          session.socket.upgradeToSsl(
              done -> {
                if (done.failed()) {
                  session.close(null, "tls_failed");
                  return;
                }
                // §4.2: the session starts over, knowing nothing from before TLS
                session.secure = true;
                session.helo = null;
                session.identity = null;
                session.resetTransaction();
                session.dropInput();
                session.busy = false;
                session.pump();
              });
        });
  }
}
