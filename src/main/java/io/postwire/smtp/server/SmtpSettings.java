package io.postwire.smtp.server;

import java.time.Duration;

/**
 * How a server behaves and its limits.
 *
 * @param hostname the name given in the greeting and EHLO reply
 * @param maxMessageSize largest DATA in octets (advertised with SIZE, RFC 1870)
 * @param maxRecipients most RCPT per transaction; beyond it 452 4.5.3
 * @param maxErrors bad commands a session may send before it is closed with 421 4.7.0
 * @param maxCommands commands a session may send outside transactions (EHLO, NOOP, RSET, VRFY, …)
 *     before it is closed with 421 4.7.0
 * @param idleTimeout how long a client may stay silent (421 4.4.2 and close)
 * @param dataTimeout how long a DATA section may take from the 354 to its end
 * @param authRequired whether MAIL needs AUTH first (530 5.7.0)
 * @param plaintextAuth whether AUTH is offered before TLS (else 538 5.7.11)
 * @param authEnabled whether the listener has AUTH at all (an MX listener has not: 502 5.5.1)
 */
public record SmtpSettings(
    String hostname,
    int maxMessageSize,
    int maxRecipients,
    int maxErrors,
    int maxCommands,
    Duration idleTimeout,
    Duration dataTimeout,
    boolean authRequired,
    boolean plaintextAuth,
    boolean authEnabled) {

  /** Settings of a listener with AUTH (submission). */
  public SmtpSettings(
      String hostname,
      int maxMessageSize,
      int maxRecipients,
      int maxErrors,
      int maxCommands,
      Duration idleTimeout,
      Duration dataTimeout,
      boolean authRequired,
      boolean plaintextAuth) {
    this(
        hostname,
        maxMessageSize,
        maxRecipients,
        maxErrors,
        maxCommands,
        idleTimeout,
        dataTimeout,
        authRequired,
        plaintextAuth,
        true);
  }
}
