package io.postwire.smtp.server;

import io.postwire.smtp.server.SmtpSession.Mode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * The AUTH exchange of one {@link SmtpSession} (RFC 4954): PLAIN (RFC 4616) and LOGIN, with or
 * without an initial response, their 334 challenges and the handler's decision.
 */
final class SmtpAuth {

  private final SmtpSession session;
  private String loginUser;

  SmtpAuth(SmtpSession session) {
    this.session = session;
  }

  void auth(Command c) {
    if (session.helo == null) {
      session.error(new Reply(503, "5.5.1", "Send EHLO first"));
      return;
    }
    if (!session.settings.authEnabled()) {
      session.error(new Reply(502, "5.5.1", "AUTH is not available here"));
      return;
    }
    if (!session.authOffered()) {
      session.error(
          new Reply(538, "5.7.11", "Encryption required for requested authentication mechanism"));
      return;
    }
    if (session.identity != null) {
      session.error(new Reply(503, "5.5.1", "Already authenticated"));
      return;
    }
    if (session.mailFrom != null) {
      session.error(new Reply(503, "5.5.1", "AUTH not permitted during a mail transaction"));
      return;
    }
    String[] parts = c.argument().split(" ", 2);
    String mechanism = parts[0].toUpperCase(Locale.ROOT);
    String initial = parts.length > 1 ? parts[1].strip() : null;
    switch (mechanism) {
      case "PLAIN" -> {
        if (initial == null) {
          session.mode = Mode.AUTH_PLAIN;
          session.reply(new Reply(334, null, ""));
        } else {
          authPlain(initial.equals("=") ? "" : initial);
        }
      }
      case "LOGIN" -> {
        if (initial == null) {
          session.mode = Mode.AUTH_LOGIN_USER;
          session.reply(new Reply(334, null, "VXNlcm5hbWU6"));
        } else {
          authLoginUser(initial);
        }
      }
      default -> session.error(new Reply(504, "5.5.4", "Unrecognized authentication type"));
    }
  }

  void authPlain(String line) {
    session.mode = Mode.COMMAND;
    byte[] decoded = saslResponse(line);
    if (decoded == null) {
      return;
    }
    // authzid NUL authcid NUL passwd (RFC 4616)
    String text = new String(decoded, StandardCharsets.UTF_8);
    String[] fields = text.split("\0", -1);
    if (fields.length != 3) {
      session.error(new Reply(501, "5.5.2", "Malformed PLAIN response"));
      return;
    }
    authenticate(fields[1], fields[2]);
  }

  void authLoginUser(String line) {
    byte[] decoded = saslResponse(line);
    if (decoded == null) {
      session.mode = Mode.COMMAND;
      return;
    }
    loginUser = new String(decoded, StandardCharsets.UTF_8);
    session.mode = Mode.AUTH_LOGIN_PASSWORD;
    session.reply(new Reply(334, null, "UGFzc3dvcmQ6"));
  }

  void authLoginPassword(String line) {
    session.mode = Mode.COMMAND;
    byte[] decoded = saslResponse(line);
    if (decoded == null) {
      return;
    }
    authenticate(loginUser, new String(decoded, StandardCharsets.UTF_8));
  }

  /** A client's SASL response decoded, or null after answering a cancel or bad base64. */
  private byte[] saslResponse(String line) {
    if (line.equals("*")) {
      session.reply(new Reply(501, "5.0.0", "Authentication cancelled"));
      return null;
    }
    try {
      return Base64.getDecoder().decode(line.strip());
    } catch (IllegalArgumentException e) {
      session.error(new Reply(501, "5.5.2", "Cannot decode the response (base64)"));
      return null;
    }
  }

  private void authenticate(String user, String password) {
    session.decide(
        () -> session.handler.authenticate(session.info(), user, password),
        a -> {
          if (a.identity() != null) {
            session.identity = a.identity();
          } else if (!a.reply().positive()) {
            session.errors++;
          }
          session.reply(a.reply());
        },
        new Reply(454, "4.7.0", "Temporary authentication failure"));
  }
}
