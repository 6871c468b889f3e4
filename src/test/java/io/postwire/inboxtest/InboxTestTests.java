package io.postwire.inboxtest;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.dkim.DkimAlgorithm;
import io.postwire.dkim.DkimKeys;
import io.postwire.dkim.DkimSigner;
import io.postwire.inbound.InboundMail;
import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.postwire.testing.dns.TestDnsServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Inbox tests through the API and the mailbox's {@code receive()} called with {@link InboundMail}
 * values, as the inbound listener calls it; SPF, DKIM and DMARC records are served by the in-JVM
 * DNS server. Each test has its own domains.
 */
@QuarkusTest
@TestProfile(InboxTestProfile.class)
class InboxTestTests {

  TestDnsServer dns;

  @Inject InboxTestMailbox mailbox;
  @Inject InboxTestPurge purge;
  @Inject Pool pool;

  static String run() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  static JsonPath create(io.restassured.specification.RequestSpecification as) {
    return as.post("/v1/inbox-tests").then().statusCode(201).extract().jsonPath();
  }

  static JsonPath show(io.restassured.specification.RequestSpecification as, String id) {
    return as.get("/v1/inbox-tests/" + id).then().statusCode(200).extract().jsonPath();
  }

  static InboundMail mail(
      String address, String mailFrom, String helo, byte[] content, String ip, boolean tls) {
    int at = address.indexOf('@');
    return new InboundMail(
        mailFrom,
        address.substring(0, at),
        address.substring(at + 1),
        content,
        ip,
        helo,
        tls ? "TLSv1.3" : null,
        tls ? "TLS_AES_256_GCM_SHA384" : null,
        Instant.now());
  }

  static byte[] message(String from, String to) {
    return ("From: Alice <alice@"
            + from
            + ">\r\nTo: "
            + to
            + "\r\nSubject: Inbox test\r\nDate: Sat, 05 Dec 2026 04:00:00 +0000\r\n"
            + "Message-ID: <"
            + UUID.randomUUID()
            + "@"
            + from
            + ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            + "Hello,\r\n\r\nthis is a test.\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] signed(byte[] message, DkimSigner... signers) {
    StringBuilder fields = new StringBuilder();
    for (DkimSigner s : signers) {
      fields.append(s.sign(message, Instant.now()));
    }
    byte[] h = fields.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[h.length + message.length];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(message, 0, out, h.length, message.length);
    return out;
  }

  void receive(InboundMail mail) {
    mailbox.receive(mail).await().atMost(Duration.ofSeconds(30));
  }

  @Test
  void createdTestHasAnUnguessableCheckAddressOnTheInboundDomainAndWaits() {
    JsonPath created = create(admin());
    assertThat(created.getString("address"))
        .matches("check-[a-z2-7]{32}@" + InboxTestProfile.INBOUND_DOMAIN.replace(".", "\\."));
    OffsetDateTime expires = OffsetDateTime.parse(created.getString("expiresAt"));
    assertThat(expires)
        .isBetween(OffsetDateTime.now().plusHours(23), OffsetDateTime.now().plusHours(25));
    assertThat(create(admin()).getString("address")).isNotEqualTo(created.getString("address"));
    admin()
        .get("/v1/inbox-tests/" + created.getString("id"))
        .then()
        .statusCode(200)
        .body("status", equalTo("waiting"))
        .body("address", equalTo(created.getString("address")))
        .body("report", equalTo(null));
  }

  @Test
  void theCreatingKeySeesItsTestAnotherScopedKeyDoesNotAndAdminSeesAll() {
    String mine = Api.scopedKey(Api.registerDomain());
    String other = Api.scopedKey(Api.registerDomain());
    String id = create(Api.as(mine)).getString("id");
    Api.as(mine).get("/v1/inbox-tests/" + id).then().statusCode(200);
    Api.as(other)
        .get("/v1/inbox-tests/" + id)
        .then()
        .statusCode(404)
        .body("code", equalTo("not_found"));
    admin().get("/v1/inbox-tests/" + id).then().statusCode(200);
    String adminsOwn = create(admin()).getString("id");
    Api.as(mine).get("/v1/inbox-tests/" + adminsOwn).then().statusCode(404);
    RestAssured.given().get("/v1/inbox-tests/" + id).then().statusCode(401);
    admin().get("/v1/inbox-tests/not-a-uuid").then().statusCode(404);
  }

  @Test
  void anExpiredTestIsGoneAndHousekeepingPurgesIt() {
    String id = create(admin()).getString("id");
    String address = show(admin(), id).getString("address");
    Db.exec(
        pool,
        "update inbox_test set expires_at = now() - interval '1 second' where id = $1",
        UUID.fromString(id));
    admin().get("/v1/inbox-tests/" + id).then().statusCode(404);
    // Mail for an expired test is accepted and counted, not evaluated.
    receive(
        mail(
            address,
            "a@example.org",
            "example.org",
            message("example.org", address),
            "127.0.0.1",
            false));
    assertThat(
            Db.count(
                pool,
                "select count(*) from inbox_test where id = $1 and report is null",
                UUID.fromString(id)))
        .isEqualTo(1);
    Map<String, Long> removed = purge.purge().await().atMost(Duration.ofSeconds(30));
    assertThat(removed.get("inboxTests")).isGreaterThanOrEqualTo(1);
    assertThat(Db.count(pool, "select count(*) from inbox_test where id = $1", UUID.fromString(id)))
        .isZero();
  }

  @Test
  void theMailboxTakesOnlyCheckAddressesOnTheInboundDomain() {
    String token = "abcdefghijklmnopqrstuvwxyz234567";
    assertThat(mailbox.accepts("check-" + token, InboxTestProfile.INBOUND_DOMAIN)).isTrue();
    assertThat(mailbox.accepts("CHECK-" + token.toUpperCase(), InboxTestProfile.INBOUND_DOMAIN))
        .isTrue();
    assertThat(mailbox.accepts("check-" + token, "other.example")).isFalse();
    assertThat(mailbox.accepts("check-" + token.substring(1), InboxTestProfile.INBOUND_DOMAIN))
        .isFalse();
    assertThat(mailbox.accepts("check-" + token.replace('a', '1'), InboxTestProfile.INBOUND_DOMAIN))
        .isFalse();
    assertThat(mailbox.accepts("b+" + token, InboxTestProfile.INBOUND_DOMAIN)).isFalse();
    // An unknown token is accepted at RCPT (no lookup on the event loop) and dropped on receipt.
    String unknown = "check-" + token + "@" + InboxTestProfile.INBOUND_DOMAIN;
    receive(
        mail(
            unknown,
            "a@example.org",
            "example.org",
            message("example.org", unknown),
            "127.0.0.1",
            false));
  }

  @Test
  void aMessageThatPassesEverywhereIsReportedSoAndTheFirstMessageWins() {
    String domain = "pass-" + run() + ".example.org";
    var rsa = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    var ed = DkimKeys.generate(DkimAlgorithm.ED25519_SHA256);
    dns.txt(domain, "v=spf1 ip4:127.0.0.1 -all")
        .longTxt(
            "rsa1._domainkey." + domain,
            DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, rsa.getPublic()))
        .txt(
            "ed1._domainkey." + domain,
            DkimKeys.dnsRecordValue(DkimAlgorithm.ED25519_SHA256, ed.getPublic()))
        .txt("_dmarc." + domain, "v=DMARC1; p=reject; adkim=s");
    JsonPath created = create(admin());
    String address = created.getString("address");
    byte[] content =
        signed(
            message(domain, address),
            new DkimSigner(DkimAlgorithm.ED25519_SHA256, domain, "ed1", ed.getPrivate()),
            new DkimSigner(DkimAlgorithm.RSA_SHA256, domain, "rsa1", rsa.getPrivate()));
    receive(mail(address, "bounces@" + domain, "mail." + domain, content, "127.0.0.1", true));

    JsonPath shown = show(admin(), created.getString("id"));
    assertThat(shown.getString("status")).isEqualTo("received");
    assertThat(shown.getString("receivedAt")).isNotNull();
    assertThat(shown.getMap("report.spf"))
        .containsEntry("result", "pass")
        .containsEntry("domain", domain);
    assertThat(shown.getList("report.dkim.result")).containsExactly("pass", "pass");
    assertThat(shown.getList("report.dkim.algorithm"))
        .containsExactly("ed25519-sha256", "rsa-sha256");
    assertThat(shown.getList("report.dkim.selector")).containsExactly("ed1", "rsa1");
    assertThat(shown.getList("report.dkim.domain")).containsExactly(domain, domain);
    assertThat(shown.getString("report.dmarc.result")).isEqualTo("pass");
    assertThat(shown.getString("report.dmarc.policy")).isEqualTo("reject");
    assertThat(shown.getString("report.dmarc.domain")).isEqualTo(domain);
    assertThat(shown.getMap("report.dmarc.alignment"))
        .containsEntry("spf", true)
        .containsEntry("dkim", true)
        .containsEntry("dkimMode", "strict")
        .containsEntry("spfMode", "relaxed");
    assertThat(shown.getMap("report.tls"))
        .containsEntry("protocol", "TLSv1.3")
        .containsEntry("cipher", "TLS_AES_256_GCM_SHA384");

    // No spamd in this profile; the content findings of the check are there (a plain message).
    assertThat(shown.getString("report.spam")).isNull();
    assertThat(shown.getList("report.findings.severity")).doesNotContain("error");

    // A second message (unsigned, from elsewhere) changes nothing.
    receive(
        mail(
            address,
            "x@example.net",
            "example.net",
            message("example.net", address),
            "127.0.0.9",
            false));
    assertThat(show(admin(), created.getString("id")).getList("report.dkim.result"))
        .containsExactly("pass", "pass");
  }

  @Test
  void aBrokenKeyMakesDkimFailAndDmarcFailThoughSpfPassesForAnUnalignedSender() {
    String run = run();
    String from = "brk-" + run + ".example.org";
    String bounce = "esp-" + run + ".example.net";
    var published = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    var signing = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    dns.txt(bounce, "v=spf1 ip4:127.0.0.1 -all")
        .longTxt(
            "s1._domainkey." + from,
            DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, published.getPublic()))
        .txt("_dmarc." + from, "v=DMARC1; p=quarantine");
    JsonPath created = create(admin());
    String address = created.getString("address");
    byte[] content =
        signed(
            message(from, address),
            new DkimSigner(DkimAlgorithm.RSA_SHA256, from, "s1", signing.getPrivate()));
    receive(mail(address, "b@" + bounce, "mx." + bounce, content, "127.0.0.1", false));

    JsonPath shown = show(admin(), created.getString("id"));
    assertThat(shown.getMap("report.spf"))
        .containsEntry("result", "pass")
        .containsEntry("domain", bounce);
    assertThat(shown.getList("report.dkim.result")).containsExactly("fail");
    assertThat(shown.getList("report.dkim.reason")).containsExactly("signature did not verify");
    assertThat(shown.getString("report.dmarc.result")).isEqualTo("fail");
    assertThat(shown.getString("report.dmarc.policy")).isEqualTo("quarantine");
    assertThat(shown.getMap("report.dmarc.alignment"))
        .containsEntry("spf", false)
        .containsEntry("dkim", false);
    assertThat(shown.getString("report.tls")).isNull();
    assertThat(shown.getMap("report")).containsKeys("tls", "spam", "findings");
  }

  @Test
  void theNullSenderIsCheckedByHeloAndNoDmarcRecordIsNone() {
    String helo = "helo-" + run() + ".example.org";
    dns.txt(helo, "v=spf1 -all");
    JsonPath created = create(admin());
    String address = created.getString("address");
    receive(mail(address, "", helo, message(helo, address), "127.0.0.1", false));
    JsonPath shown = show(admin(), created.getString("id"));
    assertThat(shown.getMap("report.spf"))
        .containsEntry("result", "fail")
        .containsEntry("domain", helo);
    assertThat(shown.getList("report.dkim")).isEmpty();
    assertThat(shown.getString("report.dmarc.result")).isEqualTo("none");
    assertThat(shown.getString("report.dmarc.policy")).isNull();
  }

  @Test
  void aReportIsBoundedWhateverTheMessage() {
    String domain = "many-" + run() + ".example.org";
    var rsa = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    dns.longTxt(
        "s._domainkey." + domain,
        DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, rsa.getPublic()));
    JsonPath created = create(admin());
    String address = created.getString("address");
    DkimSigner signer = new DkimSigner(DkimAlgorithm.RSA_SHA256, domain, "s", rsa.getPrivate());
    DkimSigner[] many = new DkimSigner[40];
    java.util.Arrays.fill(many, signer);
    receive(
        mail(
            address,
            "a@" + domain,
            domain,
            signed(message(domain, address), many),
            "127.0.0.1",
            false));
    List<String> results = show(admin(), created.getString("id")).getList("report.dkim.result");
    assertThat(results).containsExactly("pass", "pass", "pass", "pass", "pass", "neutral");
    assertThat(
            Db.count(
                pool,
                "select count(*) from inbox_test where id = $1 and length(report::text) < 8000",
                UUID.fromString(created.getString("id"))))
        .isEqualTo(1);
  }
}
