package io.postwire.delivery;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.uniqueDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.dkim.JdkimVerifier;
import io.postwire.testing.Api;
import io.postwire.testing.GreenMailResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Relay mode end to end: POST → queue → DKIM signing → GreenMail, with the bytes checked at the
 * server and every signature verified by Apache jDKIM.
 */
@QuarkusTest
@TestProfile(RelayDeliveryTests.Relay.class)
public class RelayDeliveryTests {

  /** Relay mode towards GreenMail, with the safety poll at one hour. */
  public static class Relay implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(GreenMailResource.class));
    }
  }

  @BeforeEach
  void clean() throws Exception {
    GreenMailResource.greenMail.purgeEmailFromAllMailboxes();
  }

  static String register(List<String> algorithms) {
    String name = uniqueDomain();
    admin()
        .body(Map.of("name", name, "dkim", Map.of("algorithms", algorithms)))
        .post("/v1/domains")
        .then()
        .statusCode(201);
    return name;
  }

  /** The DKIM key records the domain document asks to publish, by record name. */
  public static Map<String, String> keyRecords(String domain) {
    Map<String, String> records = new HashMap<>();
    List<Map<String, Object>> keys =
        admin().get("/v1/domains/" + domain).then().statusCode(200).extract().path("dkimKeys");
    for (Map<String, Object> key : keys) {
      @SuppressWarnings("unchecked")
      Map<String, String> record = (Map<String, String>) key.get("dnsRecord");
      records.put(record.get("name"), record.get("value"));
    }
    return records;
  }

  static byte[] raw(MimeMessage message) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    message.writeTo(out);
    return out.toByteArray();
  }

  @Test
  void listenNotifyWakesThePipelineWithinOneSecond() {
    String domain = register(List.of("rsa-sha256"));
    // warm-up: the first message also loads the domain's signer and starts the LISTEN connection
    admin()
        .body(Map.of("from", "a@" + domain, "to", List.of("warm@example.org"), "text", "hi"))
        .post("/v1/messages")
        .then()
        .statusCode(202);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> GreenMailResource.greenMail.getReceivedMessages().length == 1);
    GreenMailResource.greenMail.reset();
    admin()
        .body(Map.of("from", "a@" + domain, "to", List.of("fast@example.org"), "text", "hi"))
        .post("/v1/messages")
        .then()
        .statusCode(202);
    long accepted = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(1))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> GreenMailResource.greenMail.getReceivedMessages().length == 1);
    assertThat(Duration.ofNanos(System.nanoTime() - accepted)).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void deliversTheExactMessageSignedAndWithoutBcc() throws Exception {
    String domain = register(List.of("rsa-sha256"));
    byte[] attachment = new byte[5000];
    for (int i = 0; i < attachment.length; i++) {
      attachment[i] = (byte) (i * 31);
    }
    Map<String, Object> body = new HashMap<>();
    body.put("from", "Zoë Sender <zoe@" + domain + ">");
    body.put("to", List.of("bob@example.org"));
    body.put("bcc", List.of("secret@example.net"));
    body.put("subject", "Grüße — ünïcödé ✓");
    body.put("text", "Hallo Bob, schöne Grüße!\nZeile zwei.");
    body.put("html", "<p>Hallo <b>Bob</b>, schöne Grüße!</p><img src=\"cid:logo\">");
    body.put("headers", Map.of("X-Campaign", "welcome"));
    body.put(
        "attachments",
        List.of(
            Map.of(
                "filename", "data.bin",
                "contentType", "application/octet-stream",
                "content", Base64.getEncoder().encodeToString(attachment)),
            Map.of(
                "filename", "logo.png",
                "contentType", "image/png",
                "content", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}),
                "contentId", "logo")));
    String id = admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> GreenMailResource.greenMail.getReceivedMessages().length == 2);
    MimeMessage[] received = GreenMailResource.greenMail.getReceivedMessages();
    MimeMessage message = received[0];
    byte[] bytes = raw(message);
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    assertThat(text).doesNotContainIgnoringCase("secret@example.net");
    assertThat(message.getHeader("Bcc")).isNull();
    assertThat(message.getSubject()).isEqualTo("Grüße — ünïcödé ✓");
    assertThat(message.getHeader("X-Campaign")[0]).isEqualTo("welcome");
    assertThat(message.getHeader("DKIM-Signature")).hasSize(1);

    MimeMessage parsed =
        new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
    Multipart mixed = (Multipart) parsed.getContent();
    assertThat(parsed.getContentType()).startsWith("multipart/mixed");
    Multipart related = (Multipart) mixed.getBodyPart(0).getContent();
    assertThat(mixed.getBodyPart(0).getContentType()).startsWith("multipart/related");
    Multipart alternative = (Multipart) related.getBodyPart(0).getContent();
    // text/plain travels in canonical form (CRLF line ends, RFC 2046 §4.1.1)
    assertThat(((String) alternative.getBodyPart(0).getContent()).replace("\r\n", "\n"))
        .isEqualTo("Hallo Bob, schöne Grüße!\nZeile zwei.");
    assertThat((String) alternative.getBodyPart(1).getContent()).contains("schöne Grüße");
    BodyPart inline = related.getBodyPart(1);
    assertThat(inline.getHeader("Content-ID")[0]).isEqualTo("<logo>");
    BodyPart file = mixed.getBodyPart(1);
    assertThat(file.getFileName()).isEqualTo("data.bin");
    assertThat(file.getInputStream().readAllBytes()).isEqualTo(attachment);

    JdkimVerifier verifier = new JdkimVerifier(keyRecords(domain));
    assertThat(verifier.accepts(bytes)).as(verifier.lastResults).isTrue();
    byte[] tampered = text.replace("Zeile zwei", "Zeile 2!!").getBytes(StandardCharsets.ISO_8859_1);
    assertThat(verifier.accepts(tampered)).isFalse();

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                admin()
                    .get("/v1/messages/" + id)
                    .then()
                    .body("status", Matchers.equalTo("delivered"))
                    .body("recipients[0].lastResponse.code", Matchers.equalTo(250))
                    .body(
                        "events.type",
                        Matchers.hasItems("queued", "signed", "attempt", "delivered")));
  }

  @Test
  void signsWithBothKeysOfADualSigningDomain() throws Exception {
    String domain = register(List.of("rsa-sha256", "ed25519-sha256"));
    admin()
        .body(
            Map.of(
                "from",
                "a@" + domain,
                "to",
                List.of("dual@example.org"),
                "subject",
                "dual",
                "text",
                "" + "body"))
        .post("/v1/messages")
        .then()
        .statusCode(202);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> GreenMailResource.greenMail.getReceivedMessages().length == 1);
    MimeMessage message = GreenMailResource.greenMail.getReceivedMessages()[0];
    String[] signatures = message.getHeader("DKIM-Signature");
    assertThat(signatures).hasSize(2);
    assertThat(String.join("\n", signatures)).contains("a=rsa-sha256").contains("a=ed25519-sha256");
    JdkimVerifier verifier = new JdkimVerifier(keyRecords(domain));
    assertThat(verifier.accepts(raw(message))).as(verifier.lastResults).isTrue();
  }

  @Test
  void signsARawMessageAndKeepsItsOwnSignature() throws Exception {
    String domain = register(List.of("rsa-sha256"));
    String raw =
        "DKIM-Signature: v=1; a=rsa-sha256; d=elsewhere.example; s=x; h=from; bh=AA==; b=AA==\n"
            + "From: Raw <raw@"
            + domain
            + ">\nTo: bob@example.org\nSubject: raw\n\nhello raw\n";
    admin()
        .body(Api.rawMessage("bounce@" + domain, "bob@example.org", raw))
        .post("/v1/messages/raw")
        .then()
        .statusCode(202);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> GreenMailResource.greenMail.getReceivedMessages().length == 1);
    MimeMessage message = GreenMailResource.greenMail.getReceivedMessages()[0];
    assertThat(message.getHeader("DKIM-Signature")).hasSize(2);
    assertThat(message.getHeader("Message-ID")).hasSize(1);
    Map<String, String> records = keyRecords(domain);
    assertThat(new JdkimVerifier(records).verify(raw(message))).isNotEmpty();
  }
}
