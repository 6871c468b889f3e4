package io.postwire.check;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.postwire.testing.Api.registerDomain;
import static io.postwire.testing.Api.scopedKey;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pre-send check over the API: each finding from a message that triggers it alone, a clean
 * message, raw and JSON checks of the same content agreeing, nothing stored, and the send's scope
 * rules and refusals.
 */
@QuarkusTest
class CheckResourceTests {

  static final String TEXT =
      "Hello Bob, your order 4711 has shipped and should arrive on Tuesday. Thanks for shopping"
          + " with us.";

  static final String HTML =
      "<!DOCTYPE html><html><head><title>Order</title></head><body><p>Hello Bob, your order 4711"
          + " has shipped and should arrive on Tuesday.</p><p>Track it on <a"
          + " href=\"https://shop.example.com/track/4711\">our site</a>.</p></body></html>";

  @Inject Pool pool;

  String domain;

  @BeforeEach
  void registerSender() {
    domain = registerDomain();
    audit(domain, "pass");
  }

  /** Makes a passing (or failing) audit the domain's latest, whatever the background one says. */
  void audit(String d, String dkimStatus) {
    String status = dkimStatus.equals("pass") ? "pass" : "fail";
    String checks =
        "[{\"name\":\"spf\",\"status\":\"pass\",\"record\":\"v=spf1 -all\",\"findings\":[],\"details\":{}},"
            + "{\"name\":\"dkim\",\"status\":\""
            + dkimStatus
            + "\",\"record\":null,\"findings\":[],\"details\":{}},"
            + "{\"name\":\"dmarc\",\"status\":\"pass\",\"record\":\"v=DMARC1; p=reject\",\"findings\":[],\"details\":{}}]";
    Db.exec(
        pool,
        """
        insert into domain_audit (domain, checked_at, status, result)
        values ($1, now() + interval '1 hour', $2,
                json_build_object('domain', $1::text, 'checkedAt', '2026-01-01T00:00:00Z',
                                  'status', $2::text, 'checks', $3::text::jsonb)::jsonb)""",
        d,
        status,
        checks);
  }

  Map<String, Object> message(String html, String text) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("from", "Shop <orders@" + domain + ">");
    m.put("to", List.of("bob@example.org"));
    m.put("subject", "Your order 4711");
    if (html != null) {
      m.put("html", html);
    }
    if (text != null) {
      m.put("text", text);
    }
    return m;
  }

  static Response check(Object body) {
    return admin().body(body).post("/v1/messages/check");
  }

  static Response checkRaw(Object body) {
    return admin().body(body).post("/v1/messages/raw/check");
  }

  /** The codes of the errors and warnings of a report. */
  static Set<String> problems(Response report) {
    report.then().statusCode(200).contentType(ContentType.JSON);
    List<Map<String, Object>> findings = report.jsonPath().getList("findings");
    Set<String> codes = new TreeSet<>();
    for (Map<String, Object> f : findings) {
      if (!f.get("severity").equals("info")) {
        codes.add((String) f.get("code"));
      }
      assertThat(f).containsKeys("code", "severity", "field", "message", "fix");
      assertThat((String) f.get("fix")).isNotBlank();
    }
    return codes;
  }

  long messagesFrom(String d) {
    return Db.count(pool, "select count(*) from message where domain = $1", d);
  }

  @Test
  void aCleanMessageHasNoFindingsAndGradeA() {
    Response report = check(message(HTML, TEXT));
    assertThat(problems(report)).isEmpty();
    report
        .then()
        .body("score", equalTo(100))
        .body("grade", equalTo("A"))
        .body("spam", equalTo(null))
        .body("authentication.spf", equalTo("pass"))
        .body("authentication.dkim", equalTo("pass"))
        .body("authentication.dmarc", equalTo("pass"))
        .body("authentication.audit", equalTo("pass"))
        .body("size.clipsInGmail", equalTo(false));
    assertThat(report.jsonPath().getInt("size.bytes")).isGreaterThan(HTML.length() + TEXT.length());
  }

  @Test
  void checkingStoresAndSendsNothing() {
    check(message(HTML, TEXT)).then().statusCode(200);
    check(message("<p><b>x</p>", null)).then().statusCode(200);
    checkRaw(raw(cleanRaw())).then().statusCode(200);
    assertThat(messagesFrom(domain)).isZero();
    assertThat(
            Db.count(
                pool,
                "select count(*) from delivery d join message m on m.id = d.message_id where m.domain = $1",
                domain))
        .isZero();
  }

  @Test
  void unclosedOrMisnestedTagsAreHtmlInvalid() {
    Response report = check(message("<div><b>Hello Bob</div></b><p>Your order has shipped.", TEXT));
    assertThat(problems(report)).containsExactly("html_invalid");
    assertThat(report.jsonPath().getString("findings[0].message")).contains("Unexpected");
    report.then().body("findings[0].field", equalTo("html")).body("grade", equalTo("A"));
  }

  @Test
  void htmlWithoutTextIsMissingTextPart() {
    assertThat(problems(check(message(HTML, null)))).containsExactly("missing_text_part");
  }

  @Test
  void imagesWithLittleTextAreImageOnly() {
    String html =
        "<html><body><p><img src=\"https://cdn.example.com/sale.png\" alt=\"\"></p>"
            + "<p>Big sale!</p></body></html>";
    assertThat(problems(check(message(html, "Big sale!")))).containsExactly("image_only");
    // the same images beside enough text are fine
    String worded = html.replace("Big sale!", TEXT + " " + TEXT + " " + TEXT);
    assertThat(problems(check(message(worded, TEXT)))).isEmpty();
  }

  @Test
  void aLinkShowingAnotherDomainIsLinkTextMismatch() {
    String html =
        HTML.replace(
            "<a href=\"https://shop.example.com/track/4711\">our site</a>",
            "<a href=\"https://login.evil.example.net/x\">www.paypal.com</a>");
    Response report = check(message(html, TEXT));
    assertThat(problems(report)).containsExactly("link_text_mismatch");
    report.then().body("findings[0].severity", equalTo("error")).body("grade", equalTo("C"));
    // a link whose text shows its own site (any host of the same registrable domain) is fine
    String own =
        HTML.replace(
            "<a href=\"https://shop.example.com/track/4711\">our site</a>",
            "<a href=\"https://shop.example.com/track/4711\">https://www.example.com/track</a>");
    assertThat(problems(check(message(own, TEXT)))).isEmpty();
  }

  @Test
  void aShortenedLinkIsUrlShortener() {
    String html = HTML.replace("https://shop.example.com/track/4711", "https://bit.ly/3xYz");
    Response report = check(message(html, TEXT));
    assertThat(problems(report)).containsExactly("url_shortener");
    assertThat(report.jsonPath().getString("findings[0].message")).contains("bit.ly");
    // in the text part too
    assertThat(problems(check(message(HTML, TEXT + " https://tinyurl.com/abc"))))
        .containsExactly("url_shortener");
  }

  @Test
  void htmlOver102KbIsGmailClipping() {
    StringBuilder html = new StringBuilder("<html><body>");
    while (html.length() < 110 * 1024) {
      html.append("<p>Another line of the newsletter, with nothing wrong in it.</p>\n");
    }
    html.append("</body></html>");
    Response report = check(message(html.toString(), TEXT));
    assertThat(problems(report)).containsExactly("gmail_clipping");
    report.then().body("size.clipsInGmail", equalTo(true));
  }

  @Test
  void over10MbWithAttachmentsIsLargeMessage() {
    Map<String, Object> m = message(HTML, TEXT);
    byte[] pdf = new byte[7_400_000];
    for (int i = 0; i < pdf.length; i++) {
      pdf[i] = (byte) (i * 31 + (i >> 8));
    }
    m.put(
        "attachments",
        List.of(
            Map.of(
                "filename",
                "catalogue.pdf",
                "contentType",
                "application/pdf",
                "content",
                Base64.getEncoder().encodeToString(pdf))));
    Response report = check(m);
    assertThat(problems(report)).containsExactly("large_message");
    assertThat(report.jsonPath().getInt("size.bytes")).isGreaterThan(10_000_000);
  }

  @Test
  void bulkMailWithoutListUnsubscribeIsMissingListUnsubscribe() {
    Map<String, Object> m = message(HTML, TEXT);
    m.put("bulk", true);
    assertThat(problems(check(m))).containsExactly("missing_list_unsubscribe");
    m.put(
        "headers",
        Map.of(
            "List-Unsubscribe",
            "<https://shop.example.com/unsubscribe/1>",
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click"));
    assertThat(problems(check(m))).isEmpty();
    m.remove("headers");
    m.put("bulk", false);
    assertThat(problems(check(m))).isEmpty();
  }

  @Test
  void aFailingAuditIsFromDomainAuditFailing() {
    audit(domain, "fail");
    try {
      Response report = check(message(HTML, TEXT));
      assertThat(problems(report)).containsExactly("from_domain_audit_failing");
      report
          .then()
          .body("authentication.dkim", equalTo("fail"))
          .body("authentication.audit", equalTo("fail"));
      assertThat(report.jsonPath().getString("findings[0].message")).contains("dkim");
    } finally {
      // a failing domain would turn the profile's dns-auth health DOWN for the tests after this one
      Db.exec(pool, "delete from domain_audit where domain = $1 and status = 'fail'", domain);
    }
  }

  @Test
  void aDomainWithoutActiveKeyIsNoDkimKey() {
    Db.exec(
        pool,
        "update dkim_key set status = 'retired', retired_at = now() where domain = $1",
        domain);
    assertThat(problems(check(message(HTML, TEXT)))).containsExactly("no_dkim_key");
  }

  String cleanRaw() {
    return "From: Shop <orders@"
        + domain
        + ">\r\nTo: bob@example.org\r\nSubject: Your order\r\nMIME-Version: 1.0\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + TEXT
        + "\r\n";
  }

  Map<String, Object> raw(String rfc5322) {
    return raw("bounce@" + domain, rfc5322);
  }

  static Map<String, Object> raw(String mailFrom, String rfc5322) {
    Map<String, Object> body = new HashMap<>();
    body.put("mailFrom", mailFrom);
    body.put("rcptTo", List.of("bob@example.org"));
    body.put("raw", Base64.getEncoder().encodeToString(rfc5322.getBytes(StandardCharsets.UTF_8)));
    return body;
  }

  @Test
  void aCleanRawMessageHasNoFindings() {
    assertThat(problems(checkRaw(raw(cleanRaw())))).isEmpty();
  }

  @Test
  void aMultipartWithoutItsBoundaryIsMimeInvalid() {
    String broken =
        "From: orders@"
            + domain
            + "\r\nTo: bob@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
            + "--b1\r\nContent-Type: text/plain\r\n\r\n"
            + TEXT
            + "\r\n";
    Response report = checkRaw(raw(broken));
    assertThat(problems(report)).containsExactly("mime_invalid");
    assertThat(report.jsonPath().getString("findings[0].message")).contains("never closed");
  }

  @Test
  void aSignatureOfAnotherDomainIsDkimNotAligned() {
    String signed =
        "DKIM-Signature: v=1; a=rsa-sha256; d=esp.example.org; s=s1; h=from; bh=AAAA; b=AAAA\r\n"
            + cleanRaw();
    Response report = checkRaw(raw(signed));
    // Postwire's own signature aligns: a warning
    assertThat(problems(report)).containsExactly("dkim_not_aligned");
    report.then().body("findings[0].severity", equalTo("warning"));
    // without a key of the From domain, no signature aligns: an error beside no_dkim_key
    Db.exec(
        pool,
        "update dkim_key set status = 'retired', retired_at = now() where domain = $1",
        domain);
    Response unsigned = checkRaw(raw(signed));
    assertThat(problems(unsigned)).containsExactlyInAnyOrder("dkim_not_aligned", "no_dkim_key");
    assertThat(unsigned.jsonPath().getList("findings.severity")).containsOnly("error");
  }

  @Test
  void rawAndJsonChecksOfTheSameContentAgree() {
    Map<String, Object> m =
        message(
            "<div><p>Hello <b>Bob</p></div><p><img src=\"https://cdn.example.com/a.png\"> See"
                + " <a href=\"https://bit.ly/x\">shop.example.org</a></p>",
            null);
    m.put("bulk", true);
    Response json = check(m);
    // the same content rendered by a send, then checked as a raw message
    m.remove("bulk");
    String id = admin().body(m).post("/v1/messages").then().statusCode(202).extract().path("id");
    byte[] rendered =
        admin().get("/v1/messages/" + id + "/raw").then().statusCode(200).extract().asByteArray();
    Map<String, Object> body = raw("orders@" + domain, "");
    body.put("raw", Base64.getEncoder().encodeToString(rendered));
    body.put("bulk", true);
    Response raw = checkRaw(body);
    assertThat(problems(json))
        .containsExactlyInAnyOrder(
            "html_invalid",
            "missing_text_part",
            "image_only",
            "link_text_mismatch",
            "url_shortener",
            "missing_list_unsubscribe");
    assertThat(findings(raw)).isEqualTo(findings(json));
    assertThat(raw.jsonPath().getInt("score")).isEqualTo(json.jsonPath().getInt("score"));
  }

  @Test
  void an8bitRawMessageIsCheckedAsItWouldGoOutReEncoded() {
    String eightBit =
        "From: Shop <orders@"
            + domain
            + ">\nTo: bob@example.org\nSubject: Your order\nMIME-Version: 1.0\n"
            + "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            + "<p>Grüße, Bob! <b>Ihre Bestellung ist unterwegs.</p></b>\n";
    Response raw = checkRaw(raw(eightBit));
    assertThat(problems(raw)).containsExactlyInAnyOrder("html_invalid", "missing_text_part");
    Response json =
        check(message("<p>Grüße, Bob! <b>Ihre Bestellung ist unterwegs.</p></b>", null));
    assertThat(findings(raw)).isEqualTo(findings(json));
  }

  static List<Object> findings(Response report) {
    return new ArrayList<>(JsonPath.from(report.asString()).getList("findings"));
  }

  @Test
  void aScopedKeyChecksOnlyItsDomains() {
    String other = registerDomain();
    String key = scopedKey(domain);
    as(key).body(message(HTML, TEXT)).post("/v1/messages/check").then().statusCode(200);
    Map<String, Object> foreign = message(HTML, TEXT);
    foreign.put("from", "x@" + other);
    as(key)
        .body(foreign)
        .post("/v1/messages/check")
        .then()
        .statusCode(403)
        .body("code", equalTo("forbidden_sender_domain"));
    as(key)
        .body(raw("bounce@" + other, cleanRaw()))
        .post("/v1/messages/raw/check")
        .then()
        .statusCode(403)
        .body("code", equalTo("forbidden_sender_domain"));
    as(key)
        .body(raw("bounce@" + domain, cleanRaw().replace("orders@" + domain, "x@" + other)))
        .post("/v1/messages/raw/check")
        .then()
        .statusCode(403)
        .body("code", equalTo("forbidden_sender_domain"));
  }

  @Test
  void refusalsAreTheSendsRefusals() {
    given()
        .contentType(ContentType.JSON)
        .body(message(HTML, TEXT))
        .post("/v1/messages/check")
        .then()
        .statusCode(401)
        .body("code", equalTo("unauthorized"));
    Map<String, Object> unknown = message(HTML, TEXT);
    unknown.put("from", "x@" + io.postwire.testing.Api.uniqueDomain());
    check(unknown).then().statusCode(422).body("code", equalTo("unknown_sender_domain"));
    check(message(null, null)).then().statusCode(422).body("code", equalTo("no_content"));
    Map<String, Object> injected = message(HTML, TEXT);
    injected.put("subject", "a\r\nBcc: x@example.net");
    check(injected).then().statusCode(422).body("code", equalTo("header_injection"));
    Map<String, Object> bulk = message(HTML, TEXT);
    bulk.put("bulk", "yes");
    check(bulk)
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("bulk"));
    admin().body("{").post("/v1/messages/check").then().statusCode(400);
    checkRaw(raw("bounce@" + domain, "no header at all"))
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"));
    assertThat(messagesFrom(domain)).isZero();
  }
}
