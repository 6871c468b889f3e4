package io.postwire.smtp.server;

import io.smallrye.mutiny.Uni;
import java.util.List;

/**
 * What a listener decides on behalf of the protocol engine: who a client is, which recipients it
 * may give, and what becomes of a finished transaction. The engine knows nothing of what the
 * messages mean; each method's Uni may complete on any thread.
 */
public interface SmtpHandler {

  /** The outcome of AUTH: the reply, and the identity when it succeeded (null otherwise). */
  record Authentication(Reply reply, Object identity) {}

  /** A finished transaction: the envelope and the DATA bytes, dot-unstuffed. */
  record Transaction(
      SessionInfo session,
      String mailFrom,
      List<String> recipients,
      boolean eightBit,
      byte[] data) {}

  /**
   * What the engine knows about a session; {@code tlsProtocol} and {@code tlsCipher} are null while
   * it is in plaintext.
   */
  record SessionInfo(
      String clientAddress,
      String helo,
      boolean secure,
      Object identity,
      String tlsProtocol,
      String tlsCipher) {

    public SessionInfo(String clientAddress, String helo, boolean secure, Object identity) {
      this(clientAddress, helo, secure, identity, null, null);
    }
  }

  /** Checks a password (SASL PLAIN or LOGIN) for {@code user}. */
  Uni<Authentication> authenticate(SessionInfo session, String user, String password);

  /** Accepts (2xx) or refuses a recipient given at RCPT. */
  Uni<Reply> recipient(SessionInfo session, String address);

  /** Takes a finished transaction; a 250 reply only once it is safely stored. */
  Uni<Reply> message(Transaction transaction);
}
