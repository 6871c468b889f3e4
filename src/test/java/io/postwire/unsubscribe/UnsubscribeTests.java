package io.postwire.unsubscribe;

import static io.postwire.testing.Api.admin;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.postwire.delivery.RelayDeliveryTests;
import io.postwire.dkim.JdkimVerifier;
import io.postwire.inbound.InboundMail;
import io.postwire.inbound.UnsubscribeMailbox;
import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.postwire.testing.GreenMailResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

/**
 * One-click unsubscribe end to end (RFC 8058): the delivered message carries both header fields,
 * DKIM-signed; the POST, the mailto mailbox and the confirmation page's form unsubscribe; GET and
 * forged tokens do not.
 */
@QuarkusTest
@TestProfile(UnsubscribeTests.Profile.class)
public class UnsubscribeTests {

  /** Relay mode towards GreenMail, with the links' settings. */
  public static class Profile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "postwire.public-url", "https://mail.test.example/",
          "postwire.inbound.domain", "bounces.test.example",
          "postwire.unsubscribe.rate", "0");
    }

    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(GreenMailResource.class));
    }
  }

  static final Pattern LIST_UNSUBSCRIBE =
      Pattern.compile(
          "<https://mail\\.test\\.example(/u/[A-Za-z0-9_-]+)>,"
              + " <mailto:(u\\+[a-z2-7]+)@bounces\\.test\\.example>");

  @Inject Pool pool;
  @Inject UnsubscribeMailbox mailbox;

  static String register() {
    String name = Api.uniqueDomain();
    admin()
        .body(Map.of("name", name, "dkim", Map.of("algorithms", List.of("rsa-sha256"))))
        .post("/v1/domains")
        .then()
        .statusCode(201);
    return name;
  }

  static String recipient() {
    return "r" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
  }

  static Map<String, Object> message(String domain, String to, Object unsubscribe) {
    Map<String, Object> body = new HashMap<>(Api.message(domain, to));
    body.put("unsubscribe", unsubscribe);
    return body;
  }

  static String send(Map<String, Object> body) {
    return admin().body(body).post("/v1/messages").then().statusCode(202).extract().path("id");
  }

  /** The message as GreenMail received it for {@code to}. */
  static byte[] delivered(String to) throws Exception {
    MimeMessage[] found = new MimeMessage[1];
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              for (MimeMessage m : GreenMailResource.greenMail.getReceivedMessages()) {
                if (Arrays.stream(m.getRecipients(Message.RecipientType.TO))
                    .anyMatch(a -> a.toString().contains(to))) {
                  found[0] = m;
                  return true;
                }
              }
              return false;
            });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    found[0].writeTo(out);
    return out.toByteArray();
  }

  /** The stored rendered message ({@code GET /v1/messages/{id}/raw}). */
  static byte[] stored(String id) {
    return admin()
        .get("/v1/messages/" + id + "/raw")
        .then()
        .statusCode(200)
        .extract()
        .asByteArray();
  }

  /** The unfolded value of the first header field {@code name} of {@code message}, or null. */
  static String header(byte[] message, String name) {
    String text = new String(message, StandardCharsets.ISO_8859_1);
    String head = text.substring(0, text.indexOf("\r\n\r\n") + 2);
    Matcher m =
        Pattern.compile("(?im)^" + Pattern.quote(name) + ":[ \\t]*((?:.*)(?:\\r\\n[ \\t].*)*)")
            .matcher(head);
    return m.find() ? MimeUtility.unfold(m.group(1)).trim() : null;
  }

  /** The names in the {@code h=} tag of the message's DKIM-Signature, lower case. */
  static List<String> signedHeaders(byte[] message) {
    String signature = header(message, "DKIM-Signature").replaceAll("\\s+", "");
    Matcher m = Pattern.compile("(?:^|;)h=([^;]*)").matcher(signature);
    assertThat(m.find()).isTrue();
    return Arrays.asList(m.group(1).toLowerCase().split(":"));
  }

  static Matcher links(byte[] message) {
    String value = header(message, "List-Unsubscribe");
    assertThat(value).isNotNull();
    Matcher m = LIST_UNSUBSCRIBE.matcher(value);
    assertThat(m.matches()).as(value).isTrue();
    return m;
  }

  static Response oneClick(String path) {
    return given()
        .contentType(ContentType.URLENC.withCharset(StandardCharsets.UTF_8))
        .body("List-Unsubscribe=One-Click")
        .post(path);
  }

  long suppressions(String address, String domain) {
    return Db.count(
        pool,
        "select count(*) from suppression where address = $1 and domain = $2"
            + " and reason = 'unsubscribe'",
        address,
        domain);
  }

  long unsubscribedEvents(String id) {
    return Db.count(
        pool,
        "select count(*) from event where message_id = $1 and type = 'unsubscribed'",
        UUID.fromString(id));
  }

  @Test
  void aSendWithUnsubscribeIsDeliveredWithBothFieldsSignedAndThePostUnsubscribes()
      throws Exception {
    String domain = register();
    String to = recipient();
    String id = send(message(domain, to, true));
    byte[] bytes = delivered(to);

    Matcher links = links(bytes);
    assertThat(header(bytes, "List-Unsubscribe-Post")).isEqualTo("List-Unsubscribe=One-Click");
    assertThat(signedHeaders(bytes)).contains("list-unsubscribe", "list-unsubscribe-post");
    // each field signed as often as it occurs, and once more: a second copy added later breaks it
    assertThat(signedHeaders(bytes).stream().filter("list-unsubscribe"::equals)).hasSize(2);
    JdkimVerifier verifier = new JdkimVerifier(RelayDeliveryTests.keyRecords(domain));
    assertThat(verifier.accepts(bytes)).as(verifier.lastResults).isTrue();
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    byte[] swapped =
        text.replace("/u/", "/u/x").getBytes(StandardCharsets.ISO_8859_1); // another link
    assertThat(verifier.accepts(swapped)).isFalse();

    String path = links.group(1);
    oneClick(path)
        .then()
        .statusCode(200)
        .contentType(containsString("text/html"))
        .body(containsString("unsubscribed"));
    assertThat(suppressions(to, domain)).isEqualTo(1);
    assertThat(unsubscribedEvents(id)).isEqualTo(1);
    admin()
        .get("/v1/suppressions/" + to)
        .then()
        .statusCode(200)
        .body("items[0].reason", equalTo("unsubscribe"))
        .body("items[0].domain", equalTo(domain));
    admin().get("/v1/messages/" + id).then().body("events.type", hasItem("unsubscribed"));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              JsonPath events =
                  admin()
                      .get("/v1/events?domain=" + domain + "&types=message.unsubscribed")
                      .then()
                      .statusCode(200)
                      .extract()
                      .jsonPath();
              assertThat(events.getList("items.type")).containsExactly("message.unsubscribed");
              assertThat(events.getList("items.recipient")).containsExactly(to);
              assertThat(events.getString("items[0].messageId")).isEqualTo(id);
              assertThat(events.getString("items[0].detail.via")).isEqualTo("https");
            });

    // RFC 8058 senders may POST again (retries): the same answer, nothing written twice
    oneClick(path).then().statusCode(200);
    assertThat(suppressions(to, domain)).isEqualTo(1);
    assertThat(unsubscribedEvents(id)).isEqualTo(1);

    // the sender's next message to that address is suppressed for this domain only
    admin()
        .body(Api.message(domain, to))
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("recipient_suppressed"));
    send(message(register(), to, false));
  }

  @Test
  void getShowsAConfirmationFormAndNeverUnsubscribesItsPostDoes() {
    String domain = register();
    String to = recipient();
    String id = send(held(message(domain, to, true)));
    String path = links(stored(id)).group(1);

    for (int i = 0; i < 3; i++) {
      String html =
          given()
              .get(path)
              .then()
              .statusCode(200)
              .contentType(containsString("text/html"))
              .extract()
              .asString();
      Document page = Jsoup.parse(html);
      Element form = page.selectFirst("form");
      assertThat(form.attr("method")).isEqualToIgnoringCase("post");
      assertThat(form.attr("action")).isEqualTo(path);
      assertThat(page.text()).contains(to).contains(domain);
    }
    given().head(path).then().statusCode(200);
    assertThat(suppressions(to, domain)).isZero();
    assertThat(unsubscribedEvents(id)).isZero();

    // the page's button: a multipart/form-data POST of its form's field
    given()
        .multiPart("List-Unsubscribe", "One-Click")
        .post(path)
        .then()
        .statusCode(200)
        .body(containsString("unsubscribed"));
    assertThat(suppressions(to, domain)).isEqualTo(1);
    assertThat(unsubscribedEvents(id)).isEqualTo(1);
    // and now the page says so
    given().get(path).then().statusCode(200).body(containsString("is unsubscribed"));
  }

  static Map<String, Object> held(Map<String, Object> body) {
    Map<String, Object> copy = new HashMap<>(body);
    copy.put("sendAt", Instant.now().plus(Duration.ofHours(1)).toString());
    return copy;
  }

  @Test
  void forgedOrAlteredTokensGet404AndUnsubscribeNobody() {
    String domain = register();
    String to = recipient();
    String id = send(held(message(domain, to, true)));
    String path = links(stored(id)).group(1);
    String token = path.substring("/u/".length());
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    Random random = new Random(8058);
    List<String> forged = new ArrayList<>();
    forged.add("");
    forged.add("x");
    forged.add(Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[28]));
    forged.add(token.substring(0, token.length() - 2));
    forged.add(token + "A");
    // every position but the last (whose low bits base64 does not use) changed once
    for (int i = 0; i < token.length() - 1; i++) {
      char c = token.charAt(i);
      char other = alphabet.charAt(random.nextInt(alphabet.length()));
      if (other == c) {
        other = c == 'A' ? 'B' : 'A';
      }
      forged.add(token.substring(0, i) + other + token.substring(i + 1));
    }
    for (String f : forged) {
      if (f.isEmpty()) {
        given().get("/u/").then().statusCode(404);
        continue;
      }
      given().get("/u/" + f).then().statusCode(404);
      oneClick("/u/" + f).then().statusCode(404);
    }
    assertThat(suppressions(to, domain)).isZero();
    assertThat(unsubscribedEvents(id)).isZero();
  }

  @Test
  void unsubscribeNeedsExactlyOneRecipient() {
    String domain = register();
    Map<String, Object> two = new HashMap<>(message(domain, recipient(), true));
    two.put("cc", List.of(recipient()));
    admin()
        .body(two)
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("unsubscribe"))
        .body("errors[0].message", containsString("exactly one recipient"));
    Map<String, Object> bcc = new HashMap<>(message(domain, recipient(), true));
    bcc.put("bcc", List.of(recipient()));
    admin().body(bcc).post("/v1/messages").then().statusCode(422);
    // without it, the same message goes out
    two.put("unsubscribe", false);
    admin().body(two).post("/v1/messages").then().statusCode(202);
  }

  @Test
  void theFieldsPostwireWritesMayNotBeSetThroughHeadersWithUnsubscribe() {
    String domain = register();
    Map<String, Object> body = new HashMap<>(message(domain, recipient(), true));
    body.put("headers", Map.of("List-Unsubscribe", "<https://example.net/x>"));
    admin()
        .body(body)
        .post("/v1/messages")
        .then()
        .statusCode(422)
        .body("code", equalTo("reserved_header"));
  }

  @Test
  void batchItemsEachGetTheirOwnLinksAndAMultiRecipientItemIsRejectedAlone() {
    String domain = register();
    String a = recipient();
    String b = recipient();
    Map<String, Object> multi = new HashMap<>(message(domain, recipient(), true));
    multi.put("to", List.of(recipient(), recipient()));
    JsonPath answer =
        admin()
            .body(List.of(held(message(domain, a, true)), multi, held(message(domain, b, true))))
            .post("/v1/messages/batch")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(answer.getList("status")).containsExactly("queued", "rejected", "queued");
    assertThat(answer.getString("[1].error.errors[0].field")).isEqualTo("unsubscribe");
    String pathA = links(stored(answer.getString("[0].id"))).group(1);
    String pathB = links(stored(answer.getString("[2].id"))).group(1);
    assertThat(pathA).isNotEqualTo(pathB);
    oneClick(pathB).then().statusCode(200);
    assertThat(suppressions(b, domain)).isEqualTo(1);
    assertThat(suppressions(a, domain)).isZero();
  }

  @Test
  void withoutUnsubscribeNoFieldIsWritten() {
    String domain = register();
    String id = send(held(Api.message(domain, recipient())));
    assertThat(header(stored(id), "List-Unsubscribe")).isNull();
    assertThat(header(stored(id), "List-Unsubscribe-Post")).isNull();
  }

  @Test
  void mailToTheMailtoAddressUnsubscribesLikeThePost() {
    String domain = register();
    String to = recipient();
    String id = send(held(message(domain, to, true)));
    String localPart = links(stored(id)).group(2);

    assertThat(mailbox.accepts(localPart, "bounces.test.example")).isTrue();
    assertThat(mailbox.accepts(localPart.toUpperCase(), "bounces.test.example")).isTrue();
    String forged = localPart.substring(0, localPart.length() - 1) + "a";
    if (forged.equals(localPart)) {
      forged = localPart.substring(0, localPart.length() - 1) + "b";
    }
    assertThat(mailbox.accepts(forged, "bounces.test.example")).isFalse();
    assertThat(mailbox.accepts("b+" + localPart.substring(2), "bounces.test.example")).isFalse();

    InboundMail mail =
        new InboundMail(
            to,
            localPart,
            "bounces.test.example",
            ("From: "
                    + to
                    + "\r\nTo: "
                    + localPart
                    + "@bounces.test.example\r\n"
                    + "Subject: unsubscribe\r\n\r\nunsubscribe\r\n")
                .getBytes(StandardCharsets.US_ASCII),
            "127.0.0.1",
            "mx.example.org",
            null,
            null,
            Instant.now());
    mailbox.receive(mail).await().atMost(Duration.ofSeconds(10));
    assertThat(suppressions(to, domain)).isEqualTo(1);
    assertThat(unsubscribedEvents(id)).isEqualTo(1);
    assertThat(
            Db.rows(
                    pool,
                    "select detail->>'via' from event where message_id = $1"
                        + " and type = 'unsubscribed'",
                    UUID.fromString(id))
                .get(0)
                .getString(0))
        .isEqualTo("mailto");
    // the same mail again (a sender's retry) writes nothing more
    mailbox.receive(mail).await().atMost(Duration.ofSeconds(10));
    assertThat(unsubscribedEvents(id)).isEqualTo(1);
  }

  @Test
  void aBodyOverTheBoundIsRefusedAndUnsubscribesNobody() {
    String domain = register();
    String to = recipient();
    String id = send(held(message(domain, to, true)));
    String path = links(stored(id)).group(1);
    given()
        .contentType(ContentType.URLENC)
        .body("List-Unsubscribe=One-Click&x=" + "a".repeat(UnsubscribeRoutes.MAX_BODY))
        .post(path)
        .then()
        .statusCode(413);
    assertThat(suppressions(to, domain)).isZero();
    // an empty POST (no body at all) is a one-click POST too: the token decides
    given().post(path).then().statusCode(200);
    assertThat(suppressions(to, domain)).isEqualTo(1);
  }

  @Test
  void aRawSendCarryingTheFieldsHasThemSigned() throws Exception {
    String domain = register();
    String to = recipient();
    String raw =
        "From: a@"
            + domain
            + "\r\nTo: "
            + to
            + "\r\nSubject: raw\r\nList-Unsubscribe: <https://example.net/u/1>\r\n"
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nbody\r\n";
    admin()
        .body(Api.rawMessage("a@" + domain, to, raw))
        .post("/v1/messages/raw")
        .then()
        .statusCode(202);
    byte[] bytes = delivered(to);
    assertThat(header(bytes, "List-Unsubscribe")).isEqualTo("<https://example.net/u/1>");
    assertThat(signedHeaders(bytes).stream().filter("list-unsubscribe-post"::equals)).hasSize(2);
    JdkimVerifier verifier = new JdkimVerifier(RelayDeliveryTests.keyRecords(domain));
    assertThat(verifier.accepts(bytes)).as(verifier.lastResults).isTrue();
  }
}
