package io.postwire.submission;

import static io.postwire.testing.Api.admin;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.RelayDeliveryTests;
import io.postwire.dkim.JdkimVerifier;
import io.postwire.smtp.server.SmtpHandler;
import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.postwire.testing.GreenMailResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import jakarta.activation.DataHandler;
import jakarta.inject.Inject;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SMTP submission end to end (API.md "SMTP submission"): Jakarta Mail as an independent client over
 * STARTTLS and implicit TLS, what GreenMail receives parsed by Jakarta Mail and its DKIM signature
 * verified by Apache jDKIM; every refusal and limit over a raw socket.
 */
@QuarkusTest
@TestProfile(SubmissionTests.Submission.class)
class SubmissionTests {

  /** Submission on with TLS and small limits; relay mode towards GreenMail. */
  public static class Submission implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(SubmissionResource.class));
    }

    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("postwire.api.rate-limit", "0.5", "postwire.api.rate-limit-burst", "4");
    }
  }

  @Inject Pool pool;

  @Inject SubmissionHandler handler;

  @BeforeEach
  void clean() throws Exception {
    GreenMailResource.greenMail.purgeEmailFromAllMailboxes();
  }

  static int port() {
    return SubmissionResource.port;
  }

  static String raw(String from, String to, String extraHeaders, String body) {
    return "From: "
        + from
        + "\r\nTo: "
        + to
        + "\r\nSubject: Hello\r\n"
        + extraHeaders
        + "\r\n"
        + body;
  }

  /** One whole transaction after AUTH; returns the reply to the end of data. */
  static String transaction(SmtpWire c, String from, List<String> to, String message)
      throws Exception {
    assertThat(c.command("MAIL FROM:<" + from + ">")).startsWith("250 2.1.0");
    for (String r : to) {
      assertThat(c.command("RCPT TO:<" + r + ">")).startsWith("250 2.1.5");
    }
    assertThat(c.command("DATA")).startsWith("354");
    c.write(
        message.replace("\r\n.", "\r\n..") + (message.endsWith("\r\n") ? "" : "\r\n") + ".\r\n");
    return c.reply();
  }

  long messagesOf(String domain) {
    return Db.count(pool, "select count(*) from message where domain = $1", domain);
  }

  Session jakartaSession(boolean implicitTls) {
    Properties p = new Properties();
    String proto = implicitTls ? "mail.smtps." : "mail.smtp.";
    p.put(proto + "host", "127.0.0.1");
    p.put(proto + "port", Integer.toString(implicitTls ? SubmissionResource.tlsPort : port()));
    p.put(proto + "auth", "true");
    p.put(proto + "ssl.trust", "*");
    p.put(proto + "ssl.checkserveridentity", "false");
    p.put(proto + "localhost", "client.test");
    if (!implicitTls) {
      p.put("mail.smtp.starttls.enable", "true");
      p.put("mail.smtp.starttls.required", "true");
    }
    return Session.getInstance(p);
  }

  @Test
  void jakartaMailSendsTextHtmlAttachmentsAnd8bitOverStartTls() throws Exception {
    String domain = Api.registerDomain();
    Session session = jakartaSession(false);
    List<MimeMessage> sent = new ArrayList<>();

    MimeMessage text = new MimeMessage(session);
    text.setFrom(new InternetAddress("alice@" + domain));
    text.setRecipients(Message.RecipientType.TO, "bob@example.org");
    text.setSubject("plain");
    text.setText("Hello Bob\nsecond line\n.a line starting with a dot\n", "US-ASCII");
    sent.add(text);

    MimeMessage html = new MimeMessage(session);
    html.setFrom(new InternetAddress("alice@" + domain));
    html.setRecipients(Message.RecipientType.TO, "carol@example.org");
    html.setSubject("html");
    html.setContent("<p>Hello <b>Carol</b></p>", "text/html; charset=UTF-8");
    sent.add(html);

    MimeMessage attached = new MimeMessage(session);
    attached.setFrom(new InternetAddress("alice@" + domain));
    attached.setRecipients(Message.RecipientType.TO, "dave@example.org");
    attached.setSubject("attachment");
    MimeMultipart mixed = new MimeMultipart();
    MimeBodyPart body = new MimeBodyPart();
    body.setText("see attached", "UTF-8");
    MimeBodyPart file = new MimeBodyPart();
    byte[] binary = new byte[3000];
    new Random(7).nextBytes(binary);
    file.setDataHandler(
        new DataHandler(new ByteArrayDataSource(binary, "application/octet-stream")));
    file.setFileName("data.bin");
    mixed.addBodyPart(body);
    mixed.addBodyPart(file);
    attached.setContent(mixed);
    sent.add(attached);

    MimeMessage eight = new MimeMessage(session);
    eight.setFrom(new InternetAddress("alice@" + domain));
    eight.setRecipients(Message.RecipientType.TO, "erin@example.org");
    eight.setSubject("8bit");
    eight.setText("Grüße aus Köln – ça va?\n", "UTF-8");
    eight.setHeader("Content-Transfer-Encoding", "8bit");
    sent.add(eight);

    for (MimeMessage m : sent) {
      // a key per message, so the send rate of this profile does not interfere
      String key = Api.scopedKey(domain);
      m.saveChanges();
      if (m == eight) {
        m.setHeader("Content-Transfer-Encoding", "8bit");
      }
      Properties props = session.getProperties();
      props.put("mail.smtp.allow8bitmime", "true");
      Transport.send(m, "any-user", key);
    }

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> GreenMailResource.greenMail.getReceivedMessages().length == 4);
    JdkimVerifier dkim = new JdkimVerifier(RelayDeliveryTests.keyRecords(domain));
    for (MimeMessage received : GreenMailResource.greenMail.getReceivedMessages()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      received.writeTo(bytes);
      byte[] wire = bytes.toByteArray();
      assertThat(dkim.accepts(wire)).as(dkim.lastResults).isTrue();
      MimeMessage parsed =
          new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(wire));
      switch (parsed.getSubject()) {
        case "plain" ->
            // line ends aside (the final one is the receiving server's)
            assertThat(((String) parsed.getContent()).replace("\r\n", "\n").stripTrailing())
                .isEqualTo("Hello Bob\nsecond line\n.a line starting with a dot");
        case "html" -> assertThat(parsed.getContent()).isEqualTo("<p>Hello <b>Carol</b></p>");
        case "attachment" -> {
          Multipart parts = (Multipart) parsed.getContent();
          assertThat(parts.getBodyPart(1).getFileName()).isEqualTo("data.bin");
          assertThat(parts.getBodyPart(1).getInputStream().readAllBytes()).isEqualTo(binary);
        }
        case "8bit" -> {
          assertThat(((String) parsed.getContent()).replace("\r\n", "\n").stripTrailing())
              .isEqualTo("Grüße aus Köln – ça va?");
          // re-encoded before signing: nothing 8-bit goes on
          for (byte b : wire) {
            assertThat(b & 0x80).isZero();
          }
        }
        default -> throw new AssertionError(parsed.getSubject());
      }
    }
  }

  @Test
  void implicitTlsPortAcceptsJakartaMail() throws Exception {
    String domain = Api.registerDomain();
    String key = Api.scopedKey(domain);
    Session session = jakartaSession(true);
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress("alice@" + domain));
    m.setRecipients(Message.RecipientType.TO, "bob@example.org");
    m.setSubject("implicit");
    m.setText("over TLS from the start\n");
    Transport t = session.getTransport("smtps");
    t.connect("someone", key);
    t.sendMessage(m, m.getAllRecipients());
    t.close();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> GreenMailResource.greenMail.getReceivedMessages().length == 1);
  }

  @Test
  void envelopeRecipientsAreTheRecipientsAndQueuedReplyNamesTheMessage() throws Exception {
    String domain = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      assertThat(c.login(Api.scopedKey(domain))).startsWith("235 2.7.0");
      String reply =
          transaction(
              c,
              "whatever@elsewhere.example",
              List.of("env@example.org"),
              raw("alice@" + domain, "header-only@example.org", "", "hi\r\n"));
      assertThat(reply).startsWith("250 2.0.0 queued as ");
      String id = reply.substring("250 2.0.0 queued as ".length()).trim();
      assertThat(
              Db.rows(
                      pool,
                      """
                      select r.recipient, m.mail_from from delivery r join message m
                      on m.id = r.message_id where m.id = $1""",
                      UUID.fromString(id))
                  .stream()
                  .map(r -> r.getString(0) + " " + r.getString(1))
                  .toList())
          .containsExactly("env@example.org alice@" + domain);
    }
  }

  @Test
  void authBeforeTlsIs538() throws Exception {
    try (SmtpWire c = SmtpWire.connect(port())) {
      // postwire.submission.hostname is unset: the greeting names postwire.delivery.ehlo-name
      assertThat(c.reply()).startsWith("220 postwire.test ESMTP");
      String ehlo = c.command("EHLO client.test");
      assertThat(ehlo).contains("STARTTLS").doesNotContain("AUTH");
      assertThat(c.command("AUTH PLAIN " + SmtpWire.plain("u", Api.ADMIN)))
          .startsWith("538 5.7.11");
    }
  }

  @Test
  void badKeyIs535AndMailBeforeAuthIs530() throws Exception {
    try (SmtpWire c = SmtpWire.connect(port())) {
      assertThat(c.login("pw_no_such_key_" + UUID.randomUUID())).startsWith("535 5.7.8");
      assertThat(c.command("MAIL FROM:<a@example.com>")).startsWith("530 5.7.0");
    }
  }

  @Test
  void unknownKeysFromOneAddressMeetTheFailedLookupLimit() {
    // the limiter of the API (postwire.api.failed-auth-rate, burst 20), for an address of its own
    SmtpHandler.SessionInfo from = new SmtpHandler.SessionInfo("192.0.2.77", "c", true, null);
    List<String> replies = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      var outcome =
          handler
              .authenticate(from, "u", "pw_unknown_" + UUID.randomUUID())
              .await()
              .atMost(Duration.ofSeconds(10));
      assertThat(outcome.identity()).isNull();
      replies.add(outcome.reply().wire());
    }
    assertThat(replies.get(0)).startsWith("535 5.7.8");
    assertThat(replies.get(replies.size() - 1)).startsWith("454 4.7.0");
  }

  @Test
  void authLoginWithCancelAndRetry() throws Exception {
    String domain = Api.registerDomain();
    String key = Api.scopedKey(domain);
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.secure();
      assertThat(c.command("AUTH LOGIN")).isEqualTo("334 VXNlcm5hbWU6");
      assertThat(c.command("*")).startsWith("501 5.0.0");
      String user = Base64.getEncoder().encodeToString("me".getBytes());
      assertThat(c.command("AUTH LOGIN " + user)).isEqualTo("334 UGFzc3dvcmQ6");
      assertThat(c.command(Base64.getEncoder().encodeToString(key.getBytes())))
          .startsWith("235 2.7.0");
    }
  }

  @Test
  void pipelinedTransactionIsAnsweredInOrder() throws Exception {
    String domain = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      c.write(
          "MAIL FROM:<x@"
              + domain
              + "> BODY=8BITMIME SIZE=100\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
              + "RCPT TO:<bad>\r\nDATA\r\n"
              + raw("alice@" + domain, "a@example.org", "", "piped\r\n")
              + ".\r\nNOOP\r\nRSET\r\nVRFY someone\r\nHELP\r\nQUIT\r\n");
      assertThat(c.reply()).startsWith("250 2.1.0");
      assertThat(c.reply()).startsWith("250 2.1.5");
      assertThat(c.reply()).startsWith("250 2.1.5");
      assertThat(c.reply()).startsWith("501 5.1.3");
      assertThat(c.reply()).startsWith("354");
      assertThat(c.reply()).startsWith("250 2.0.0 queued as");
      assertThat(c.reply()).startsWith("250 2.0.0");
      assertThat(c.reply()).startsWith("250 2.0.0");
      assertThat(c.reply()).startsWith("252 2.5.0");
      assertThat(c.reply()).startsWith("214 2.0.0");
      assertThat(c.reply()).startsWith("221 2.0.0");
    }
    assertThat(messagesOf(domain)).isEqualTo(1);
  }

  @Test
  void pipelinedCommandsAfterStartTlsAreDropped() throws Exception {
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.reply();
      c.command("EHLO client.test");
      c.write("STARTTLS\r\nNOOP\r\n");
      assertThat(c.reply()).startsWith("220 2.0.0");
      // the NOOP sent in the clear is never answered, and the session starts over
      c.upgrade();
      assertThat(c.command("MAIL FROM:<a@example.com>")).startsWith("503 5.5.1");
      assertThat(c.command("EHLO client.test")).contains("AUTH PLAIN LOGIN");
    }
  }

  @Test
  void fromDomainOutOfScopeIs550() throws Exception {
    String mine = Api.registerDomain();
    String other = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(mine));
      assertThat(
              transaction(
                  c,
                  "a@" + mine,
                  List.of("r@example.org"),
                  raw("a@" + other, "r@example.org", "", "x\r\n")))
          .startsWith("550 5.7.1");
      assertThat(
              transaction(
                  c,
                  "a@" + mine,
                  List.of("r@example.org"),
                  raw(
                      "a@unregistered-" + UUID.randomUUID() + ".example",
                      "r@example.org",
                      "",
                      "x\r\n")))
          .startsWith("550 5.7.1");
    }
    assertThat(messagesOf(other)).isZero();
  }

  @Test
  void aDomainPausedByTheReputationGuardIs550AndNothingIsStored() throws Exception {
    String paused = Api.registerDomain();
    Db.exec(
        pool,
        "update domain set sending_paused_since = now(), sending_paused_reason = 'test'"
            + " where name = $1",
        paused);
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.ADMIN);
      assertThat(
              transaction(
                  c,
                  "a@" + paused,
                  List.of("r@example.org"),
                  raw("a@" + paused, "r@example.org", "", "x\r\n")))
          .startsWith("550 5.7.1")
          .contains("paused");
    } finally {
      Db.exec(
          pool,
          "update domain set sending_paused_since = null, sending_paused_reason = null"
              + " where name = $1",
          paused);
    }
    assertThat(messagesOf(paused)).isZero();
  }

  @Test
  void invalidMessageIs554WithTheReason() throws Exception {
    String domain = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      String reply =
          transaction(c, "a@" + domain, List.of("r@example.org"), "Subject: no From\r\n\r\nx\r\n");
      assertThat(reply).startsWith("554 5.6.0").contains("From");
    }
    assertThat(messagesOf(domain)).isZero();
  }

  @Test
  void headerTagsAndMetadataMeetTheLimitsOfTheApi() throws Exception {
    String domain = Api.registerDomain();
    StringBuilder tags = new StringBuilder();
    for (int i = 0; i < 21; i++) {
      tags.append(i == 0 ? "" : ", ").append("t").append(i);
    }
    // over 10,000 characters as JSON, in header lines within the 1,000-octet line limit
    StringBuilder metadata = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      metadata.append("X-Postwire-Metadata-k").append(i).append(": ").append("m".repeat(900));
      metadata.append("\r\n");
    }
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      String tooMany =
          transaction(
              c,
              "a@" + domain,
              List.of("r@example.org"),
              "From: a@" + domain + "\r\nX-Postwire-Tag: " + tags + "\r\nSubject: t\r\n\r\nx\r\n");
      assertThat(tooMany).startsWith("554 5.6.0").contains("at most 20 tags");
      String bigMetadata =
          transaction(
              c,
              "a@" + domain,
              List.of("r@example.org"),
              "From: a@" + domain + "\r\n" + metadata + "Subject: t\r\n\r\nx\r\n");
      assertThat(bigMetadata).startsWith("554 5.6.0").contains("at most 10000 characters");
    }
    assertThat(messagesOf(domain)).isZero();
  }

  @Test
  void suppressedRecipientIsRefusedAtRcpt() throws Exception {
    String domain = Api.registerDomain();
    String address = "gone-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
    admin()
        .body(Map.of("reason", "manual", "domain", domain))
        .put("/v1/suppressions/" + address)
        .then()
        .statusCode(200);
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      assertThat(c.command("MAIL FROM:<a@" + domain + ">")).startsWith("250");
      assertThat(c.command("RCPT TO:<" + address + ">")).startsWith("550 5.7.1");
      assertThat(c.command("RCPT TO:<fine@example.org>")).startsWith("250 2.1.5");
    }
  }

  @Test
  void sizeLimitAtMailAndAtTheLimitAndOneOctetOver() throws Exception {
    String domain = Api.registerDomain();
    int max = SubmissionResource.MAX_SIZE;
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      assertThat(c.command("EHLO again")).contains("SIZE " + max);
      assertThat(c.command("MAIL FROM:<a@" + domain + "> SIZE=" + (max + 1)))
          .startsWith("552 5.3.4");
      String head = raw("a@" + domain, "r@example.org", "", "");
      StringBuilder body = new StringBuilder();
      // lines of 78 octets and CRLF until the content is exactly max octets
      while (head.length() + body.length() + 80 <= max) {
        body.append("x".repeat(78)).append("\r\n");
      }
      int rest = max - head.length() - body.length() - 2;
      body.append("y".repeat(rest)).append("\r\n");
      String exact = head + body;
      assertThat(exact.length()).isEqualTo(max);
      assertThat(transaction(c, "a@" + domain, List.of("r@example.org"), exact))
          .startsWith("250 2.0.0 queued as");
      String over = exact.substring(0, exact.length() - 2) + "z\r\n";
      assertThat(transaction(c, "a@" + domain, List.of("r@example.org"), over))
          .startsWith("552 5.3.4");
      // the session goes on after it
      assertThat(c.command("NOOP")).startsWith("250");
    }
    assertThat(messagesOf(domain)).isEqualTo(1);
  }

  @Test
  void linesTooLong() throws Exception {
    String domain = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      assertThat(c.command("NOOP " + "x".repeat(600))).startsWith("500 5.5.2");
      assertThat(
              transaction(
                  c,
                  "a@" + domain,
                  List.of("r@example.org"),
                  raw("a@" + domain, "r@example.org", "", "x".repeat(999) + "\r\n")))
          .startsWith("500 5.5.2");
      assertThat(
              transaction(
                  c,
                  "a@" + domain,
                  List.of("r@example.org"),
                  raw("a@" + domain, "r@example.org", "", "x".repeat(998) + "\r\n")))
          .startsWith("250 2.0.0");
    }
  }

  @Test
  void tooManyRecipientsIs452() throws Exception {
    String domain = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      c.command("MAIL FROM:<a@" + domain + ">");
      for (int i = 0; i < SubmissionResource.MAX_RECIPIENTS; i++) {
        assertThat(c.command("RCPT TO:<r" + i + "@example.org>")).startsWith("250");
      }
      assertThat(c.command("RCPT TO:<one-more@example.org>")).startsWith("452 4.5.3");
    }
  }

  @Test
  void idleClientGets421AndIsClosed() throws Exception {
    try (SmtpWire c = SmtpWire.connect(port())) {
      assertThat(c.reply()).startsWith("220");
      long start = System.nanoTime();
      assertThat(c.reply()).startsWith("421 4.4.2");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void connectionsPerAddressAreLimited() throws Exception {
    // the connections of earlier tests are gone first
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                given()
                    .get("/q/metrics")
                    .asString()
                    .contains("postwire_submission_connections_open 0.0"));
    List<SmtpWire> open = new ArrayList<>();
    try {
      for (int i = 0; i < SubmissionResource.MAX_PER_IP; i++) {
        SmtpWire c = SmtpWire.connect(port());
        open.add(c);
        assertThat(c.reply()).startsWith("220");
      }
      try (SmtpWire refused = SmtpWire.connect(port())) {
        assertThat(refused.reply()).startsWith("421 4.7.0");
        assertThat(refused.closedByServer()).isTrue();
      }
    } finally {
      for (SmtpWire c : open) {
        c.close();
      }
    }
    // once they are closed, a new one is welcome again
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              try (SmtpWire c = SmtpWire.connect(port())) {
                assertThat(c.reply()).startsWith("220");
              }
            });
  }

  @Test
  void tooManyBadCommandsCloseTheSession() throws Exception {
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.reply();
      for (int i = 0; i < 5; i++) {
        assertThat(c.command("BOGUS")).startsWith("500 5.5.2");
      }
      assertThat(c.command("BOGUS")).startsWith("421 4.7.0");
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void disconnectMidDataStoresNothing() throws Exception {
    String domain = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      c.command("MAIL FROM:<a@" + domain + ">");
      c.command("RCPT TO:<r@example.org>");
      assertThat(c.command("DATA")).startsWith("354");
      c.write(raw("a@" + domain, "r@example.org", "", "half a message\r\n"));
    }
    Thread.sleep(500);
    assertThat(messagesOf(domain)).isZero();
  }

  @Test
  void headersSetTagsMetadataAndIdempotencyAndAreRemoved() throws Exception {
    String domain = Api.registerDomain();
    String key = Api.scopedKey(domain);
    String idem = "idem-" + UUID.randomUUID();
    String message =
        raw(
            "a@" + domain,
            "r@example.org",
            "X-Postwire-Tag: welcome, spring\r\nX-Postwire-Metadata-userId: 42\r\n"
                + "X-Postwire-Idempotency-Key: "
                + idem
                + "\r\nMessage-ID: <fixed-"
                + idem
                + "@"
                + domain
                + ">\r\n",
            "body\r\n");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      try (SmtpWire c = SmtpWire.connect(port())) {
        c.login(key);
        String reply = transaction(c, "a@" + domain, List.of("r@example.org"), message);
        assertThat(reply).startsWith("250 2.0.0 queued as ");
        ids.add(reply.substring("250 2.0.0 queued as ".length()).trim());
      }
    }
    assertThat(ids.get(1)).isEqualTo(ids.get(0));
    assertThat(messagesOf(domain)).isEqualTo(1);
    var row =
        Db.rows(
                pool,
                "select tags, metadata::text from message where id = $1",
                UUID.fromString(ids.get(0)))
            .get(0);
    assertThat(row.getArrayOfStrings(0)).containsExactly("welcome", "spring");
    assertThat(row.getString(1)).isEqualTo("{\"userId\": \"42\"}");
    byte[] stored =
        Api.as(key)
            .get("/v1/messages/" + ids.get(0) + "/raw")
            .then()
            .statusCode(200)
            .extract()
            .asByteArray();
    assertThat(new String(stored, StandardCharsets.UTF_8)).doesNotContainIgnoringCase("X-Postwire");
  }

  @Test
  void rateLimitedSubmissionIs451() throws Exception {
    String domain = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      List<String> replies = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        replies.add(
            transaction(
                c,
                "a@" + domain,
                List.of("r@example.org"),
                raw("a@" + domain, "r@example.org", "", i + "\r\n")));
      }
      assertThat(replies).anyMatch(r -> r.startsWith("451 4.7.1"));
    }
  }

  @Test
  void databaseThatDoesNotServeIs451AndNothingIsStored() throws Exception {
    String domain = Api.registerDomain();
    String key = Api.scopedKey(domain);
    Duration wait = Duration.ofSeconds(10);
    SqlConnection holder = pool.getConnection().await().atMost(wait);
    Transaction tx = holder.begin().await().atMost(wait);
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(key);
      holder.query("lock table message in access exclusive mode").execute().await().atMost(wait);
      // the insert waits past postwire.api.statement-timeout (10 s), longer than the idle timeout
      String reply =
          transaction(
              c,
              "a@" + domain,
              List.of("r@example.org"),
              raw("a@" + domain, "r@example.org", "", "x\r\n"));
      assertThat(reply).startsWith("451 4.3.0");
    } finally {
      tx.rollback().await().atMost(wait);
      holder.close().await().atMost(wait);
    }
    assertThat(messagesOf(domain)).isZero();
  }

  @Test
  void metricsCountConnectionsSessionsAndMessages() throws Exception {
    String domain = Api.registerDomain();
    try (SmtpWire c = SmtpWire.connect(port())) {
      c.login(Api.scopedKey(domain));
      transaction(
          c,
          "a@" + domain,
          List.of("r@example.org"),
          raw("a@" + domain, "r@example.org", "", "m\r\n"));
      c.command("QUIT");
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              String metrics =
                  given().get("/q/metrics").then().statusCode(200).extract().asString();
              assertThat(metrics)
                  .contains("postwire_submission_connections_open ")
                  .contains("postwire_submission_connections_total")
                  .contains("postwire_submission_sessions_total{outcome=\"completed\"")
                  .contains(
                      "postwire_submission_messages_total{outcome=\"accepted\",reason=\"none\"");
            });
  }
}
