package io.postwire.delivery.smtp;

import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * Relay mode: every transaction goes to one configured smarthost, with STARTTLS per {@link
 * RelaySettings#starttls()} and AUTH PLAIN/LOGIN (RFC 4954) after it, whatever the recipients'
 * domains.
 *
 * <p><b>Why this runs on {@link DirectSmtpTransport} and not on the Vert.x {@code MailClient}</b>
 * (vertx-mail-client 4.5.27, as quarkus-mailer brings it). {@code VertxMailClientEvidenceTest}
 * records what that client does against {@code ScriptedSmtpServer}:
 *
 * <ul>
 *   <li>it can carry the signed bytes: with {@code setFixedHeaders(true)}, the headers in order
 *       with their folded text and a 7-bit LF-only body, the bytes arriving equal the bytes given
 *       (modulo CRLF), dot-stuffing included;
 *   <li>with {@code allowRcptErrors=true} a refused recipient vanishes: {@code MailResult} lists
 *       only the accepted ones, the 550 5.1.1 reply (code, enhanced code, text) is lost;
 *   <li>with {@code allowRcptErrors=false} a refusal fails the whole transaction with a reply that
 *       names no recipient, and under PIPELINING the client has already sent DATA: the server
 *       answered 354 and the connection stays open in the middle of DATA, with neither RSET nor
 *       QUIT;
 *   <li>{@code MailResult} has no end-of-data reply (no queue id, no enhanced code), and there are
 *       no per-command timeouts.
 * </ul>
 *
 * <p>Exact per-recipient outcomes would need one transaction per recipient after any refusal, and a
 * stalled relay could only be caught by the idle timeout. The focused client gives exact replies,
 * RFC 5321 §4.5.3.2 timeouts and the same pooling, so relay mode reuses it; the only relay
 * specifics are the fixed destination and AUTH.
 *
 * <p>Credentials never travel in clear unless {@link RelaySettings#allowPlaintextAuth()}: a relay
 * that offers no STARTTLS then gets no AUTH, and every recipient is deferred. With {@code
 * starttls=required} the relay's certificate is checked (RFC 6125 host name, trusted chain) unless
 * {@link RelaySettings#verifyCertificate()} is off.
 */
public final class RelayMailClientTransport implements SmtpTransport, AutoCloseable {

  private final RelaySettings settings;
  private final DirectSmtpTransport transport;

  // where every transaction goes, worked out once
  private final String address;
  private final TlsPolicy tls;

  /** A relay transport with default timeouts and pool limits. */
  public RelayMailClientTransport(Vertx vertx, RelaySettings settings) {
    this(vertx, settings, SmtpClientOptions.defaults(settings.ehloName()));
  }

  /**
   * A relay transport with the timeouts and pool limits of {@code base}; its EHLO name and
   * credentials are replaced by those of {@code settings}.
   */
  public RelayMailClientTransport(Vertx vertx, RelaySettings settings, SmtpClientOptions base) {
    this.settings = settings;
    this.address = SmtpTransaction.isIpLiteral(settings.host()) ? settings.host() : null;
    this.tls = settings.tlsPolicy();
    SmtpClientOptions options =
        base.with(
            o -> {
              o.ehloName = settings.ehloName();
              if (settings.trustStore() != null) {
                o.trustStore = settings.trustStore();
              }
              o.username = settings.username();
              o.password = settings.password();
              o.allowPlaintextAuth = settings.allowPlaintextAuth();
            });
    this.transport = new DirectSmtpTransport(vertx, options);
  }

  /**
   * Sends one message to the relay (the relay, not we, talks to the recipients' MX hosts): its
   * transaction is built here, once, for the relay's host, port and TLS policy.
   */
  public Uni<SmtpResult> send(
      String mailFrom, List<String> recipients, byte[] head, byte[] message) {
    return transport.send(
        new SmtpTransaction(
            settings.host(), address, settings.port(), tls, mailFrom, recipients, head, message));
  }

  /**
   * Sends {@code transaction}'s envelope and bytes to the relay; its host, address, port and TLS
   * policy are not used (see {@link #send(String, List, byte[], byte[])}).
   */
  @Override
  public Uni<SmtpResult> send(SmtpTransaction transaction) {
    return send(
        transaction.mailFrom(),
        transaction.recipients(),
        transaction.head(),
        transaction.message());
  }

  /** Connections open to the relay right now. */
  public int openConnections() {
    return transport.openConnections(settings.host());
  }

  @Override
  public void close() {
    transport.close();
  }
}
