package io.postwire.delivery.smtp;

import static io.postwire.delivery.smtp.SmtpTestSupport.MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.testing.TestVertx;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.vertx.core.MultiMap;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.MailResult;
import io.vertx.ext.mail.SMTPException;
import io.vertx.ext.mail.StartTLSOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the Vert.x mail client (quarkus-mailer's) does with signed bytes and refused recipients: the
 * evidence behind {@link RelayMailClientTransport}'s design. If a Vert.x upgrade makes one of these
 * fail, that decision is worth revisiting.
 */
class VertxMailClientEvidenceTest {

  @RegisterExtension static final TestVertx VERTX = new TestVertx();

  private ScriptedSmtpServer server;
  private MailClient client;
  private MailConfig config;

  @BeforeEach
  void start() {
    server = ScriptedSmtpServer.start();
    config =
        new MailConfig()
            .setHostname("127.0.0.1")
            .setPort(server.port())
            .setStarttls(StartTLSOptions.DISABLED)
            .setOwnHostname("client.example.test")
            .setConnectTimeout(2000)
            .setIdleTimeout(5)
            .setIdleTimeoutUnit(TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    server.close();
  }

  @Test
  void carriesSignedBytesExactlyAsFixedHeadersAndALineFeedBody() throws Exception {
    client = MailClient.create(VERTX.get(), config.setAllowRcptErrors(true));

    send(signedMessage(List.of("a@example.test")));

    assertThat(server.messages().get(0).data())
        .isEqualTo(MESSAGE.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void allowRcptErrorsDropsTheRefusedRecipientsReply() throws Exception {
    server.rcpt("gone@example.test", "550 5.1.1 No such user");
    client = MailClient.create(VERTX.get(), config.setAllowRcptErrors(true));

    MailResult result = send(signedMessage(List.of("a@example.test", "gone@example.test")));

    // only the accepted recipient is listed: the 550 5.1.1 reply is nowhere in the result
    assertThat(result.getRecipients()).containsExactly("a@example.test");
    assertThat(result.toJson().encode()).doesNotContain("5.1.1");
  }

  @Test
  void refusedRecipientWithoutAllowRcptErrorsFailsAllAndLeavesTheConnectionInData() {
    server.rcpt("gone@example.test", "550 5.1.1 No such user");
    client = MailClient.create(VERTX.get(), config.setAllowRcptErrors(false));

    assertThatThrownBy(() -> send(signedMessage(List.of("a@example.test", "gone@example.test"))))
        .cause()
        .isInstanceOf(SMTPException.class)
        // the failure names no recipient
        .hasMessage("recipient address not accepted: 550 5.1.1 No such user");
    // DATA went out in the PIPELINING group and got 354; the connection is left there
    assertThat(server.commands()).endsWith("RCPT TO:<gone@example.test>", "DATA");
    assertThat(server.openConnections()).isEqualTo(1);
  }

  private MailResult send(MailMessage message) throws Exception {
    try {
      return client
          .sendMail(message)
          .toCompletionStage()
          .toCompletableFuture()
          .get(Duration.ofSeconds(10).toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new RuntimeException(e.getCause());
    }
  }

  /** {@link SmtpTestSupport#MESSAGE} split into fixed headers and an LF-only body. */
  private static MailMessage signedMessage(List<String> recipients) {
    int split = MESSAGE.indexOf("\r\n\r\n");
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (String field : MESSAGE.substring(0, split).split("\r\n(?![ \t])")) {
      int colon = field.indexOf(':');
      headers.add(field.substring(0, colon), field.substring(colon + 1).stripLeading());
    }
    return new MailMessage()
        .setFrom("bounce@example.test")
        .setTo(recipients)
        .setHeaders(headers)
        .setFixedHeaders(true)
        .setText(MESSAGE.substring(split + 4).replace("\r\n", "\n"));
  }
}
