package io.postwire.delivery.smtp;

import java.security.KeyStore;

/**
 * Where and how to relay all mail (relay mode): one smarthost, optional AUTH (RFC 4954) and a
 * STARTTLS level (RFC 3207).
 *
 * @param host the relay's host name or IP literal
 * @param port the relay's port (587 submission, 25 relay)
 * @param username AUTH user, or {@code null} for no AUTH
 * @param password AUTH password, or {@code null}
 * @param starttls whether STARTTLS is skipped, used when offered, or required
 * @param ehloName the name we announce in EHLO
 * @param allowPlaintextAuth whether the credentials may be sent over a connection without TLS
 * @param verifyCertificate whether, with {@link Starttls#REQUIRED}, the relay's certificate must be
 *     valid for {@link #host()} and issued by a trusted authority
 * @param trustStore the trusted authorities for that check; {@code null} = the JDK's
 */
public record RelaySettings(
    String host,
    int port,
    String username,
    String password,
    Starttls starttls,
    String ehloName,
    boolean allowPlaintextAuth,
    boolean verifyCertificate,
    KeyStore trustStore) {

  /**
   * Settings that never send credentials in clear and, with {@link Starttls#REQUIRED}, check the
   * relay's certificate against the JDK's trust store.
   */
  public RelaySettings(
      String host, int port, String username, String password, Starttls starttls, String ehloName) {
    this(host, port, username, password, starttls, ehloName, false, true, null);
  }

  /**
   * STARTTLS levels, as in quarkus-mailer's {@code start-tls} setting; {@code
   * postwire.relay.starttls} takes them in lower case, and SmallRye Config refuses any other value
   * at start-up.
   */
  public enum Starttls {
    /** Never STARTTLS. */
    DISABLED,
    /** STARTTLS when the relay offers it; no certificate check. */
    OPTIONAL,
    /** STARTTLS or no mail, with the relay's certificate checked unless told otherwise. */
    REQUIRED
  }

  /** Validates the settings (fail fast at start-up). */
  public RelaySettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("relay host is required");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("relay port out of range: " + port);
    }
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("relay username and password go together");
    }
    if (starttls == null) {
      throw new IllegalArgumentException("relay starttls is required");
    }
  }

  /** The TLS policy a relay transaction runs with. */
  SmtpTransaction.TlsPolicy tlsPolicy() {
    return switch (starttls) {
      case DISABLED -> SmtpTransaction.TlsPolicy.NONE;
      case OPTIONAL -> SmtpTransaction.TlsPolicy.OPPORTUNISTIC;
      case REQUIRED ->
          verifyCertificate
              ? SmtpTransaction.TlsPolicy.REQUIRED_VERIFIED
              : SmtpTransaction.TlsPolicy.REQUIRED;
    };
  }

  @Override
  public String toString() {
    // never print the password
    return "RelaySettings["
        + host
        + ":"
        + port
        + ", user="
        + username
        + ", "
        + starttls
        + (verifyCertificate ? "" : ", certificate not verified")
        + (allowPlaintextAuth ? ", plaintext AUTH allowed" : "")
        + "]";
  }
}
