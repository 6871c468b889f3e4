package io.postwire.delivery.smtp;

import static io.postwire.delivery.smtp.SmtpTestSupport.HOST;
import static io.postwire.delivery.smtp.SmtpTestSupport.MESSAGE;
import static io.postwire.delivery.smtp.SmtpTestSupport.fastOptions;
import static io.postwire.delivery.smtp.SmtpTestSupport.send;
import static io.postwire.delivery.smtp.SmtpTestSupport.tx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.postwire.testing.Ports;
import io.postwire.testing.TestVertx;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.postwire.testing.smtp.ScriptedSmtpServer.Phase;
import io.postwire.testing.smtp.TestCertificates;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.Cancellable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link DirectSmtpTransport} against {@link ScriptedSmtpServer}: RFC 5321 outcomes. */
class DirectSmtpTransportTest {

  @RegisterExtension static final TestVertx VERTX = new TestVertx();

  private static TestCertificates ca;
  private ScriptedSmtpServer server;
  private DirectSmtpTransport transport;

  @BeforeAll
  static void newAuthority() {
    ca = TestCertificates.newAuthority();
  }

  @BeforeEach
  void start() {
    server = ScriptedSmtpServer.start();
    transport = new DirectSmtpTransport(VERTX.get(), fastOptions());
  }

  @AfterEach
  void stop() {
    transport.close();
    server.close();
  }

  @Test
  void deliversTheExactBytesWithDotStuffingUndoneByTheServer_rfc5321_4_5_2() {
    SmtpResult result =
        send(transport, tx(server, TlsPolicy.NONE, "a@example.test", "b@example.test"));

    assertThat(result.recipients()).hasSize(2);
    assertThat(result.recipients().values()).allSatisfy(r -> assertThat(r.code()).isEqualTo(250));
    assertThat(result.reply("a@example.test").enhancedCode()).isEqualTo("2.0.0");
    assertThat(result.ip()).isEqualTo("127.0.0.1");
    assertThat(result.host()).isEqualTo(HOST);
    assertThat(result.tls()).isFalse();
    ScriptedSmtpServer.Received m = server.messages().get(0);
    assertThat(m.data()).isEqualTo(MESSAGE.getBytes(StandardCharsets.US_ASCII));
    assertThat(m.mailFrom()).isEqualTo("bounce@example.test");
    assertThat(m.recipients()).containsExactly("a@example.test", "b@example.test");
    assertThat(server.commands())
        .anyMatch(c -> c.startsWith("MAIL FROM:<bounce@example.test> SIZE="));
  }

  @Test
  void appendsTheMissingFinalLineEndBeforeTheDot_rfc5321_4_1_1_4() {
    SmtpTransaction t = tx(server, TlsPolicy.NONE, "a@example.test");
    byte[] body = "Subject: x\r\n\r\nno final CRLF".getBytes(StandardCharsets.US_ASCII);
    SmtpTransaction noEol =
        new SmtpTransaction(
            t.host(), t.address(), t.port(), t.tls(), t.mailFrom(), t.recipients(), body);

    assertThat(send(transport, noEol).reply("a@example.test").code()).isEqualTo(250);
    assertThat(server.messages().get(0).text()).isEqualTo("Subject: x\r\n\r\nno final CRLF\r\n");
  }

  @Test
  void dotStuffsALineThatStartsInTheMessageRightAfterItsHead_rfc5321_4_5_2() {
    SmtpTransaction t = tx(server, TlsPolicy.NONE, "a@example.test");
    byte[] head =
        "DKIM-Signature: v=1; d=example.test;\r\n\tb=xyz=\r\n".getBytes(StandardCharsets.US_ASCII);
    // a lone "." right after the head would end the data early if it were not stuffed
    byte[] body = ".\r\nSubject: x\r\n\r\n.hidden\r\n".getBytes(StandardCharsets.US_ASCII);
    SmtpTransaction split =
        new SmtpTransaction(
            t.host(), t.address(), t.port(), t.tls(), t.mailFrom(), t.recipients(), head, body);

    assertThat(send(transport, split).reply("a@example.test").code()).isEqualTo(250);
    assertThat(server.messages().get(0).data()).isEqualTo(concat(head, body));
    assertThat(server.commands())
        .contains("MAIL FROM:<bounce@example.test> SIZE=" + (head.length + body.length));
  }

  @Test
  void sendsAHeadAndALargeMessageAcrossManyBlocksByteForByte_rfc5321_4_5_2() {
    SmtpTransaction t = tx(server, TlsPolicy.NONE, "a@example.test");
    // a head that ends a few octets short of a block, then lines that all start with a dot
    byte[] head =
        ("X-Pad: " + "p".repeat(32 * 1024 - 12) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    StringBuilder text = new StringBuilder("Subject: dots\r\n\r\n");
    for (int i = 0; i < 20_000; i++) {
      text.append(".line ").append(i).append("\r\n");
    }
    byte[] body = text.toString().getBytes(StandardCharsets.US_ASCII);
    SmtpTransaction split =
        new SmtpTransaction(
            t.host(), t.address(), t.port(), t.tls(), t.mailFrom(), t.recipients(), head, body);

    assertThat(send(transport, split).reply("a@example.test").code()).isEqualTo(250);
    assertThat(server.messages().get(0).data()).isEqualTo(concat(head, body));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  @ParameterizedTest(name = "pipelining={0}")
  @ValueSource(booleans = {true, false})
  void keepsEveryRecipientsOwnReplyInAMixedTransaction_rfc5321_3_3(boolean pipelining) {
    server
        .pipelining(pipelining)
        .rcpt("gone@example.test", "550 5.1.1 No such user")
        .rcpt("policy@example.test", "550 5.7.1 Relaying denied")
        .rcpt("busy@example.test", "450 4.2.0 Mailbox busy")
        .rcpt("full@example.test", "452 4.5.3 Too many recipients")
        .rcpt("grey@example.test", "451 4.7.1 Greylisted, try again in 5 minutes")
        .rcpt("quota@example.test", "552 5.2.2 Mailbox full");

    SmtpResult result =
        send(
            transport,
            tx(
                server,
                TlsPolicy.NONE,
                "ok@example.test",
                "gone@example.test",
                "policy@example.test",
                "busy@example.test",
                "full@example.test",
                "grey@example.test",
                "quota@example.test",
                "ok2@example.test"));

    assertThat(result.reply("ok@example.test").code()).isEqualTo(250);
    assertThat(result.reply("ok2@example.test").code()).isEqualTo(250);
    assertThat(result.reply("gone@example.test"))
        .isEqualTo(new SmtpReply(550, "5.1.1", "No such user"));
    assertThat(result.reply("policy@example.test").enhancedCode()).isEqualTo("5.7.1");
    assertThat(result.reply("busy@example.test"))
        .isEqualTo(new SmtpReply(450, "4.2.0", "Mailbox busy"));
    assertThat(result.reply("full@example.test").code()).isEqualTo(452);
    assertThat(result.reply("grey@example.test").transientFailure()).isTrue();
    assertThat(result.reply("grey@example.test").retryAfter()).contains(Duration.ofMinutes(5));
    // RFC 5321 §4.5.3.1.10: 552 to RCPT is taken as 452
    assertThat(result.reply("quota@example.test").code()).isEqualTo(452);
    assertThat(result.reply("quota@example.test").enhancedCode()).isEqualTo("4.2.2");
    assertThat(result.reply("quota@example.test").text()).startsWith("Mailbox full (552 to RCPT");
    assertThat(server.messages()).hasSize(1);
    assertThat(server.messages().get(0).recipients())
        .containsExactly("ok@example.test", "ok2@example.test");
  }

  @Test
  void endOfDataReplyAppliesToEveryAcceptedRecipientOnly_rfc5321_4_2_5() {
    server
        .rcpt("gone@example.test", "550 5.1.1 No such user")
        .reply(Phase.DATA_END, "552 5.3.4 Message size exceeds fixed limit");

    SmtpResult result =
        send(
            transport,
            tx(server, TlsPolicy.NONE, "a@example.test", "gone@example.test", "b@example.test"));

    assertThat(result.reply("a@example.test"))
        .isEqualTo(new SmtpReply(552, "5.3.4", "Message size exceeds fixed limit"));
    assertThat(result.reply("b@example.test").code()).isEqualTo(552);
    assertThat(result.reply("gone@example.test").code()).isEqualTo(550);
    assertThat(server.commands()).contains("RSET");
  }

  @Test
  void sendsNoDataWhenEveryRecipientIsRefusedAndResetsForReuse_rfc5321_3_3() {
    server.reply(Phase.RCPT, "550 5.1.1 No such user");

    SmtpResult result =
        send(transport, tx(server, TlsPolicy.NONE, "a@example.test", "b@example.test"));

    assertThat(result.recipients().values()).allSatisfy(r -> assertThat(r.code()).isEqualTo(550));
    assertThat(server.commands()).doesNotContain("DATA").contains("RSET");
    server.reply(Phase.RCPT, "250 2.1.5 Ok");
    assertThat(
            send(transport, tx(server, TlsPolicy.NONE, "a@example.test"))
                .reply("a@example.test")
                .code())
        .isEqualTo(250);
    assertThat(server.connectionsAccepted()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "421 4.3.2 Service not available, try again later",
        "554 5.7.1 No SMTP service here"
      })
  void aRefusingGreetingIsTheReplyForEveryRecipient_rfc5321_3_1(String greeting) {
    server.reply(Phase.GREETING, greeting);

    SmtpResult result =
        send(transport, tx(server, TlsPolicy.NONE, "a@example.test", "b@example.test"));

    SmtpReply expected = SmtpReplies.parse(greeting);
    assertThat(result.recipients()).containsValues(expected, expected).hasSize(2);
    assertThat(result.reply("a@example.test").retryAfter()).isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
    assertThat(transport.openConnections(HOST)).isZero();
  }

  @Test
  void refusedSenderIsTheReplyForEveryRecipient_rfc5321_4_1_1_2() {
    server.reply(Phase.MAIL, "553 5.7.1 Sender address rejected");

    SmtpResult result =
        send(transport, tx(server, TlsPolicy.NONE, "a@example.test", "b@example.test"));

    assertThat(result.recipients().values())
        .containsOnly(new SmtpReply(553, "5.7.1", "Sender address rejected"));
    assertThat(server.commands()).doesNotContain("DATA");
  }

  @Test
  void refusedDataCommandIsTheReplyForAcceptedRecipients_rfc5321_4_1_1_4() {
    server.reply(Phase.DATA, "451 4.3.0 Try again in 30 seconds");

    SmtpResult result = send(transport, tx(server, TlsPolicy.NONE, "a@example.test"));

    assertThat(result.reply("a@example.test").code()).isEqualTo(451);
    assertThat(result.reply("a@example.test").retryAfter()).contains(Duration.ofSeconds(30));
  }

  @Test
  void fallsBackToHeloWhenEhloIsNotRecognised_rfc5321_4_1_4() {
    server.reply(Phase.EHLO, "502 5.5.2 Command not recognized");

    SmtpResult result = send(transport, tx(server, TlsPolicy.NONE, "a@example.test"));

    assertThat(result.reply("a@example.test").code()).isEqualTo(250);
    assertThat(server.commands()).contains("HELO client.example.test");
    // without EHLO there is no PIPELINING and no SIZE
    assertThat(server.commands()).contains("MAIL FROM:<bounce@example.test>");
  }

  @Test
  void droppedConnectionDuringDataIsTransientForAcceptedRecipients() {
    server.dropDuringData().rcpt("gone@example.test", "550 5.1.1 No such user");

    SmtpResult result =
        send(transport, tx(server, TlsPolicy.NONE, "a@example.test", "gone@example.test"));

    assertThat(result.reply("a@example.test").code()).isZero();
    assertThat(result.reply("a@example.test").transientFailure()).isTrue();
    assertThat(result.reply("gone@example.test").code()).isEqualTo(550);
    assertThat(transport.openConnections(HOST)).isZero();
  }

  @ParameterizedTest(name = "stall at {0}")
  @EnumSource(
      value = Phase.class,
      names = {"GREETING", "EHLO", "MAIL", "RCPT", "DATA", "DATA_END"})
  void aStalledServerTimesOutAndTheConnectionIsClosed_rfc5321_4_5_3_2(Phase phase) {
    server.stall(phase);
    long t0 = System.nanoTime();

    SmtpResult result = send(transport, tx(server, TlsPolicy.NONE, "a@example.test"));

    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
    SmtpReply reply = result.reply("a@example.test");
    assertThat(reply.code()).isZero();
    assertThat(reply.text()).startsWith("timeout").contains("within PT2S");
    await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
    assertThat(transport.openConnections(HOST)).isZero();
  }

  @Test
  void refusedConnectionIsTransientWithTheAddressSet() throws Exception {
    int closedPort = Ports.free();
    SmtpTransaction t = tx(server, TlsPolicy.NONE, "a@example.test", "b@example.test");
    SmtpTransaction refused =
        new SmtpTransaction(
            t.host(), "127.0.0.1", closedPort, t.tls(), t.mailFrom(), t.recipients(), t.message());

    SmtpResult result = send(transport, refused);

    assertThat(result.ip()).isEqualTo("127.0.0.1");
    assertThat(result.recipients().values())
        .allSatisfy(
            r -> {
              assertThat(r.code()).isZero();
              assertThat(r.text()).contains("cannot connect to 127.0.0.1");
            });
    assertThat(transport.openConnections(HOST)).isZero();
  }

  @Test
  void deliversOverIpv6Loopback() {
    try (ScriptedSmtpServer v6 = ScriptedSmtpServer.start(InetAddress.getByName("::1"))) {
      SmtpResult result = send(transport, tx(v6, TlsPolicy.NONE, "a@example.test"));

      assertThat(result.reply("a@example.test").code()).isEqualTo(250);
      assertThat(result.ip()).isEqualTo(v6.address());
      assertThat(v6.messages()).hasSize(1);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  // ---- STARTTLS (RFC 3207) ----

  @Test
  void opportunisticTlsAcceptsASelfSignedCertificate_rfc3207() {
    server.starttls(TestCertificates.selfSignedServerContext(HOST));

    SmtpResult result = send(transport, tx(server, TlsPolicy.OPPORTUNISTIC, "a@example.test"));

    assertThat(result.reply("a@example.test").code()).isEqualTo(250);
    assertThat(result.tls()).isTrue();
    assertThat(result.tlsFailed()).isFalse();
    assertThat(server.messages().get(0).tls()).isTrue();
    // RFC 3207 §4.2: EHLO again after the handshake
    assertThat(server.commands().stream().filter(c -> c.startsWith("EHLO"))).hasSize(2);
  }

  @Test
  void opportunisticTlsGoesOnInPlaintextWhenNotOffered() {
    SmtpResult result = send(transport, tx(server, TlsPolicy.OPPORTUNISTIC, "a@example.test"));

    assertThat(result.reply("a@example.test").code()).isEqualTo(250);
    assertThat(result.tls()).isFalse();
  }

  @Test
  void failedTlsHandshakeIsReportedForAPlaintextRetry() {
    server.failTlsHandshake();

    SmtpResult result =
        send(transport, tx(server, TlsPolicy.OPPORTUNISTIC, "a@example.test", "b@example.test"));

    assertThat(result.tlsFailed()).isTrue();
    assertThat(result.recipients().values())
        .allSatisfy(
            r -> {
              assertThat(r.code()).isZero();
              assertThat(r.text()).contains("TLS handshake with " + HOST + " failed");
            });
    assertThat(server.messages()).isEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
    assertThat(transport.openConnections(HOST)).isZero();
  }

  @Test
  void requiredTlsWithoutStarttlsOfferIsTransientForEveryRecipient() {
    SmtpResult result =
        send(transport, tx(server, TlsPolicy.REQUIRED, "a@example.test", "b@example.test"));

    assertThat(result.recipients().values())
        .allSatisfy(
            r -> {
              assertThat(r.code()).isZero();
              assertThat(r.text()).contains("does not offer STARTTLS");
            });
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
  }

  @Test
  void requiredTlsTakesASelfSignedCertificate() {
    server.starttls(TestCertificates.selfSignedServerContext(HOST));

    SmtpResult result = send(transport, tx(server, TlsPolicy.REQUIRED, "a@example.test"));

    assertThat(result.tls()).as("%s", result).isTrue();
    assertThat(result.reply("a@example.test").code()).isEqualTo(250);
  }

  @Test
  void verifiedTlsRefusesASelfSignedCertificate() {
    server.starttls(TestCertificates.selfSignedServerContext(HOST));

    SmtpResult result = send(transport, tx(server, TlsPolicy.REQUIRED_VERIFIED, "a@example.test"));

    assertThat(result.tlsFailed()).isTrue();
    assertThat(result.reply("a@example.test").code()).isZero();
    assertThat(server.messages()).isEmpty();
  }

  @Test
  void verifiedTlsPassesWithTheTrustedAuthorityAndTheRightName() {
    server.starttls(ca.serverContext(HOST));
    try (DirectSmtpTransport verifying =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withTrustStore(ca.trustStore()))) {

      SmtpResult result =
          send(verifying, tx(server, TlsPolicy.REQUIRED_VERIFIED, "a@example.test"));

      assertThat(result.tls()).isTrue();
      assertThat(result.reply("a@example.test").code()).isEqualTo(250);
      assertThat(server.messages().get(0).tls()).isTrue();
    }
  }

  @Test
  void verifiedTlsRefusesATrustedCertificateForAnotherName() {
    server.starttls(ca.serverContext("other.example.test"));
    try (DirectSmtpTransport verifying =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withTrustStore(ca.trustStore()))) {

      SmtpResult result =
          send(verifying, tx(server, TlsPolicy.REQUIRED_VERIFIED, "a@example.test"));

      assertThat(result.tlsFailed()).isTrue();
      assertThat(result.reply("a@example.test").code()).isZero();
      assertThat(server.messages()).isEmpty();
    }
  }

  // ---- AUTH (RFC 4954) ----

  @Test
  void authenticatesWithPlainAfterStarttls_rfc4954() {
    server
        .starttls(TestCertificates.selfSignedServerContext(HOST))
        .requireAuth("relay-user", "s3cret");
    try (DirectSmtpTransport relay =
        new DirectSmtpTransport(
            VERTX.get(), fastOptions().withCredentials("relay-user", "s3cret"))) {

      SmtpResult result = send(relay, tx(server, TlsPolicy.REQUIRED, "a@example.test"));

      assertThat(result.reply("a@example.test").code()).isEqualTo(250);
      assertThat(server.messages().get(0).authUser()).isEqualTo("relay-user");
      assertThat(server.messages().get(0).tls()).isTrue();
    }
  }

  @Test
  void refusedCredentialsAreTransientForEveryRecipient() {
    server.requireAuth("relay-user", "s3cret");
    try (DirectSmtpTransport relay =
        new DirectSmtpTransport(
            VERTX.get(),
            fastOptions().withCredentials("relay-user", "wrong").withPlaintextAuth(true))) {

      SmtpResult result = send(relay, tx(server, TlsPolicy.NONE, "a@example.test"));

      assertThat(result.reply("a@example.test").code()).isZero();
      assertThat(result.reply("a@example.test").text()).contains("AUTH refused: 535 5.7.8");
    }
  }

  // ---- hostile peers ----

  @Test
  void anEndlessEhloReplyIsAProtocolErrorThatDefersAndCloses_rfc5321_4_5_3_1_5() {
    server.endlessReply(Phase.EHLO);

    SmtpResult result =
        send(transport, tx(server, TlsPolicy.NONE, "a@example.test", "b@example.test"));

    assertThat(result.recipients().values())
        .allSatisfy(
            r -> {
              assertThat(r.transientFailure()).isTrue();
              assertThat(r.text()).contains("protocol error").contains("longer than 100 lines");
            });
    await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
    assertThat(transport.openConnections(HOST)).isZero();
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
  }

  @Test
  void aPooledConnectionThatSpeaksUnaskedIsClosedNotBuffered() {
    server.chatterAfterMessage("250-unasked\n250 and more");

    assertThat(
            send(transport, tx(server, TlsPolicy.NONE, "a@example.test"))
                .reply("a@example.test")
                .code())
        .isEqualTo(250);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
    server.chatterAfterMessage(null);
    assertThat(
            send(transport, tx(server, TlsPolicy.NONE, "b@example.test"))
                .reply("b@example.test")
                .code())
        .isEqualTo(250);
    assertThat(server.connectionsAccepted()).isEqualTo(2);
  }

  @Test
  void anEnvelopeAnsweredOneRcptAtATimeJustInTimeHitsItsOneDeadline() {
    // 2 s per reply, so 4 s for MAIL and every RCPT together; each RCPT takes 1.5 s
    server.slowRcpt(Duration.ofMillis(1500));

    SmtpResult result =
        send(
            transport,
            tx(
                server,
                TlsPolicy.NONE,
                "a@example.test",
                "b@example.test",
                "c@example.test",
                "d@example.test"));

    assertThat(result.recipients().values())
        .allSatisfy(
            r -> {
              assertThat(r.transientFailure()).isTrue();
              assertThat(r.text()).startsWith("timeout: MAIL and RCPT");
            });
    assertThat(server.messages()).isEmpty();
  }

  // ---- pooling ----

  @Test
  void reusesTheConnectionForTheNextTransactionWithoutRset_rfc5321_3_3() {
    for (int i = 0; i < 3; i++) {
      assertThat(
              send(transport, tx(server, TlsPolicy.NONE, "a@example.test"))
                  .reply("a@example.test")
                  .code())
          .isEqualTo(250);
    }

    assertThat(server.connectionsAccepted()).isEqualTo(1);
    assertThat(server.messages())
        .extracting(ScriptedSmtpServer.Received::connection)
        .containsOnly(1);
    assertThat(server.commands()).doesNotContain("RSET");
    assertThat(transport.idleConnections(HOST)).isEqualTo(1);
  }

  @Test
  void replacesAPooledConnectionTheServerClosedWhileIdle() {
    server.dropAfterMessage();

    send(transport, tx(server, TlsPolicy.NONE, "a@example.test"));
    SmtpResult second = send(transport, tx(server, TlsPolicy.NONE, "b@example.test"));

    assertThat(second.reply("b@example.test").code()).isEqualTo(250);
    assertThat(server.messages())
        .extracting(ScriptedSmtpServer.Received::connection)
        .containsExactly(1, 2);
  }

  @Test
  void opensANewConnectionAfterMaxMessagesPerConnection() {
    DirectSmtpTransport limited =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withPool(10, 100, 2, 10));
    try (limited) {
      for (int i = 0; i < 5; i++) {
        SmtpResult r = send(limited, tx(server, TlsPolicy.NONE, "a@example.test"));
        assertThat(r.reply("a@example.test").code()).as("send %d: %s", i, r).isEqualTo(250);
      }
    }

    assertThat(server.messages()).hasSize(5);
    assertThat(server.messages())
        .extracting(ScriptedSmtpServer.Received::connection)
        .containsExactly(1, 1, 2, 2, 3);
    // a retired connection says QUIT after its last reply: the server may read it a little later
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(server.commands().stream().filter("QUIT"::equals))
                    .hasSizeGreaterThanOrEqualTo(2));
  }

  @Test
  void readsTheGreetingOfEveryConnectionOpenedFromAThreadOutsideVertx() {
    // one message per connection, so every send connects anew from this (non-Vert.x) thread
    DirectSmtpTransport oneEach =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withPool(10, 100, 1, 10));
    try (oneEach) {
      for (int i = 0; i < 300; i++) {
        SmtpResult r = send(oneEach, tx(server, TlsPolicy.NONE, "a@example.test"));
        assertThat(r.reply("a@example.test").code()).as("send %d: %s", i, r).isEqualTo(250);
      }
    }
    assertThat(server.connectionsAccepted()).isEqualTo(300);
  }

  @Test
  void neverExceedsTheConnectionLimitPerHostUnderFiftyConcurrentSends() {
    DirectSmtpTransport limited =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withPool(3, 100, 1000, 10));
    try (limited) {
      List<SmtpResult> results =
          Multi.createFrom()
              .range(0, 50)
              .onItem()
              .transformToUniAndMerge(
                  i -> limited.send(tx(server, TlsPolicy.NONE, "r" + i + "@example.test")))
              .collect()
              .asList()
              .await()
              .atMost(Duration.ofSeconds(60));

      assertThat(results).hasSize(50);
      assertThat(results)
          .allSatisfy(
              r -> assertThat(r.recipients().values().iterator().next().code()).isEqualTo(250));
      assertThat(server.messages()).hasSize(50);
      assertThat(server.maxOpenConnections()).isBetween(1, 3);
      assertThat(limited.openConnections(HOST)).isLessThanOrEqualTo(3);
      assertThat(limited.queuedTransactions(HOST)).isZero();
    }
  }

  @Test
  void holdsTheConnectionLimitPerAddressAcrossHostNames() {
    server.slowDataEnd(Duration.ofMillis(100));
    DirectSmtpTransport limited =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withPool(2, 100, 1000, 10));
    try (limited) {
      // five MX names, one address: receivers count connections per client IP
      List<SmtpResult> results =
          Multi.createFrom()
              .range(0, 20)
              .onItem()
              .transformToUniAndMerge(
                  i -> {
                    SmtpTransaction t = tx(server, TlsPolicy.NONE, "r" + i + "@example.test");
                    return limited.send(
                        new SmtpTransaction(
                            "mx" + (i % 5) + ".example.test",
                            t.address(),
                            t.port(),
                            t.tls(),
                            t.mailFrom(),
                            t.recipients(),
                            t.message()));
                  })
              .collect()
              .asList()
              .await()
              .atMost(Duration.ofSeconds(60));

      assertThat(results)
          .allSatisfy(
              r -> assertThat(r.recipients().values().iterator().next().code()).isEqualTo(250));
      assertThat(server.messages()).hasSize(20);
      assertThat(server.maxOpenConnections()).isBetween(1, 2);
    }
  }

  /** Receivers throttle per client IP: MX names sharing an address share its rate too. */
  @Test
  void holdsTheRatePerAddressAcrossHostNames() {
    SmtpTransaction t = tx(server, TlsPolicy.NONE, "r@example.test");
    HostLimits onePerMinute = new HostLimits(10, 100, 1, Duration.ofSeconds(60));
    Function<String, SmtpTransaction> via =
        host ->
            new SmtpTransaction(
                host, t.address(), t.port(), t.tls(), t.mailFrom(), t.recipients(), t.message());

    SmtpResult first =
        transport
            .send(via.apply("mx1.example.test"), onePerMinute)
            .await()
            .atMost(Duration.ofSeconds(30));
    SmtpResult second =
        transport
            .send(via.apply("mx2.example.test"), onePerMinute)
            .await()
            .atMost(Duration.ofSeconds(30));

    assertThat(first.recipients().get("r@example.test").code()).isEqualTo(250);
    SmtpReply limited = second.recipients().get("r@example.test");
    assertThat(limited.transientFailure()).isTrue();
    assertThat(limited.text()).contains("rate limit of 1/min");
    assertThat(server.messages()).hasSize(1);
  }

  @Test
  void aTransactionWaitingForAConnectionGivesUpAfterTheQueueTimeout() {
    server.stall(Phase.DATA_END);
    DirectSmtpTransport one =
        new DirectSmtpTransport(
            VERTX.get(),
            fastOptions().withPool(1, 10, 100, 10).withQueueTimeout(Duration.ofMillis(300)));
    try (one) {
      List<SmtpResult> results =
          Multi.createFrom()
              .range(0, 2)
              .onItem()
              .transformToUniAndMerge(
                  i -> one.send(tx(server, TlsPolicy.NONE, "r" + i + "@example.test")))
              .collect()
              .asList()
              .await()
              .atMost(Duration.ofSeconds(30));

      // the first holds the only connection until the 2 s timeout; the second stops waiting first
      SmtpResult waited =
          results.stream()
              .filter(r -> r.recipients().values().iterator().next().text().startsWith("no conn"))
              .findFirst()
              .orElseThrow();
      assertThat(waited.recipients().values().iterator().next().transientFailure()).isTrue();
      assertThat(waited.durationMs()).isLessThan(1500);
      assertThat(one.queuedTransactions(HOST)).isZero();
    }
  }

  @Test
  void aCancelledTransactionWaitingForAConnectionLeavesTheQueueAtOnce() {
    server.stall(Phase.DATA_END);
    // the first transaction holds the only connection for 10 s; the queue timeout is 2 minutes
    DirectSmtpTransport one =
        new DirectSmtpTransport(
            VERTX.get(),
            fastOptions().withTimeouts(Duration.ofSeconds(10)).withPool(1, 10, 100, 10));
    try (one) {
      one.send(tx(server, TlsPolicy.NONE, "first@example.test")).subscribe().with(r -> {});
      await().atMost(Duration.ofSeconds(5)).until(() -> server.connectionsAccepted() == 1);
      Cancellable second =
          one.send(tx(server, TlsPolicy.NONE, "second@example.test")).subscribe().with(r -> {});
      await().atMost(Duration.ofSeconds(5)).until(() -> one.queuedTransactions(HOST) == 1);

      second.cancel();

      await().atMost(Duration.ofSeconds(1)).until(() -> one.queuedTransactions(HOST) == 0);
      assertThat(one.openConnections(HOST)).isEqualTo(1);
      assertThat(server.connectionsAccepted()).isEqualTo(1);
    }
  }

  @Test
  void aCancelledTransactionClosesItsConnection() {
    server.stall(Phase.GREETING);
    DirectSmtpTransport patient =
        new DirectSmtpTransport(VERTX.get(), SmtpClientOptions.defaults("client.example.test"));
    try (patient) {
      SmtpResult result =
          patient
              .send(tx(server, TlsPolicy.NONE, "a@example.test"))
              .ifNoItem()
              .after(Duration.ofMillis(500))
              .recoverWithItem((SmtpResult) null)
              .await()
              .atMost(Duration.ofSeconds(10));

      assertThat(result).isNull();
      // the 5 minute greeting timeout would keep it open; the cancel closes it now
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  server.connectionsAccepted() == 1
                      && server.openConnections() == 0
                      && patient.openConnections(HOST) == 0);
    }
  }

  @Test
  void refusesBeyondTheWaitingQueueInsteadOfGrowingIt() {
    server.stall(Phase.DATA_END);
    DirectSmtpTransport tiny =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withPool(1, 1, 100, 10));
    try (tiny) {
      List<SmtpResult> results =
          Multi.createFrom()
              .range(0, 3)
              .onItem()
              .transformToUniAndMerge(
                  i -> tiny.send(tx(server, TlsPolicy.NONE, "r" + i + "@example.test")))
              .collect()
              .asList()
              .await()
              .atMost(Duration.ofSeconds(30));

      assertThat(results)
          .filteredOn(
              r ->
                  r.recipients()
                      .values()
                      .iterator()
                      .next()
                      .text()
                      .startsWith("too many transactions waiting"))
          .hasSize(1);
    }
  }

  @Test
  void closesIdleConnectionsWithQuitAfterTheIdleTimeout() {
    DirectSmtpTransport quick =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withIdleTimeout(Duration.ofMillis(300)));
    try (quick) {
      send(quick, tx(server, TlsPolicy.NONE, "a@example.test"));

      // the server and the transport each see the close in their own time
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> server.openConnections() == 0 && quick.openConnections(HOST) == 0);
      assertThat(server.commands()).endsWith("QUIT");
    }
  }

  @Test
  void boundsTheNumberOfHostPoolsAndClosesTheEvictedIdleConnections() {
    DirectSmtpTransport few =
        new DirectSmtpTransport(VERTX.get(), fastOptions().withPool(10, 10, 100, 2));
    try (few) {
      IntStream.range(0, 4)
          .forEach(
              i -> {
                SmtpTransaction t = tx(server, TlsPolicy.NONE, "a@example.test");
                send(
                    few,
                    new SmtpTransaction(
                        "mx" + i + ".example.test",
                        t.address(),
                        t.port(),
                        t.tls(),
                        t.mailFrom(),
                        t.recipients(),
                        t.message()));
              });

      assertThat(few.hostPools()).isEqualTo(2);
      await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 2);
    }
  }

  @Test
  void closeSendsQuitOnIdleConnections() {
    send(transport, tx(server, TlsPolicy.NONE, "a@example.test"));
    assertThat(server.openConnections()).isEqualTo(1);

    transport.close();

    await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 0);
    assertThat(server.commands()).endsWith("QUIT");
  }
}
