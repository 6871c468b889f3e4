package io.postwire.delivery.smtp;

import static io.postwire.delivery.smtp.SmtpTestSupport.MESSAGE;
import static io.postwire.delivery.smtp.SmtpTestSupport.fastOptions;
import static io.postwire.delivery.smtp.SmtpTestSupport.send;
import static io.postwire.delivery.smtp.SmtpTestSupport.tx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.delivery.smtp.RelaySettings.Starttls;
import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.postwire.testing.TestVertx;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.postwire.testing.smtp.ScriptedSmtpServer.Phase;
import io.postwire.testing.smtp.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RelayMailClientTransport}: smarthost relay with STARTTLS (RFC 3207) and AUTH (RFC 4954).
 */
class RelayMailClientTransportTest {

  @RegisterExtension static final TestVertx VERTX = new TestVertx();

  private static TestCertificates ca;
  private ScriptedSmtpServer relay;

  @BeforeAll
  static void newAuthority() {
    ca = TestCertificates.newAuthority();
  }

  @BeforeEach
  void start() {
    relay = ScriptedSmtpServer.start();
  }

  @AfterEach
  void stop() {
    relay.close();
  }

  private RelayMailClientTransport transport(String user, String password, Starttls starttls) {
    return transport(
        new RelaySettings(
            "127.0.0.1", relay.port(), user, password, starttls, "client.example.test"));
  }

  private RelayMailClientTransport transport(RelaySettings settings) {
    return new RelayMailClientTransport(VERTX.get(), settings, fastOptions());
  }

  private RelaySettings settings(
      Starttls starttls, boolean allowPlaintextAuth, boolean verify, KeyStore trustStore) {
    return new RelaySettings(
        "127.0.0.1",
        relay.port(),
        "app",
        "pw",
        starttls,
        "client.example.test",
        allowPlaintextAuth,
        verify,
        trustStore);
  }

  @Test
  void relaysTheExactBytesAfterStarttlsAndAuth_rfc4954() {
    relay.starttls(ca.serverContextForAddress("127.0.0.1")).requireAuth("app", "pw");
    try (RelayMailClientTransport transport =
        transport(settings(Starttls.REQUIRED, false, true, ca.trustStore()))) {
      // the transaction names an MX; the relay settings win
      SmtpResult result =
          send(transport, tx(relay, TlsPolicy.NONE, "a@example.test", "b@example.test"));

      assertThat(result.host()).isEqualTo("127.0.0.1");
      assertThat(result.tls()).isTrue();
      assertThat(result.recipients().values()).allSatisfy(r -> assertThat(r.code()).isEqualTo(250));
      ScriptedSmtpServer.Received m = relay.messages().get(0);
      assertThat(m.data()).isEqualTo(MESSAGE.getBytes(StandardCharsets.US_ASCII));
      assertThat(m.authUser()).isEqualTo("app");
      assertThat(m.tls()).isTrue();
    }
  }

  @Test
  void authenticatesWithLoginWhenPlainIsNotOffered_rfc4954() {
    relay
        .requireAuth("app", "pw")
        .reply(Phase.EHLO, "250-relay.example.test\n250-AUTH LOGIN\n250 PIPELINING");
    // in clear only because this relay is allowed it explicitly
    try (RelayMailClientTransport transport =
        transport(settings(Starttls.DISABLED, true, true, null))) {
      SmtpResult result = send(transport, tx(relay, TlsPolicy.NONE, "a@example.test"));

      assertThat(result.reply("a@example.test").code()).isEqualTo(250);
      assertThat(relay.commands()).contains("AUTH LOGIN");
      assertThat(relay.messages().get(0).authUser()).isEqualTo("app");
    }
  }

  @Test
  void keepsEachRecipientsReplyFromTheRelay() {
    relay
        .rcpt("gone@example.test", "550 5.1.1 No such user")
        .rcpt("later@example.test", "451 4.7.1 Try again in 2 minutes");
    try (RelayMailClientTransport transport = transport(null, null, Starttls.OPTIONAL)) {
      SmtpResult result =
          send(
              transport,
              tx(
                  relay,
                  TlsPolicy.NONE,
                  "a@example.test",
                  "gone@example.test",
                  "later@example.test"));

      assertThat(result.reply("a@example.test").code()).isEqualTo(250);
      assertThat(result.reply("gone@example.test"))
          .isEqualTo(new SmtpReply(550, "5.1.1", "No such user"));
      assertThat(result.reply("later@example.test").retryAfter()).contains(Duration.ofMinutes(2));
      assertThat(relay.messages().get(0).recipients()).containsExactly("a@example.test");
    }
  }

  @Test
  void requiredStarttlsWithoutOfferSendsNothing() {
    try (RelayMailClientTransport transport = transport(null, null, Starttls.REQUIRED)) {
      SmtpResult result = send(transport, tx(relay, TlsPolicy.NONE, "a@example.test"));

      assertThat(result.reply("a@example.test").code()).isZero();
      assertThat(result.reply("a@example.test").text()).contains("does not offer STARTTLS");
      assertThat(relay.messages()).isEmpty();
    }
  }

  @Test
  void aRelayOfferingAuthButNoStarttlsGetsNoAuthCommand_rfc4954_4() {
    relay.requireAuth("app", "pw");
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            logged.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger log = Logger.getLogger(DirectSmtpTransport.class.getName());
    log.addHandler(capture);
    try (RelayMailClientTransport transport = transport("app", "pw", Starttls.OPTIONAL)) {
      SmtpResult result = send(transport, tx(relay, TlsPolicy.NONE, "a@example.test"));

      SmtpReply reply = result.reply("a@example.test");
      assertThat(reply.transientFailure()).isTrue();
      assertThat(reply.text())
          .contains("credentials are not sent in clear")
          .contains("postwire.relay.allow-plaintext-auth");
      assertThat(relay.commands()).noneMatch(c -> c.startsWith("AUTH") || c.startsWith("MAIL"));
      assertThat(relay.messages()).isEmpty();
      assertThat(logged)
          .anySatisfy(
              r -> {
                assertThat(r.getLevel()).isEqualTo(Level.SEVERE);
                assertThat(r.getMessage()).contains("postwire.relay.allow-plaintext-auth=true");
              });
    } finally {
      log.removeHandler(capture);
    }
  }

  @Test
  void requiredStarttlsRefusesAnUntrustedSelfSignedCertificateBeforeAuth_rfc7817() {
    relay.starttls(TestCertificates.selfSignedServerContext("127.0.0.1")).requireAuth("app", "pw");
    try (RelayMailClientTransport transport = transport("app", "pw", Starttls.REQUIRED)) {
      SmtpResult result = send(transport, tx(relay, TlsPolicy.NONE, "a@example.test"));

      assertThat(result.reply("a@example.test").transientFailure()).isTrue();
      assertThat(result.reply("a@example.test").text()).contains("TLS handshake");
      assertThat(relay.commands()).contains("STARTTLS");
      assertThat(relay.commands()).noneMatch(c -> c.startsWith("AUTH") || c.startsWith("MAIL"));
      assertThat(relay.messages()).isEmpty();
    }
  }

  @Test
  void requiredStarttlsRefusesATrustedCertificateForAnotherName_rfc6125() {
    relay.starttls(ca.serverContext("relay.example.test")).requireAuth("app", "pw");
    try (RelayMailClientTransport transport =
        transport(settings(Starttls.REQUIRED, false, true, ca.trustStore()))) {
      SmtpResult result = send(transport, tx(relay, TlsPolicy.NONE, "a@example.test"));

      assertThat(result.reply("a@example.test").transientFailure()).isTrue();
      assertThat(relay.commands()).noneMatch(c -> c.startsWith("AUTH") || c.startsWith("MAIL"));
    }
  }

  @Test
  void requiredStarttlsTakesAnyCertificateWhenVerificationIsTurnedOff() {
    relay.starttls(TestCertificates.selfSignedServerContext("relay.example.test"));
    relay.requireAuth("app", "pw");
    try (RelayMailClientTransport transport =
        transport(settings(Starttls.REQUIRED, false, false, null))) {
      SmtpResult result = send(transport, tx(relay, TlsPolicy.NONE, "a@example.test"));

      assertThat(result.reply("a@example.test").code()).isEqualTo(250);
      assertThat(relay.messages().get(0).tls()).isTrue();
      assertThat(relay.messages().get(0).authUser()).isEqualTo("app");
    }
  }

  @Test
  void rejectsHalfCredentials() {
    assertThatThrownBy(
            () ->
                new RelaySettings(
                    "127.0.0.1", 25, "app", null, Starttls.REQUIRED, "client.example.test"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
