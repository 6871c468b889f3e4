package io.postwire.delivery.smtp;

import static io.postwire.delivery.smtp.SmtpTestSupport.MESSAGE;
import static io.postwire.delivery.smtp.SmtpTestSupport.fastOptions;
import static io.postwire.delivery.smtp.SmtpTestSupport.send;
import static io.postwire.delivery.smtp.SmtpTestSupport.tx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.delivery.smtp.RelaySettings.Starttls;
import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.postwire.testing.smtp.ScriptedSmtpServer.Phase;
import io.postwire.testing.smtp.TestCertificates;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RelayMailClientTransport}: smarthost relay with STARTTLS (RFC 3207) and AUTH (RFC 4954).
 */
class RelayMailClientTransportTest {

  private static Vertx vertx;
  private ScriptedSmtpServer relay;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close().toCompletionStage().toCompletableFuture().join();
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
    return new RelayMailClientTransport(
        vertx,
        new RelaySettings(
            "127.0.0.1", relay.port(), user, password, starttls, "client.example.test"),
        fastOptions());
  }

  @Test
  void relaysTheExactBytesAfterStarttlsAndAuth_rfc4954() {
    relay
        .starttls(TestCertificates.selfSignedServerContext("relay.example.test"))
        .requireAuth("app", "pw");
    try (RelayMailClientTransport transport = transport("app", "pw", Starttls.REQUIRED)) {
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
    try (RelayMailClientTransport transport = transport("app", "pw", Starttls.DISABLED)) {
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
  void rejectsHalfCredentials() {
    assertThatThrownBy(
            () ->
                new RelaySettings(
                    "127.0.0.1", 25, "app", null, Starttls.REQUIRED, "client.example.test"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
