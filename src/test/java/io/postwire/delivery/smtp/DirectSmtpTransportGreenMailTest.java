package io.postwire.delivery.smtp;

import static io.postwire.delivery.smtp.SmtpTestSupport.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.vertx.core.Vertx;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link DirectSmtpTransport} against GreenMail, an independent SMTP server: the happy path. */
class DirectSmtpTransportGreenMailTest {

  @RegisterExtension
  static final GreenMailExtension greenMail =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

  @Test
  void deliversToEveryRecipientOfAnIndependentServer() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (DirectSmtpTransport transport = new DirectSmtpTransport(vertx, fastOptions())) {
      String message =
          "From: sender@example.test\r\nTo: a@example.test\r\nSubject: hello\r\n\r\n"
              + "Hello\r\n.starts with a dot\r\n";
      SmtpTransaction tx =
          new SmtpTransaction(
              "localhost",
              "127.0.0.1",
              greenMail.getSmtp().getPort(),
              TlsPolicy.OPPORTUNISTIC,
              "sender@example.test",
              List.of("a@example.test", "b@example.test"),
              message.getBytes(StandardCharsets.US_ASCII));

      SmtpResult result = transport.send(tx).await().atMost(Duration.ofSeconds(20));

      assertThat(result.recipients().values()).allSatisfy(r -> assertThat(r.code()).isEqualTo(250));
      assertThat(greenMail.waitForIncomingEmail(5000, 2)).isTrue();
      MimeMessage received = greenMail.getReceivedMessages()[0];
      assertThat(received.getSubject()).isEqualTo("hello");
      assertThat(((String) received.getContent())).contains(".starts with a dot");
    } finally {
      vertx.close();
    }
  }
}
