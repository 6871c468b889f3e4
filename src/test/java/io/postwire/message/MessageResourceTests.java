package io.postwire.message;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.postwire.testing.Api.message;
import static io.postwire.testing.Api.registerDomain;
import static io.postwire.testing.Api.scopedKey;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;

import io.postwire.platform.DatabaseSignals;
import io.postwire.platform.Housekeeping;
import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.mutiny.pgclient.PgConnection;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The messages API in sandbox mode: every success path and the refusals of API.md. */
@QuarkusTest
class MessageResourceTests {

  @Inject Pool pool;

  @Inject Housekeeping housekeeping;

  String domain;

  @BeforeEach
  void registerSender() {
    domain = registerDomain();
  }

  long messagesFrom(String d) {
    return Db.count(pool, "select count(*) from message where domain = $1", d);
  }

  @Test
  void acceptsAMessageAndDeliversItInSandboxMode() {
    String id =
        admin()
            .body(message(domain, "Bob <bob@example.org>"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .contentType(ContentType.JSON)
            .body("status", equalTo("queued"))
            .body("createdAt", notNullValue())
            .body("recipients[0].address", equalTo("bob@example.org"))
            .body("recipients[0].status", equalTo("queued"))
            .extract()
            .path("id");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                admin()
                    .get("/v1/messages/" + id)
                    .then()
                    .statusCode(200)
                    .body("status", equalTo("delivered"))
                    .body("recipients[0].status", equalTo("delivered"))
                    .body("recipients[0].attempts", equalTo(1))
                    .body("recipients[0].lastResponse", equalTo(null)));
    admin()
        .get("/v1/messages/" + id)
        .then()
        .body("from", equalTo("Sender <sender@" + domain + ">"))
        .body("subject", equalTo("Hello"))
        .body("events.type", Matchers.hasItems("queued", "delivered"))
        .body("events.find { it.type == 'delivered' }.detail.sandbox", equalTo(true));
  }

  @Test
  void keepsTagsAndMetadataAsSent() {
    Map<String, Object> body = new HashMap<>(message(domain, "b@example.org"));
    body.put("tags", List.of("welcome"));
    body.put("metadata", Map.of("userId", "42"));
    String id = admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");
    admin()
        .get("/v1/messages/" + id)
        .then()
        .body("tags[0]", equalTo("welcome"))
        .body("metadata.userId", equalTo("42"));
  }

  @Test
  void storesAMessageIdDateAndSevenBitContent() {
    String id =
        admin()
            .body(
                Map.of(
                    "from",
                    "Zoë Ünicode <z@" + domain + ">",
                    "to",
                    List.of("a@example.org"),
                    "bcc",
                    List.of("hidden@example.net"),
                    "subject",
                    "Grüße aus Köln — ✓",
                    "text",
                    "Schöne Grüße\n" + "x".repeat(1500),
                    "html",
                    "<p>Schöne Grüße</p>"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    byte[] content =
        Db.rows(pool, "select content from message where id = $1::uuid", id)
            .get(0)
            .getBuffer("content")
            .getBytes();
    String text = new String(content, StandardCharsets.US_ASCII);
    for (byte b : content) {
      assertThat(b & 0xff).isLessThan(128);
    }
    for (String line : text.split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(998);
    }
    assertThat(text.replace("\r\n", "")).doesNotContain("\n");
    assertThat(text).contains("Message-ID: <").contains("Date: ").contains("MIME-Version: 1.0");
    assertThat(text).contains("multipart/alternative");
    assertThat(text).doesNotContainIgnoringCase("hidden@example.net");
    assertThat(text).doesNotContainIgnoringCase("Bcc:");
    assertThat(Db.count(pool, "select count(*) from delivery where message_id = $1::uuid", id))
        .isEqualTo(2);
  }

  @Test
  void reportsSuppressedRecipientsAndNeverQueuesThem() {
    admin()
        .body(Map.of("reason", "manual"))
        .put("/v1/suppressions/gone@example.org")
        .then()
        .statusCode(200);
    admin()
        .body(
            Map.of(
                "from",
                "s@" + domain,
                "to",
                List.of("gone@example.org", "ok@example.org"),
                "text",
                "x"))
        .post("/v1/messages")
        .then()
        .statusCode(202)
        .body("recipients.find { it.address == 'gone@example.org' }.status", equalTo("suppressed"))
        .body("recipients.find { it.address == 'ok@example.org' }.status", equalTo("queued"));
    admin()
        .body(Map.of("from", "s@" + domain, "to", List.of("gone@example.org"), "text", "x"))
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("recipient_suppressed"));
  }

  @Test
  void refusesMalformedJsonWith400AndStoresNothing() {
    admin()
        .body("{\"from\": ")
        .post("/v1/messages")
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("code", equalTo("malformed_json"))
        .body("type", equalTo("urn:postwire:problem:malformed_json"))
        .body("status", equalTo(400));
    assertThat(messagesFrom(domain)).isZero();
  }

  @Test
  void refusesAnythingButJsonWith415() {
    given()
        .header("Authorization", "Bearer " + Api.ADMIN)
        .contentType("text/plain")
        .body("hello")
        .post("/v1/messages")
        .then()
        .statusCode(415)
        .body("code", equalTo("unsupported_media_type"));
  }

  @Test
  void refusesAMissingOrUnknownKeyBeforeAnythingElse() {
    given()
        .contentType(ContentType.JSON)
        .body("{not json")
        .post("/v1/messages")
        .then()
        .statusCode(401)
        .contentType("application/problem+json")
        .body("code", equalTo("unauthorized"));
    as("pw_wrong")
        .body(message(domain, "b@example.org"))
        .post("/v1/messages")
        .then()
        .statusCode(401);
    as("pw_wrong").get("/v1/messages/not-a-uuid").then().statusCode(401);
    assertThat(messagesFrom(domain)).isZero();
  }

  @Test
  void rejectsHeaderInjectionInSubjectHeaderAndAddress() {
    Map<String, Object> subject = new HashMap<>(message(domain, "b@example.org"));
    subject.put("subject", "Hi\r\nBcc: victim@example.net");
    assertProblem(subject, 422, "header_injection", "subject");

    Map<String, Object> header = new HashMap<>(message(domain, "b@example.org"));
    header.put("headers", Map.of("X-Campaign", "a\nBcc: victim@example.net"));
    assertProblem(header, 422, "header_injection", "headers.X-Campaign");

    Map<String, Object> address = new HashMap<>(message(domain, "b@example.org"));
    address.put("to", List.of("b@example.org\r\nBcc: victim@example.net"));
    assertProblem(address, 422, "header_injection", "to[0]");

    Map<String, Object> attachment = new HashMap<>(message(domain, "b@example.org"));
    attachment.put("attachments", List.of(Map.of("filename", "a\r\n.txt", "content", "aGk=")));
    assertProblem(attachment, 422, "header_injection", "attachments[0].filename");
    assertThat(messagesFrom(domain)).isZero();
  }

  @Test
  void refusesReservedHeaders() {
    for (String name : List.of("Bcc", "DKIM-Signature", "Content-Type", "message-id", "Received")) {
      Map<String, Object> body = new HashMap<>(message(domain, "b@example.org"));
      body.put("headers", Map.of(name, "x"));
      assertProblem(body, 422, "reserved_header", "headers." + name);
    }
    assertThat(messagesFrom(domain)).isZero();
  }

  @Test
  void refusesBadAddressesRecipientsAndContent() {
    Map<String, Object> bad = new HashMap<>(message(domain, "not an address"));
    assertProblem(bad, 422, "invalid_address", "to[0]");

    Map<String, Object> utf8 = new HashMap<>(message(domain, "jörg@example.org"));
    assertProblem(utf8, 422, "unsupported_address", "to[0]");

    List<String> many = new ArrayList<>();
    for (int i = 0; i < 51; i++) {
      many.add("r" + i + "@example.org");
    }
    Map<String, Object> tooMany = new HashMap<>(message(domain, "x@example.org"));
    tooMany.put("to", many);
    assertProblem(tooMany, 422, "too_many_recipients", "to");

    Map<String, Object> none = new HashMap<>(message(domain, "x@example.org"));
    none.put("to", List.of());
    assertProblem(none, 422, "no_recipients", "to");

    Map<String, Object> empty = new HashMap<>(message(domain, "x@example.org"));
    empty.remove("text");
    assertProblem(empty, 422, "no_content", "text");

    Map<String, Object> base64 = new HashMap<>(message(domain, "x@example.org"));
    base64.put("attachments", List.of(Map.of("filename", "a.bin", "content", "!!not base64!!")));
    assertProblem(base64, 422, "invalid_attachment", "attachments[0].content");

    Map<String, Object> wrongType = new HashMap<>(message(domain, "x@example.org"));
    wrongType.put("to", "x@example.org");
    assertProblem(wrongType, 422, "validation_failed", "to");
    assertThat(messagesFrom(domain)).isZero();
  }

  @Test
  void refusesAnUnknownSenderDomainWith422() {
    assertProblem(
        message("unregistered.example", "b@example.org"), 422, "unknown_sender_domain", "from");
    Map<String, Object> sub = new HashMap<>(message("sub." + domain, "b@example.org"));
    assertProblem(sub, 422, "unknown_sender_domain", "from");
  }

  @Test
  void refusesAScopedKeySendingAsAnotherDomainWith403() {
    String other = registerDomain();
    String key = scopedKey(domain);
    as(key)
        .body(message(other, "b@example.org"))
        .post("/v1/messages")
        .then()
        .statusCode(403)
        .body("code", equalTo("forbidden_sender_domain"));
    as(key).body(message(domain, "b@example.org")).post("/v1/messages").then().statusCode(202);
    assertThat(messagesFrom(other)).isZero();
  }

  @Test
  void hidesAnotherDomainsMessagesFromAScopedKey() {
    String other = registerDomain();
    String id =
        admin()
            .body(message(other, "b@example.org"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    String key = scopedKey(domain);
    as(key).get("/v1/messages/" + id).then().statusCode(404).body("code", equalTo("not_found"));
    as(key).delete("/v1/messages/" + id).then().statusCode(404);
    as(key)
        .get("/v1/messages")
        .then()
        .statusCode(200)
        .body("items.findAll { it.id == '" + id + "' }", hasSize(0));
    admin().get("/v1/messages/" + id).then().statusCode(200);
    admin().get("/v1/messages/not-a-uuid").then().statusCode(404);
  }

  private String awaitDelivered(String id) {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                admin()
                    .get("/v1/messages/" + id)
                    .then()
                    .statusCode(200)
                    .body("status", equalTo("delivered")));
    return id;
  }

  private static byte[] raw(RequestSpecification caller, String id) {
    return caller
        .get("/v1/messages/" + id + "/raw")
        .then()
        .statusCode(200)
        .contentType("message/rfc822")
        .extract()
        .asByteArray();
  }

  private static MimeMessage parse(byte[] raw) throws Exception {
    return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw));
  }

  @Test
  void rawGivesTheSignedBytesAsSent_whichAMailReaderDecodesToWhatWasSent() throws Exception {
    String subject = "Grüße aus Köln ✓";
    String text = "Hallo Welt,\nzweite Zeile: 3 € \u2014 fertig.";
    Map<String, Object> body = new HashMap<>(message(domain, "bob@example.org"));
    body.put("subject", subject);
    body.put("text", text);
    String id =
        awaitDelivered(
            admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id"));

    byte[] raw = raw(admin(), id);

    // the stored signature, then the stored content: the DATA of every SMTP transaction
    Row row =
        Db.rows(pool, "select signature, content from message where id = $1::uuid", id).get(0);
    String signature = row.getString("signature");
    assertThat(signature).startsWith("DKIM-Signature:");
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(signature.getBytes(StandardCharsets.US_ASCII));
    expected.write(row.getBuffer("content").getBytes());
    assertThat(raw).isEqualTo(expected.toByteArray());

    MimeMessage mime = parse(raw);
    assertThat(mime.getSubject()).isEqualTo(subject);
    assertThat(((String) mime.getContent()).replace("\r\n", "\n").strip()).isEqualTo(text);
    assertThat(mime.getHeader("DKIM-Signature")).isNotEmpty();
    assertThat(mime.getHeader("DKIM-Signature")[0]).contains("d=" + domain);
  }

  @Test
  void aSubjectAndAHeaderOf1200CharactersWithoutSpacesGoOutInLinesOfAtMost998Octets()
      throws Exception {
    String subject = "s".repeat(1200);
    String campaign = "c".repeat(1200);
    Map<String, Object> body = new HashMap<>(message(domain, "bob@example.org"));
    body.put("subject", subject);
    body.put("headers", Map.of("X-Campaign", campaign));
    String id = admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");

    byte[] raw = raw(admin(), id);

    String text = new String(raw, StandardCharsets.US_ASCII);
    assertThat(text.split("\r\n", -1))
        .as("RFC 5322 §2.1.1: no line over 998 octets")
        .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(998));
    MimeMessage mime = parse(raw);
    assertThat(mime.getSubject()).isEqualTo(subject);
    assertThat(MimeUtility.decodeText(MimeUtility.unfold(mime.getHeader("X-Campaign", null))))
        .isEqualTo(campaign);
  }

  @Test
  void aRawMessagesBccFieldNeverReachesTheStoredMessage() throws Exception {
    String raw =
        "From: raw@"
            + domain
            + "\nTo: bob@example.org\nBcc: hidden@example.net\nSubject: raw\n\nhello\n";
    String id =
        admin()
            .body(
                Map.of(
                    "mailFrom",
                    "bounce@" + domain,
                    "rcptTo",
                    List.of("bob@example.org", "hidden@example.net"),
                    "raw",
                    Base64.getEncoder().encodeToString(raw.getBytes(StandardCharsets.US_ASCII))))
            .post("/v1/messages/raw")
            .then()
            .statusCode(202)
            .extract()
            .path("id");

    byte[] sent = raw(admin(), id);

    assertThat(new String(sent, StandardCharsets.US_ASCII))
        .doesNotContainIgnoringCase("bcc:")
        .doesNotContain("hidden@example.net");
    assertThat(parse(sent).getSubject()).isEqualTo("raw");
  }

  @Test
  void aRawMessageThatIsNoBase64IsRefusedSayingBase64() {
    admin()
        .body(
            Map.of(
                "mailFrom", "bounce@" + domain, "rcptTo", List.of("b@example.org"), "raw", "@@@"))
        .post("/v1/messages/raw")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("raw"))
        .body("errors[0].message", Matchers.containsStringIgnoringCase("base64"));
  }

  @Test
  void rawGivesTheRenderedMessageWhileItIsNotYetSigned() throws Exception {
    Map<String, Object> body = new HashMap<>(message(domain, "b@example.org"));
    body.put("sendAt", Instant.now().plus(Duration.ofHours(1)).toString());
    String id = admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");

    MimeMessage mime = parse(raw(admin(), id));

    assertThat(mime.getHeader("DKIM-Signature")).isNull();
    assertThat(mime.getSubject()).isEqualTo("Hello");
    admin().delete("/v1/messages/" + id).then().statusCode(200);
  }

  @Test
  void rawIsHiddenFromAKeyScopedToAnotherDomain() {
    String id =
        awaitDelivered(
            admin()
                .body(message(domain, "b@example.org"))
                .post("/v1/messages")
                .then()
                .statusCode(202)
                .extract()
                .path("id"));
    String other = registerDomain();
    as(scopedKey(other))
        .get("/v1/messages/" + id + "/raw")
        .then()
        .statusCode(404)
        .body("code", equalTo("not_found"));
    assertThat(raw(as(scopedKey(domain)), id)).isNotEmpty();
    admin().get("/v1/messages/not-a-uuid/raw").then().statusCode(404);
    given().get("/v1/messages/" + id + "/raw").then().statusCode(401);
  }

  @Test
  void rawIs404OnceRetentionPurgedTheContent_whileTheMessageStaysReadable() {
    String id =
        awaitDelivered(
            admin()
                .body(message(domain, "b@example.org"))
                .post("/v1/messages")
                .then()
                .statusCode(202)
                .extract()
                .path("id"));
    raw(admin(), id);
    // older than postwire.retention.content (30 days), younger than .messages (90 days)
    Db.exec(
        pool, "update message set created_at = now() - interval '31 days' where id = $1::uuid", id);
    housekeeping.run().await().atMost(Duration.ofSeconds(30));

    admin()
        .get("/v1/messages/" + id + "/raw")
        .then()
        .statusCode(404)
        .body("code", equalTo("not_found"));
    admin().get("/v1/messages/" + id).then().statusCode(200);
  }

  @Test
  void refusesABodyOverTheRequestLimitWith413BeforeReadingIt() throws Exception {
    // postwire.api.max-request-size (16M): the declared length alone is refused, so the server
    // never holds such a body; the client may then see its connection closed (RFC 9110 §15.5.14)
    String answer = postDeclaring(17 * 1024 * 1024, "Bearer pw_test_bootstrap_key");
    assertThat(answer).startsWith("HTTP/1.1 413");
    assertThat(answer.toLowerCase(Locale.ROOT)).contains("content-type: application/problem+json");
    assertThat(answer).contains("\"code\":\"payload_too_large\"");
    assertThat(messagesFrom(domain)).isZero();
  }

  @Test
  void refusesAnOversizeBodyWithoutAValidKeyWith401NotWith413() throws Exception {
    // authentication first: a caller without a key learns nothing about the size limit
    for (String authorization : new String[] {null, "Bearer pw_wrong_key_for_oversize"}) {
      for (int mib : new int[] {17, 30}) {
        String answer = postDeclaring(mib * 1024 * 1024, authorization);
        assertThat(answer).as(authorization + " " + mib + " MiB").startsWith("HTTP/1.1 401");
        assertThat(answer).contains("\"code\":\"unauthorized\"");
      }
    }
    assertThat(postDeclaring(30 * 1024 * 1024, "Bearer " + scopedKey(domain)))
        .startsWith("HTTP/1.1 413");
  }

  /** Sends the head of a POST declaring {@code length} bytes and a few of them; the answer. */
  private static String postDeclaring(long length, String authorization) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), RestAssured.port)) {
      socket.setSoTimeout(10_000);
      String head =
          "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\n"
              + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
              + "Content-Type: application/json\r\nContent-Length: "
              + length
              + "\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write("{\"from\":\"".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      StringBuilder read = new StringBuilder();
      byte[] chunk = new byte[4096];
      // the answer comes before the body is read; the connection may stay open behind it
      while (!read.toString().endsWith("}")) {
        int n = socket.getInputStream().read(chunk);
        if (n < 0) {
          break;
        }
        read.append(new String(chunk, 0, n, StandardCharsets.US_ASCII));
      }
      return read.toString();
    }
  }

  @Test
  void refusesAnOversizeMessageWith413() {
    Map<String, Object> big = new HashMap<>(message(domain, "b@example.org"));
    byte[] eleven = new byte[11 * 1024 * 1024];
    big.put(
        "attachments",
        List.of(
            Map.of("filename", "big.bin", "content", Base64.getEncoder().encodeToString(eleven))));
    admin()
        .body(big)
        .post("/v1/messages")
        .then()
        .statusCode(413)
        .contentType("application/problem+json")
        .body("code", equalTo("payload_too_large"));
    assertThat(messagesFrom(domain)).isZero();
  }

  @Test
  void holdsAMessageUntilSendAtAndCancelsWhatIsNotDelivered() {
    String later = Instant.now().plus(Duration.ofHours(1)).toString();
    Map<String, Object> body = new HashMap<>(message(domain, "b@example.org"));
    body.put("sendAt", later);
    String id = admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");
    admin()
        .get("/v1/messages/" + id)
        .then()
        .body("status", equalTo("queued"))
        .body("recipients[0].nextAttemptAt", notNullValue());
    admin()
        .delete("/v1/messages/" + id)
        .then()
        .statusCode(200)
        .body("status", equalTo("failed"))
        .body("recipients[0].status", equalTo("failed"))
        .body("events.type", Matchers.hasItem("cancelled"));
  }

  @Test
  void listsMessagesNewestFirstInPages() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(
          admin()
              .body(message(domain, "p" + i + "@example.org"))
              .post("/v1/messages")
              .then()
              .statusCode(202)
              .extract()
              .path("id"));
    }
    String key = scopedKey(domain);
    var first =
        as(key)
            .get("/v1/messages?limit=2")
            .then()
            .statusCode(200)
            .body("items", hasSize(2))
            .extract();
    assertThat(first.<String>path("items[0].id")).isEqualTo(ids.get(2));
    String next = first.path("next");
    as(key)
        .get("/v1/messages?limit=2&after=" + next)
        .then()
        .statusCode(200)
        .body("items[0].id", equalTo(ids.get(0)));
    as(key)
        .get("/v1/messages?recipient=p1@example.org")
        .then()
        .body("items", hasSize(1))
        .body("items[0].id", equalTo(ids.get(1)));
    admin().get("/v1/messages?limit=501").then().statusCode(422);
  }

  @Test
  void rejectsOnlyTheBatchItemWithANul() {
    Map<String, Object> withNul = new HashMap<>(message(domain, "n@example.org"));
    withNul.put("subject", "a\u0000b");
    admin()
        .body(List.of(message(domain, "b1@example.org"), withNul))
        .post("/v1/messages/batch")
        .then()
        .statusCode(200)
        .body("[0].status", equalTo("queued"))
        .body("[1].status", equalTo("rejected"))
        .body("[1].error.code", equalTo("validation_failed"))
        .body("[1].error.errors[0].field", equalTo("subject"));
    assertThat(messagesFrom(domain)).isEqualTo(1);
  }

  @Test
  void acceptsABatchWithOneResultPerItemInOrder() {
    List<Object> items =
        List.of(
            message(domain, "b1@example.org"),
            Map.of("from", "s@" + domain, "to", List.of("x@example.org")),
            message(domain, "b2@example.org"));
    admin()
        .body(items)
        .post("/v1/messages/batch")
        .then()
        .statusCode(200)
        .body("", hasSize(3))
        .body("[0].index", equalTo(0))
        .body("[0].status", equalTo("queued"))
        .body("[1].status", equalTo("rejected"))
        .body("[1].error.code", equalTo("no_content"))
        .body("[2].status", equalTo("queued"));
    assertThat(messagesFrom(domain)).isEqualTo(2);
    admin()
        .body(List.of())
        .post("/v1/messages/batch")
        .then()
        .statusCode(422)
        .body("code", equalTo("empty_batch"));
    List<Object> tooMany = new ArrayList<>();
    for (int i = 0; i < 501; i++) {
      tooMany.add(message(domain, "b@example.org"));
    }
    admin()
        .body(tooMany)
        .post("/v1/messages/batch")
        .then()
        .statusCode(422)
        .body("code", equalTo("batch_too_large"));
    admin().body("[{").post("/v1/messages/batch").then().statusCode(400);
    assertThat(messagesFrom(domain)).isEqualTo(2);
  }

  @Test
  void storesEveryBatchItemWithItsOwnTagsMetadataSendAtAndSuppressedRecipients() {
    admin()
        .body(Map.of("reason", "manual"))
        .put("/v1/suppressions/held@example.org")
        .then()
        .statusCode(200);
    Instant later = Instant.now().plus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS);
    Map<String, Object> first = new HashMap<>(message(domain, "one@example.org"));
    first.put("to", List.of("one@example.org", "held@example.org", "two@example.org"));
    first.put("tags", List.of("a", "b"));
    first.put("metadata", Map.of("k", "v"));
    first.put("sendAt", later.toString());
    Map<String, Object> second = new HashMap<>(message(domain, "three@example.org"));
    second.put("subject", "Other");
    List<Map<String, Object>> answer =
        admin()
            .body(
                List.of(
                    first,
                    Map.of("from", "s@" + domain, "to", List.of("held@example.org"), "text", "x"),
                    second))
            .post("/v1/messages/batch")
            .then()
            .statusCode(200)
            .body(
                "[0].recipients.address",
                contains("one@example.org", "two@example.org", "held@example.org"))
            .body("[0].recipients.status", contains("queued", "queued", "suppressed"))
            .body("[1].status", equalTo("rejected"))
            .body("[1].error.code", equalTo("recipient_suppressed"))
            .body("[2].recipients.status", contains("queued"))
            .extract()
            .path("");
    String firstId = (String) answer.get(0).get("id");
    String secondId = (String) answer.get(2).get("id");
    admin()
        .get("/v1/messages/" + firstId)
        .then()
        .statusCode(200)
        .body("subject", equalTo("Hello"))
        .body("tags", contains("a", "b"))
        .body("metadata.k", equalTo("v"))
        .body(
            "recipients.address",
            contains("one@example.org", "two@example.org", "held@example.org"))
        .body("recipients.status", contains("queued", "queued", "suppressed"))
        .body("recipients[2].nextAttemptAt", equalTo(null))
        .body("events.type", contains("queued", "queued", "suppressed"));
    String due =
        admin().get("/v1/messages/" + firstId).then().extract().path("recipients[0].nextAttemptAt");
    assertThat(Instant.parse(due)).isEqualTo(later);
    admin()
        .get("/v1/messages/" + secondId)
        .then()
        .statusCode(200)
        .body("subject", equalTo("Other"))
        .body("tags", hasSize(0))
        .body("metadata", equalTo(null))
        .body("sendAt", equalTo(null))
        .body("recipients.address", contains("three@example.org"));
    assertThat(messagesFrom(domain)).isEqualTo(2);
  }

  @Test
  void concurrentSendsWrittenTogetherEachGetTheirOwnAnswer() throws Exception {
    admin()
        .body(Map.of("reason", "manual"))
        .put("/v1/suppressions/blocked@example.org")
        .then()
        .statusCode(200);
    String unregistered = "unregistered-" + domain;
    ExecutorService threads = Executors.newFixedThreadPool(16);
    List<Future<Response>> answers = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      int n = i;
      Map<String, Object> body =
          switch (n % 3) {
            case 0 ->
                Map.of(
                    "from",
                    "s@" + domain,
                    "to",
                    List.of("r" + n + "@example.org", "blocked@example.org"),
                    "subject",
                    "m" + n,
                    "text",
                    "x");
            case 1 ->
                Map.of("from", "s@" + domain, "to", List.of("blocked@example.org"), "text", "x");
            default -> message(unregistered, "r" + n + "@example.org");
          };
      answers.add(threads.submit(() -> admin().body(body).post("/v1/messages")));
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < answers.size(); i++) {
      Response r = answers.get(i).get(30, TimeUnit.SECONDS);
      switch (i % 3) {
        case 0 -> {
          assertThat(r.statusCode()).isEqualTo(202);
          assertThat(r.<List<String>>path("recipients.address"))
              .containsExactly("r" + i + "@example.org", "blocked@example.org");
          assertThat(r.<List<String>>path("recipients.status"))
              .containsExactly("queued", "suppressed");
          ids.add(r.path("id"));
          admin()
              .get("/v1/messages/" + r.<String>path("id"))
              .then()
              .body("subject", equalTo("m" + i))
              .body(
                  "recipients.address", contains("r" + i + "@example.org", "blocked@example.org"));
        }
        case 1 ->
            r.then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("code", equalTo("recipient_suppressed"));
        default ->
            r.then()
                .statusCode(422)
                .contentType("application/problem+json")
                .body("code", equalTo("unknown_sender_domain"))
                .body("errors[0].field", equalTo("from"));
      }
    }
    threads.shutdown();
    assertThat(ids).doesNotHaveDuplicates().hasSize(20);
    assertThat(messagesFrom(domain)).isEqualTo(20);
    assertThat(messagesFrom(unregistered)).isZero();
    assertThat(
            Db.count(
                pool,
                "select count(*) from delivery d join message m on m.id = d.message_id where m.domain = $1",
                domain))
        .isEqualTo(40);
  }

  @Test
  void aSendPostgresqlRefusesFailsAloneWhenWrittenTogetherWithOthers() throws Exception {
    // jsonb cannot hold U+0000, so PostgreSQL refuses this message's metadata
    Map<String, Object> refused = new HashMap<>(message(domain, "nul@example.org"));
    refused.put("metadata", Map.of("k", "a\u0000b"));
    ExecutorService threads = Executors.newFixedThreadPool(16);
    List<Future<Response>> answers = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      Map<String, Object> body = i % 16 == 5 ? refused : message(domain, "ok" + i + "@example.org");
      answers.add(threads.submit(() -> admin().body(body).post("/v1/messages")));
    }
    for (int i = 0; i < answers.size(); i++) {
      int status = answers.get(i).get(30, TimeUnit.SECONDS).statusCode();
      if (i % 16 == 5) {
        assertThat(status).isNotEqualTo(202);
      } else {
        assertThat(status).as("send " + i).isEqualTo(202);
      }
    }
    threads.shutdown();
    assertThat(messagesFrom(domain)).isEqualTo(45);
  }

  @Test
  void notifiesTheDeliveryChannelOnlyAfterAcceptedSends() throws Exception {
    List<String> channels = new CopyOnWriteArrayList<>();
    SqlConnection listener = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      PgConnection.cast(listener).notificationHandler(n -> channels.add(n.getChannel()));
      listener
          .query("listen " + DatabaseSignals.DELIVERY)
          .execute()
          .await()
          .atMost(Duration.ofSeconds(10));
      admin()
          .body(message("unregistered-" + domain, "b@example.org"))
          .post("/v1/messages")
          .then()
          .statusCode(422);
      Thread.sleep(500);
      assertThat(channels).isEmpty();
      admin().body(message(domain, "b@example.org")).post("/v1/messages").then().statusCode(202);
      await().atMost(Duration.ofSeconds(5)).until(() -> !channels.isEmpty());
      channels.clear();
      admin()
          .body(List.of(message(domain, "c@example.org")))
          .post("/v1/messages/batch")
          .then()
          .statusCode(200);
      await().atMost(Duration.ofSeconds(5)).until(() -> !channels.isEmpty());
      assertThat(channels).containsOnly(DatabaseSignals.DELIVERY);
    } finally {
      listener.close().await().atMost(Duration.ofSeconds(10));
    }
  }

  @Test
  void acceptsARawMessageAndAddsAMessageId() {
    String raw = "From: Raw <raw@" + domain + ">\nTo: bob@example.org\nSubject: raw\n\nhello\n";
    String id =
        admin()
            .body(Api.rawMessage("bounce@" + domain, "bob@example.org", raw))
            .post("/v1/messages/raw")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    String stored =
        new String(
            Db.rows(pool, "select content from message where id = $1::uuid", id)
                .get(0)
                .getBuffer("content")
                .getBytes(),
            StandardCharsets.US_ASCII);
    assertThat(stored)
        .startsWith("Message-ID: <")
        .contains("\r\nFrom: Raw <raw@" + domain + ">\r\n");
    admin()
        .body(
            Map.of(
                "mailFrom",
                "bounce@other.example",
                "rcptTo",
                List.of("b@example.org"),
                "raw",
                Base64.getEncoder().encodeToString(raw.getBytes(StandardCharsets.US_ASCII))))
        .post("/v1/messages/raw")
        .then()
        .statusCode(422)
        .body("code", equalTo("unknown_sender_domain"));
  }

  private static void assertProblem(Object body, int status, String code, String field) {
    admin()
        .body(body)
        .post("/v1/messages")
        .then()
        .statusCode(status)
        .contentType("application/problem+json")
        .body("code", equalTo(code))
        .body("errors[0].field", equalTo(field));
  }

  /** RFC 5322 §3.5 and RFC 2045 §2.7: no NUL in a header or a 7bit body; PostgreSQL stores none. */
  @ParameterizedTest
  @CsvSource({
    "subject, subject",
    "text, text",
    "html, html",
    "metadata, metadata.k",
    "tags, tags[0]",
    "headers, headers.X-A",
    "from, from",
    "replyTo, replyTo",
    "attachments, attachments[0].filename"
  })
  void refusesNulInAnyFieldWith422NamingItAndStoresNothing(String member, String field) {
    Map<String, Object> m = new HashMap<>(message(domain, "b@example.org"));
    String nul = "a\u0000b";
    m.put(
        member,
        switch (member) {
          case "metadata" -> Map.of("k", nul);
          case "tags" -> List.of(nul);
          case "headers" -> Map.of("X-A", nul);
          case "from" -> "A" + nul + " <s@" + domain + ">";
          case "replyTo" -> "R" + nul + " <r@example.org>";
          case "attachments" ->
              List.of(Map.of("filename", nul, "contentType", "text/plain", "content", "aGk="));
          default -> nul;
        });
    admin()
        .body(m)
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .contentType("application/problem+json")
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo(field))
        .body("errors[0].message", equalTo("must not contain NUL (U+0000)"));
    assertThat(messagesFrom(domain)).isZero();
  }

  /**
   * Without {@code expiresAt} a message expires 5 days after it is due: after {@code sendAt} when
   * it is scheduled (a message held for a week must not expire before it is sent), else after
   * acceptance. An {@code expiresAt} before {@code sendAt}, or in the past, is refused.
   */
  @Test
  void expiresFiveDaysAfterSendAtByDefaultAndRefusesAnExpiryBeforeIt() {
    Instant sendAt = Instant.now().plus(Duration.ofDays(7)).truncatedTo(ChronoUnit.SECONDS);
    Map<String, Object> scheduled = new HashMap<>(message(domain, "b@example.org"));
    scheduled.put("sendAt", sendAt.toString());
    String id =
        admin().body(scheduled).post("/v1/messages").then().statusCode(202).extract().path("id");
    assertThat(
            Db.rows(pool, "select expires_at from message where id = $1::uuid", id)
                .get(0)
                .getOffsetDateTime("expires_at")
                .toInstant())
        .isEqualTo(sendAt.plus(Duration.ofDays(5)));

    Map<String, Object> now = new HashMap<>(message(domain, "b@example.org"));
    Instant before = Instant.now();
    String immediate =
        admin().body(now).post("/v1/messages").then().statusCode(202).extract().path("id");
    assertThat(
            Db.rows(pool, "select expires_at from message where id = $1::uuid", immediate)
                .get(0)
                .getOffsetDateTime("expires_at")
                .toInstant())
        .isBetween(
            before.plus(Duration.ofDays(5)).minusSeconds(1),
            Instant.now().plus(Duration.ofDays(5)).plusSeconds(1));

    Map<String, Object> expiresFirst = new HashMap<>(scheduled);
    expiresFirst.put("expiresAt", sendAt.minus(Duration.ofHours(1)).toString());
    assertProblem(expiresFirst, 422, "validation_failed", "expiresAt");
    Map<String, Object> past = new HashMap<>(message(domain, "b@example.org"));
    past.put("expiresAt", Instant.now().minus(Duration.ofMinutes(1)).toString());
    assertProblem(past, 422, "validation_failed", "expiresAt");
    assertThat(messagesFrom(domain)).isEqualTo(2);
  }

  /** RFC 5322 §3.4.1: a quoted-string local part is ASCII and stays quoted on the wire. */
  @Test
  void acceptsAQuotedLocalPartAndSendsItQuoted() {
    String id =
        admin()
            .body(message(domain, "\"bob smith\"@example.org"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .body("recipients[0].address", equalTo("\"bob smith\"@example.org"))
            .extract()
            .path("id");
    assertThat(
            Db.rows(pool, "select recipient from delivery where message_id = $1::uuid", id)
                .get(0)
                .getString("recipient"))
        .isEqualTo("\"bob smith\"@example.org");
    // as an addr-spec or an angle-addr: either way the quoted-string is kept
    assertThat(content(id)).containsPattern("\r\nTo: <?\"bob smith\"@example\\.org>?\r\n");
  }

  @Test
  void refusesAnAddressLiteralAsUnsupported() {
    admin()
        .body(message(domain, "bob@[127.0.0.1]"))
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("unsupported_address"))
        .body("errors[0].field", equalTo("to[0]"))
        .body("errors[0].message", Matchers.containsString("address literals"));
    Map<String, Object> utf8 = new HashMap<>(message(domain, "jörg@example.org"));
    assertProblem(utf8, 422, "unsupported_address", "to[0]");
    assertThat(messagesFrom(domain)).isZero();
  }

  /** Sender is not reserved (API.md "Conventions"): it is one mailbox, rendered as one. */
  @Test
  void acceptsASenderHeaderAsAMailbox() {
    Map<String, Object> body = new HashMap<>(message(domain, "b@example.org"));
    body.put("headers", Map.of("Sender", "Zoë Assistant <assistant@bücher.example>"));
    String id = admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");
    String sender =
        Arrays.stream(content(id).split("\r\n"))
            .filter(line -> line.startsWith("Sender: "))
            .findFirst()
            .orElseThrow();
    assertThat(sender).contains("<assistant@xn--bcher-kva.example>").contains("=?UTF-8?");

    Map<String, Object> injected = new HashMap<>(message(domain, "b@example.org"));
    injected.put("headers", Map.of("Sender", "a@example.net\r\nBcc: victim@example.net"));
    assertProblem(injected, 422, "header_injection", "headers.Sender");
    Map<String, Object> notAMailbox = new HashMap<>(message(domain, "b@example.org"));
    notAMailbox.put("headers", Map.of("Sender", "nobody"));
    assertProblem(notAMailbox, 422, "invalid_address", "headers.Sender");
    assertThat(messagesFrom(domain)).isEqualTo(1);
  }

  @Test
  void refusesAnEmptyAttachment() {
    Map<String, Object> empty = new HashMap<>(message(domain, "x@example.org"));
    empty.put("attachments", List.of(Map.of("filename", "a.bin", "content", "")));
    assertProblem(empty, 422, "invalid_attachment", "attachments[0].content");
    assertThat(messagesFrom(domain)).isZero();
  }

  @Test
  void refusesAnUnknownStatusFilter() {
    admin()
        .queryParam("status", "bogus")
        .get("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("status"));
    admin().queryParam("status", "queued").get("/v1/messages").then().statusCode(200);
  }

  @Test
  void refusesAnEmptyIdempotencyKey() {
    admin()
        .header("Idempotency-Key", "")
        .body(message(domain, "b@example.org"))
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("Idempotency-Key"));
    assertThat(messagesFrom(domain)).isZero();
  }

  /** JSON in: a body without a Content-Type is 415, but only once the key was accepted. */
  @Test
  void refusesABodyWithoutContentTypeWith415AfterAuthentication() throws Exception {
    String json = "{\"from\":\"s@" + domain + "\",\"to\":[\"b@example.org\"],\"text\":\"x\"}";
    assertThat(postWithoutContentType("/v1/messages", Api.ADMIN, json))
        .startsWith("415 ")
        .contains("\"code\":\"unsupported_media_type\"");
    assertThat(postWithoutContentType("/v1/messages", "pw_wrong", json)).startsWith("401 ");
    assertThat(postWithoutContentType("/v1/messages/batch", Api.ADMIN, "[]")).startsWith("415 ");
    assertThat(messagesFrom(domain)).isZero();
  }

  /** "status body" of a POST with no Content-Type header (rest-assured always sends one). */
  private static String postWithoutContentType(String path, String key, String body)
      throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + path))
                    .header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    return response.statusCode() + " " + response.body();
  }

  private String content(String id) {
    return new String(
        Db.rows(pool, "select content from message where id = $1::uuid", id)
            .get(0)
            .getBuffer("content")
            .getBytes(),
        StandardCharsets.US_ASCII);
  }
}
