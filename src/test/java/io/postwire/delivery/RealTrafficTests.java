package io.postwire.delivery;

import static io.postwire.delivery.RelayDeliveryTests.keyRecords;
import static io.postwire.delivery.RelayDeliveryTests.raw;
import static io.postwire.delivery.RelayDeliveryTests.register;
import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.postwire.dkim.JdkimVerifier;
import io.postwire.platform.DatabaseSignals;
import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.postwire.testing.GreenMailResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What real clients send, through the whole pipeline to a real SMTP server, with what the recipient
 * decodes checked by an independent parser and every signature by jDKIM (API.md, "Message
 * content"); and a failure inside delivery that is never silent.
 */
@QuarkusTest
@TestProfile(RelayDeliveryTests.Relay.class)
class RealTrafficTests {

  @Inject Pool pool;

  String domain;

  @BeforeEach
  void setUp() {
    GreenMailResource.greenMail.reset();
    domain = register(List.of("rsa-sha256"));
  }

  private static MimeMessage[] awaitReceived(int n) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> GreenMailResource.greenMail.getReceivedMessages().length >= n);
    return GreenMailResource.greenMail.getReceivedMessages();
  }

  /**
   * The received message, parsed again from its exact bytes after checking its signature. The CRLF
   * that ends the data is the first CRLF of the SMTP end-of-data mark (RFC 5321 §4.1.1.4), so a
   * single-part body arrives exactly as sent, line ends made CRLF.
   */
  private MimeMessage verified(MimeMessage received) throws Exception {
    byte[] bytes = raw(received);
    JdkimVerifier verifier = new JdkimVerifier(keyRecords(domain));
    assertThat(verifier.accepts(bytes)).as("jDKIM verifies what was received").isTrue();
    for (int i = 0; i < bytes.length; i++) {
      assertThat(bytes[i] & 0xff).as("7-bit octet at %d", i).isLessThan(128);
    }
    return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
  }

  private String send(Map<String, Object> body) {
    return admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");
  }

  private Map<String, Object> message(String to) {
    Map<String, Object> m = new HashMap<>();
    m.put("from", "Alice <alice@" + domain + ">");
    m.put("to", List.of(to));
    m.put("subject", "Hello");
    return m;
  }

  private void awaitStatus(String id, String status) {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> admin().get("/v1/messages/" + id).then().body("status", equalTo(status)));
  }

  @Test
  void multiLineAsciiTextArrivesIntact() throws Exception {
    Map<String, Object> m = message("bob@example.org");
    m.put("text", "Hi Bob,\nsee you tomorrow.\n");
    String id = send(m);
    MimeMessage received = verified(awaitReceived(1)[0]);
    assertThat(received.getContent()).isEqualTo("Hi Bob,\r\nsee you tomorrow.\r\n");
    awaitStatus(id, "delivered");
  }

  @Test
  void nonAsciiTextArrivesInTheDeclaredCharset() throws Exception {
    Map<String, Object> m = message("bob@example.org");
    m.put("text", "Grüße aus Köln\nZeile zwei — 日本語\n");
    send(m);
    MimeMessage received = verified(awaitReceived(1)[0]);
    assertThat(received.getContentType()).containsIgnoringCase("charset=UTF-8");
    assertThat(received.getContent()).isEqualTo("Grüße aus Köln\r\nZeile zwei — 日本語\r\n");
  }

  @Test
  void htmlOnlyArrivesAsHtml() throws Exception {
    Map<String, Object> m = message("bob@example.org");
    m.put("html", "<html><body>\n<p>Hello <b>Bob</b></p>\n</body></html>");
    send(m);
    MimeMessage received = verified(awaitReceived(1)[0]);
    assertThat(received.getContentType()).startsWith("text/html");
    assertThat(received.getContent())
        .isEqualTo("<html><body>\r\n<p>Hello <b>Bob</b></p>\r\n</body></html>");
  }

  @Test
  void textHtmlAndALargeAttachmentArriveIntact() throws Exception {
    byte[] pdf = new byte[300_000];
    new Random(7).nextBytes(pdf);
    Map<String, Object> m = message("bob@example.org");
    m.put("text", "Invoice attached.\n\nRegards,\nÅsa\n");
    m.put("html", "<p>Invoice attached.</p>\n<p>Regards,<br>Åsa</p>\n");
    m.put(
        "attachments",
        List.of(
            Map.of(
                "filename",
                "Rechnung März.pdf",
                "contentType",
                "application/pdf",
                "content",
                Base64.getEncoder().encodeToString(pdf))));
    send(m);
    MimeMessage received = verified(awaitReceived(1)[0]);
    Multipart mixed = (Multipart) received.getContent();
    Multipart alternative = (Multipart) mixed.getBodyPart(0).getContent();
    assertThat(alternative.getBodyPart(0).getContent())
        .isEqualTo("Invoice attached.\r\n\r\nRegards,\r\nÅsa\r\n");
    assertThat(alternative.getBodyPart(1).getContent())
        .isEqualTo("<p>Invoice attached.</p>\r\n<p>Regards,<br>Åsa</p>\r\n");
    BodyPart file = mixed.getBodyPart(1);
    assertThat(file.getFileName()).isEqualTo("Rechnung März.pdf");
    assertThat(file.getInputStream().readAllBytes()).isEqualTo(pdf);
  }

  @Test
  void aBatchOf200MultiLineMessagesIsDeliveredInFull() throws Exception {
    List<Map<String, Object>> batch = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Map<String, Object> m = message("user" + i + "@example.org");
      m.put("text", "Hello user " + i + ",\nyour order has shipped.\n\n-- \nThe shop\n");
      batch.add(m);
    }
    List<String> ids =
        admin().body(batch).post("/v1/messages/batch").then().statusCode(200).extract().path("id");
    MimeMessage[] received = awaitReceived(200);
    assertThat(received).hasSize(200);
    String body = (String) verified(received[17]).getContent();
    assertThat(body).matches("(?s)Hello user \\d+,\r\nyour order has shipped\\.\r\n\r\n-- \r\n.*");
    for (String id : List.of(ids.get(0), ids.get(199))) {
      awaitStatus(id, "delivered");
    }
  }

  /** Python's email package writes LF line ends and 8bit UTF-8 parts by default. */
  @Test
  void a8bitRawMessageWithBareLfIsReencodedAndArrivesIntact() throws Exception {
    String raw =
        "From: Alice <alice@"
            + domain
            + ">\nTo: bob@example.org\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n"
            + "MIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\n"
            + "Content-Transfer-Encoding: 8bit\n\nGrüße aus Köln\nZeile zwei — 日本語\n";
    admin()
        .body(Api.rawMessage("bounce@" + domain, "bob@example.org", raw))
        .post("/v1/messages/raw")
        .then()
        .statusCode(202);
    MimeMessage received = verified(awaitReceived(1)[0]);
    assertThat(received.getSubject()).isEqualTo("Grüße");
    // the last line end doubles as the first CRLF of the end-of-data mark, which GreenMail drops
    assertThat(received.getContent()).isEqualTo("Grüße aus Köln\r\nZeile zwei — 日本語");
  }

  /**
   * A corrupt row (content the signer cannot read) fails inside the service: each attempt is a
   * {@code failed_internal} event and a metric, retried, and the fifth makes the recipient {@code
   * failed} with {@code internal_error}; nothing reaches the relay.
   */
  @Test
  void aFailureInsideDeliveryIsAnEventAMetricAndABoundedRetry() throws Exception {
    Map<String, Object> m = message("corrupt@example.org");
    m.put("text", "hello");
    m.put("sendAt", Instant.now().plusSeconds(3600).toString());
    String id = send(m);
    double before = internalErrors();
    Db.exec(
        pool,
        "update message set content = convert_to('From: a@x\r\n\r\nbare\nLF', 'UTF8')"
            + " where id = $1::uuid",
        id);
    for (int failures = 1; failures <= 5; failures++) {
      Db.exec(
          pool,
          """
          update delivery set next_attempt_at = now() where message_id = $1::uuid
          and status in ('queued', 'deferred')""",
          id);
      Db.exec(pool, "select pg_notify('" + DatabaseSignals.DELIVERY + "', '')");
      long expected = failures;
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  Db.count(
                          pool,
                          """
                          select count(*) from event where message_id = $1::uuid
                          and type = 'failed_internal'""",
                          id)
                      == expected);
      if (failures < 5) {
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () ->
                    admin()
                        .get("/v1/messages/" + id)
                        .then()
                        .body("recipients[0].status", equalTo("deferred")));
      }
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                admin()
                    .get("/v1/messages/" + id)
                    .then()
                    .body("status", equalTo("failed"))
                    .body("recipients[0].status", equalTo("failed"))
                    .body("recipients[0].bounceCategory", equalTo("internal_error"))
                    .body("recipients[0].attempts", equalTo(5))
                    .body("events.type", hasItem("failed_internal")));
    String detail =
        admin()
            .get("/v1/messages/" + id)
            .then()
            .extract()
            .path("events.find { it.type == 'failed_internal' }.detail.error");
    assertThat(detail).contains("bare LF");
    assertThat(internalErrors() - before).isEqualTo(5.0);
    assertThat(GreenMailResource.greenMail.getReceivedMessages()).isEmpty();
  }

  private static double internalErrors() {
    String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
    return Arrays.stream(metrics.split("\n"))
        .filter(l -> l.startsWith("postwire_deliveries_total{") && l.contains("internal_error"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  static String text(Part part) throws Exception {
    return new String(part.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}
