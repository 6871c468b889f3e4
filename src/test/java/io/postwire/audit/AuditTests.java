package io.postwire.audit;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.as;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.net.IDN;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The DNS audit against zones served by the tests' DNS server (API.md "Domains", issue 5). */
@QuarkusTest
@TestProfile(AuditProfile.class)
class AuditTests {

  AuditPeers peers;

  @Inject Pool pool;

  @Inject AuditJob job;

  /** A domain whose every record is right (no DKIM key and no MTA-STS unless a test adds them). */
  private String goodZone(String domain) {
    return "@ TXT \"v=spf1 ip4:"
        + AuditTestResource.EGRESS_IP
        + " -all\"\n"
        + "@ MX 10 mx1\n"
        + "mx1 A 127.0.0.2\n"
        + "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@"
        + domain
        + "\"\n"
        + "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tls@"
        + domain
        + "\"\n";
  }

  /** Registers a domain and waits for its first (background) audit, so none races a test's own. */
  private String registerAudited() {
    String domain = registerDomain();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                Db.count(pool, "select count(*) from domain_audit where domain = $1", domain) > 0);
    return domain;
  }

  private static JsonPath audit(String domain) {
    return admin()
        .post("/v1/domains/" + domain + "/audit")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  private static Map<String, Object> check(JsonPath audit, String name) {
    return audit.getMap("checks.find { it.name == '" + name + "' }");
  }

  private static String status(JsonPath audit, String name) {
    return audit.getString("checks.find { it.name == '" + name + "' }.status");
  }

  private static List<String> codes(JsonPath audit, String name) {
    return audit.getList("checks.find { it.name == '" + name + "' }.findings.code");
  }

  @Test
  void theSpfRecordToPublishNamesExactlyTheEgressIps() {
    String domain = registerDomain();

    JsonPath view =
        admin().get("/v1/domains/" + domain).then().statusCode(200).extract().jsonPath();

    assertThat(view.getString("dnsRecords.find { it.purpose == 'spf' }.value"))
        .isEqualTo("v=spf1 ip4:" + AuditTestResource.EGRESS_IP + " -all");
  }

  @Test
  void aGoodDomainPassesSpfDmarcMxAndTlsRpt() {
    String domain = registerAudited();
    peers.dns.zone(domain, goodZone(domain));
    JsonPath audit = audit(domain);
    assertThat(audit.getString("domain")).isEqualTo(domain);
    assertThat(status(audit, "spf")).isEqualTo("pass");
    assertThat(audit.getString("checks.find { it.name == 'spf' }.details.results.'192.0.2.10'"))
        .isEqualTo("pass");
    assertThat(check(audit, "spf").get("record"))
        .isEqualTo("v=spf1 ip4:" + AuditTestResource.EGRESS_IP + " -all");
    assertThat(status(audit, "dmarc")).isEqualTo("pass");
    assertThat(codes(audit, "dmarc")).contains("dmarc_aligned");
    assertThat(status(audit, "mx")).isEqualTo("pass");
    assertThat(status(audit, "tls-rpt")).isEqualTo("pass");
    // no DKIM key and no MTA-STS: the audit warns, it does not fail
    assertThat(codes(audit, "dkim")).containsExactly("dkim_no_key");
    assertThat(codes(audit, "mta-sts")).containsExactly("mta_sts_missing");
    assertThat(audit.getString("status")).isEqualTo("warn");
  }

  @Test
  void spfSyntaxErrorIsReportedWithItsPosition_rfc7208section4_6() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 ip4:192.0.2.10 bogus:x -all");
    JsonPath audit = audit(domain);
    assertThat(status(audit, "spf")).isEqualTo("fail");
    assertThat(codes(audit, "spf")).contains("spf_syntax_error");
    assertThat(
            audit.getString(
                "checks.find { it.name == 'spf' }.findings.find { it.code == 'spf_syntax_error' }.message"))
        .contains("position");
    assertThat(audit.getString("status")).isEqualTo("fail");
  }

  @Test
  void moreThanTenLookupsThroughIncludesFail_rfc7208section4_6_4() {
    String domain = registerAudited();
    StringBuilder record = new StringBuilder("v=spf1 ip4:192.0.2.10");
    for (int i = 0; i < 6; i++) {
      record.append(" include:i").append(i).append('.').append(domain);
      peers.dns.txt("i" + i + "." + domain, "v=spf1 a mx -all");
      peers.dns.a("i" + i + "." + domain, "192.0.2.200");
      peers.dns.mx("i" + i + "." + domain, 10, "mx.i" + i + "." + domain);
    }
    peers.dns.txt(domain, record.append(" -all").toString());
    JsonPath audit = audit(domain);
    assertThat(codes(audit, "spf")).contains("spf_too_many_lookups");
    assertThat(audit.getInt("checks.find { it.name == 'spf' }.details.lookups")).isEqualTo(18);
    assertThat(status(audit, "spf")).isEqualTo("fail");
  }

  @Test
  void includeLoopIsFound() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 ip4:192.0.2.10 include:loop." + domain + " -all");
    peers.dns.txt("loop." + domain, "v=spf1 include:" + domain + " -all");
    assertThat(codes(audit(domain), "spf")).contains("spf_loop");
  }

  @Test
  void plusAllAndPtrWarnButTheEgressIpStillPasses() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 ptr +all");
    JsonPath audit = audit(domain);
    assertThat(codes(audit, "spf")).contains("spf_permissive_all", "spf_ptr");
    assertThat(status(audit, "spf")).isEqualTo("warn");
  }

  @Test
  void anEgressIpNotAuthorizedFails() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 ip4:198.51.100.0/24 ~all");
    JsonPath audit = audit(domain);
    assertThat(codes(audit, "spf")).contains("spf_egress_not_authorized");
    assertThat(audit.getString("checks.find { it.name == 'spf' }.details.results.'192.0.2.10'"))
        .isEqualTo("softfail");
  }

  @Test
  void missingSpfAndTwoSpfRecordsFail_rfc7208section4_5() {
    String none = registerAudited();
    assertThat(codes(audit(none), "spf")).contains("spf_missing");
    String two = registerAudited();
    peers.dns.txt(two, "v=spf1 -all");
    peers.dns.txt(two, "v=spf1 ip4:192.0.2.10 -all");
    assertThat(codes(audit(two), "spf")).contains("spf_multiple_records");
  }

  @Test
  void aLongRecordWarns_rfc7208section3_4() {
    String domain = registerAudited();
    StringBuilder record = new StringBuilder("v=spf1 ip4:192.0.2.10");
    for (int i = 0; i < 30; i++) {
      record.append(" ip4:198.51.100.").append(i);
    }
    peers.dns.longTxt(domain, record.append(" -all").toString());
    assertThat(codes(audit(domain), "spf")).contains("spf_record_too_long");
  }

  /**
   * A registered domain without the DKIM key registration generates (its record is not in the test
   * zones); each test adds the keys it is about.
   */
  private String registerDomain() {
    String domain = Api.registerDomain();
    dropGeneratedKeys(domain);
    return domain;
  }

  private void dropGeneratedKeys(String domain) {
    Db.exec(pool, "delete from dkim_key where domain = $1", domain);
  }

  private static String rsaPublicKey(int bits) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(bits);
    return Base64.getEncoder().encodeToString(generator.generateKeyPair().getPublic().getEncoded());
  }

  private UUID addKey(String domain, String selector, String status, String publicKey) {
    UUID id = UUID.randomUUID();
    Db.exec(
        pool,
        """
        insert into dkim_key (id, domain, selector, algorithm, status, public_key,
        private_key_sealed) values ($1, $2, $3, 'rsa-sha256', $4, $5, $6)""",
        id,
        domain,
        selector,
        status,
        publicKey,
        Buffer.buffer(new byte[] {0}));
    return id;
  }

  private String keyStatus(UUID id) {
    return Db.rows(pool, "select status from dkim_key where id = $1", id).get(0).getString(0);
  }

  @Test
  void dkimKeyPublishedAsWeHoldItPasses_andAMissingOrDifferentOneFails() throws Exception {
    String domain = registerAudited();
    peers.dns.zone(domain, goodZone(domain));
    String key = rsaPublicKey(2048);
    addKey(domain, "s1", "active", key);
    JsonPath missing = audit(domain);
    assertThat(codes(missing, "dkim")).containsExactly("dkim_key_missing");
    assertThat(status(missing, "dkim")).isEqualTo("fail");

    peers.dns.longTxt("s1._domainkey." + domain, "v=DKIM1; k=rsa; p=" + rsaPublicKey(2048));
    JsonPath wrong = audit(domain);
    assertThat(codes(wrong, "dkim")).contains("dkim_key_mismatch");

    String other = registerAudited();
    addKey(other, "s1", "active", key);
    peers.dns.longTxt("s1._domainkey." + other, "v=DKIM1; k=rsa; p=" + key);
    JsonPath good = audit(other);
    assertThat(status(good, "dkim")).isEqualTo("pass");
    assertThat(check(good, "dkim").get("record")).isEqualTo("v=DKIM1; k=rsa; p=" + key);
  }

  @Test
  void weakAndTestingKeysWarn_rfc8301() throws Exception {
    String domain = registerAudited();
    String key = rsaPublicKey(1024);
    addKey(domain, "weak", "active", key);
    peers.dns.longTxt("weak._domainkey." + domain, "v=DKIM1; k=rsa; t=y; p=" + key);
    JsonPath audit = audit(domain);
    assertThat(codes(audit, "dkim")).containsExactlyInAnyOrder("dkim_key_weak", "dkim_testing");
    assertThat(status(audit, "dkim")).isEqualTo("warn");
  }

  @Test
  void aPendingKeyBecomesActiveOncePublished_andRetiresTheOneItReplaces() throws Exception {
    String domain = registerAudited();
    String oldKey = rsaPublicKey(2048);
    String newKey = rsaPublicKey(2048);
    UUID old = addKey(domain, "old", "active", oldKey);
    UUID rotated = addKey(domain, "new", "pending", newKey);
    peers.dns.longTxt("old._domainkey." + domain, "v=DKIM1; k=rsa; p=" + oldKey);

    JsonPath before = audit(domain);
    assertThat(codes(before, "dkim")).containsExactly("dkim_pending_not_published");
    assertThat(keyStatus(rotated)).isEqualTo("pending");
    assertThat(keyStatus(old)).isEqualTo("active");

    peers.dns.longTxt("new._domainkey." + domain, "v=DKIM1; k=rsa; p=" + newKey);
    JsonPath after = audit(domain);
    assertThat(codes(after, "dkim")).containsExactly("dkim_key_activated");
    assertThat(keyStatus(rotated)).isEqualTo("active");
    assertThat(keyStatus(old)).isEqualTo("retired");
    assertThat(
            Db.count(
                pool,
                "select count(*) from dkim_key where id = $1 and retired_at is not null",
                old))
        .isEqualTo(1);
  }

  @Test
  void dmarcPolicyNoneAndNoRuaWarn_rfc7489section6_3() {
    String domain = registerAudited();
    peers.dns.txt("_dmarc." + domain, "v=DMARC1; p=none");
    JsonPath audit = audit(domain);
    assertThat(codes(audit, "dmarc")).contains("dmarc_policy_none", "dmarc_no_rua");
    assertThat(status(audit, "dmarc")).isEqualTo("warn");
  }

  @Test
  void dmarcIsFoundAtTheOrganizationalDomain_rfc7489section6_6_3() {
    String org = "org" + UUID.randomUUID().toString().substring(0, 8) + ".co.uk";
    String domain = "mail." + org;
    admin().body(Map.of("name", domain)).post("/v1/domains").then().statusCode(201);
    dropGeneratedKeys(domain);
    peers.dns.txt("_dmarc." + org, "v=DMARC1; p=reject; rua=mailto:d@" + org);
    JsonPath audit = audit(domain);
    assertThat(status(audit, "dmarc")).isEqualTo("pass");
    assertThat(audit.getString("checks.find { it.name == 'dmarc' }.details.publishedAt"))
        .isEqualTo("_dmarc." + org);
  }

  @Test
  void externalReportDestinationMustAuthorize_rfc7489section7_1() {
    String domain = registerAudited();
    peers.dns.txt("_dmarc." + domain, "v=DMARC1; p=reject; rua=mailto:r@reports.example.net");
    assertThat(codes(audit(domain), "dmarc")).contains("dmarc_external_report_unauthorized");

    String authorized = registerAudited();
    peers.dns.txt("_dmarc." + authorized, "v=DMARC1; p=reject; rua=mailto:r@reports.example.net");
    peers.dns.txt(authorized + "._report._dmarc.reports.example.net", "v=DMARC1");
    JsonPath audit = audit(authorized);
    assertThat(codes(audit, "dmarc")).doesNotContain("dmarc_external_report_unauthorized");
    assertThat(status(audit, "dmarc")).isEqualTo("pass");
  }

  @Test
  void nullMxAndNoMxWarn_rfc7505() {
    String nullMx = registerAudited();
    peers.dns.mx(nullMx, 0, ".");
    JsonPath audit = audit(nullMx);
    assertThat(codes(audit, "mx")).containsExactly("mx_null");
    assertThat(status(audit, "mx")).isEqualTo("warn");

    String none = registerAudited();
    assertThat(codes(audit(none), "mx")).containsExactly("mx_missing");

    String dangling = registerAudited();
    peers.dns.mx(dangling, 10, "nowhere." + dangling);
    assertThat(codes(audit(dangling), "mx")).containsExactly("mx_host_unresolvable");
  }

  @Test
  void mtaStsRecordWithoutAFetchablePolicyFails_rfc8461section3_3() {
    String domain = registerAudited();
    peers.dns.txt("_mta-sts." + domain, "v=STSv1; id=20260101");
    peers.dns.a("mta-sts." + domain, "127.0.0.1");
    JsonPath audit = audit(domain);
    assertThat(codes(audit, "mta-sts")).contains("mta_sts_policy_unreachable");
    assertThat(status(audit, "mta-sts")).isEqualTo("fail");
  }

  @Test
  void aPolicyServedOverHttpsWithAValidCertificatePasses_rfc8461() {
    String domain = peers.stsGood;
    admin().body(Map.of("name", domain)).post("/v1/domains").then().statusCode(201);
    dropGeneratedKeys(domain);
    peers.dns.zone(domain, goodZone(domain));
    peers.dns.txt("_mta-sts." + domain, "v=STSv1; id=20260101");
    peers.dns.a("mta-sts." + domain, "127.0.0.1");
    peers.policies.put(
        "mta-sts." + domain,
        "version: STSv1\r\nmode: enforce\r\nmx: *." + domain + "\r\nmax_age: 86400\r\n");
    JsonPath audit = audit(domain);
    assertThat(status(audit, "mta-sts")).as(audit.prettify()).isEqualTo("pass");
    assertThat(audit.getString("checks.find { it.name == 'mta-sts' }.details.mode"))
        .isEqualTo("enforce");
  }

  @Test
  void mxHostsNotCoveredByThePolicyFail_rfc8461section4_1() {
    String domain = peers.stsUncovered;
    admin().body(Map.of("name", domain)).post("/v1/domains").then().statusCode(201);
    dropGeneratedKeys(domain);
    peers.dns.zone(domain, goodZone(domain));
    peers.dns.txt("_mta-sts." + domain, "v=STSv1; id=1");
    peers.dns.a("mta-sts." + domain, "127.0.0.1");
    peers.policies.put(
        "mta-sts." + domain,
        "version: STSv1\nmode: enforce\nmx: mail.elsewhere.example\nmax_age: 86400\n");
    JsonPath audit = audit(domain);
    assertThat(codes(audit, "mta-sts")).contains("mta_sts_mx_not_covered");
  }

  @Test
  void aCertificateForAnotherNameIsNotTrusted() {
    // the test certificate names only the two mta-sts hosts above
    String domain = registerAudited();
    peers.dns.txt("_mta-sts." + domain, "v=STSv1; id=1");
    peers.dns.a("mta-sts." + domain, "127.0.0.1");
    peers.policies.put(
        "mta-sts." + domain,
        "version: STSv1\nmode: enforce\nmx: *." + domain + "\nmax_age: 86400\n");
    assertThat(codes(audit(domain), "mta-sts")).contains("mta_sts_policy_unreachable");
  }

  @Test
  void missingTlsRptWarns_rfc8460() {
    String domain = registerAudited();
    JsonPath audit = audit(domain);
    assertThat(codes(audit, "tls-rpt")).containsExactly("tls_rpt_missing");
    assertThat(status(audit, "tls-rpt")).isEqualTo("warn");
  }

  @Test
  void getIs404UntilTheFirstAuditHasFinished_thenShowsIt() {
    String domain = Api.uniqueDomain();
    peers.dns.timeout(domain); // the registration's audit waits for the DNS
    admin().body(Map.of("name", domain)).post("/v1/domains").then().statusCode(201);
    dropGeneratedKeys(domain);
    admin().get("/v1/domains/" + domain + "/audit").then().statusCode(404);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                admin()
                    .get("/v1/domains/" + domain + "/audit")
                    .then()
                    .statusCode(200)
                    .body("domain", equalTo(domain)));
    admin()
        .get("/v1/domains/" + domain)
        .then()
        .statusCode(200)
        .body("audit.domain", equalTo(domain));
  }

  @Test
  void registrationStartsTheFirstAuditInTheBackground() {
    String domain = registerDomain();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                Db.count(pool, "select count(*) from domain_audit where domain = $1", domain) > 0);
  }

  @Test
  void historyKeepsTheLastNAuditsPerDomain() {
    String domain = registerAudited();
    for (int i = 0; i < AuditTestResource.HISTORY + 2; i++) {
      audit(domain);
    }
    String latest = audit(domain).getString("checkedAt");
    assertThat(Db.count(pool, "select count(*) from domain_audit where domain = $1", domain))
        .isEqualTo(AuditTestResource.HISTORY);
    admin()
        .get("/v1/domains/" + domain + "/audit")
        .then()
        .statusCode(200)
        .body("checkedAt", equalTo(latest));
  }

  @Test
  void aChangeOfStatusIsCounted() {
    String domain = registerAudited();
    audit(domain); // fail: no SPF
    peers.dns.zone(domain, goodZone(domain));
    audit(domain); // warn
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertThat(metrics)
        .containsPattern(
            "postwire_audit_status_changes_total\\{from=\"fail\",to=\"warn\"\\} [1-9]");
  }

  @Test
  void aChangeOfStatusIsTheEventDomainAuditChanged_theFirstAuditAndAnUnchangedOneAreNot() {
    String domain = registerAudited();
    audit(domain); // fail: no SPF
    audit(domain); // fail again: no event
    peers.dns.zone(domain, goodZone(domain));
    audit(domain); // warn
    audit(domain); // warn again: no event
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              JsonPath events =
                  admin()
                      .queryParam("types", "domain.audit_changed")
                      .queryParam("domain", domain)
                      .queryParam("limit", 100)
                      .get("/v1/events")
                      .then()
                      .statusCode(200)
                      .extract()
                      .jsonPath();
              // the change fail → warn only: not the first audit, never the repeats
              assertThat(events.getList("items.detail.status", String.class))
                  .containsExactly("warn");
              assertThat(events.getList("items.detail.previous", String.class))
                  .containsExactly("fail");
              assertThat(events.getList("items.domain", String.class)).containsOnly(domain);
              assertThat(events.getList("items.messageId")).containsOnly((Object) null);
            });
  }

  @Test
  void theJobAuditsEveryDomainOnlyWhenItHoldsTheAdvisoryLock() {
    String domain = registerAudited();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                Db.count(pool, "select count(*) from domain_audit where domain = $1", domain) > 0);
    String newer = "select count(*) from domain_audit where domain = $1 and id > $2";
    long last =
        Db.rows(pool, "select max(id) from domain_audit where domain = $1", domain)
            .get(0)
            .getLong(0);
    // another replica holds the lock: this one skips the run
    SqlConnection other = pool.getConnection().await().atMost(Duration.ofSeconds(10));
    try {
      other
          .query("select pg_advisory_lock(" + AuditJob.LOCK_KEY + ")")
          .execute()
          .await()
          .atMost(Duration.ofSeconds(10));
      job.run().await().atMost(Duration.ofSeconds(60));
      assertThat(Db.count(pool, newer, domain, last)).isZero();
    } finally {
      other
          .query("select pg_advisory_unlock(" + AuditJob.LOCK_KEY + ")")
          .execute()
          .await()
          .atMost(Duration.ofSeconds(10));
      other.closeAndAwait();
    }
    job.run().await().atMost(Duration.ofSeconds(120));
    assertThat(Db.count(pool, newer, domain, last)).isEqualTo(1);
    // the lock is released after the run
    assertThat(
            Db.count(
                pool,
                "select count(*) from pg_locks where locktype = 'advisory' and objid = $1",
                (int) (AuditJob.LOCK_KEY & 0xffffffffL)))
        .isZero();
  }

  @Test
  void aScopedKeyReadsItsDomainsAuditButNotAnothers() {
    String mine = registerAudited();
    String theirs = registerAudited();
    audit(mine);
    audit(theirs);
    String key = Api.scopedKey(mine);
    as(key).get("/v1/domains/" + mine + "/audit").then().statusCode(200);
    as(key).get("/v1/domains/" + theirs + "/audit").then().statusCode(404);
    as(key).post("/v1/domains/" + theirs + "/audit").then().statusCode(404);
    admin()
        .get("/v1/domains/nosuch-" + UUID.randomUUID() + ".example/audit")
        .then()
        .statusCode(404);
  }

  @Test
  void healthIsDownWhileAnyDomainFails_andItsDataMapsDomainsToStatus() {
    Db.exec(pool, "delete from domain_audit");
    String good = registerAudited();
    peers.dns.zone(good, goodZone(good));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> Db.count(pool, "select count(*) from domain_audit where domain = $1", good) > 0);
    Db.exec(pool, "delete from domain_audit where status = 'fail'");
    audit(good);
    given()
        .get("/q/health/group/dns-auth")
        .then()
        .statusCode(200)
        .body("status", equalTo("UP"))
        .body(
            "checks.find { it.name == 'dns-authentication' }.data." + "'" + good + "'",
            equalTo("warn"));
    given().get("/q/health/well").then().statusCode(200);

    String bad = registerAudited();
    audit(bad);
    given()
        .get("/q/health/group/dns-auth")
        .then()
        .statusCode(503)
        .body("status", equalTo("DOWN"))
        .body(
            "checks.find { it.name == 'dns-authentication' }.data." + "'" + bad + "'",
            equalTo("fail"));
    // readiness ignores the customers' DNS
    given()
        .get("/q/health/ready")
        .then()
        .statusCode(200)
        .body("checks.name", not(hasItem("dns-authentication")));
  }

  private static final List<String> CHECKS =
      List.of("spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt");

  /** Every name the six checks of {@code domain} ask about answers SERVFAIL or nothing. */
  private void failTemporarily(String domain, String selector) {
    peers.dns.servfail(domain); // SPF TXT and MX
    peers.dns.servfail("_dmarc." + domain);
    peers.dns.servfail(selector + "._domainkey." + domain);
    peers.dns.timeout("_mta-sts." + domain);
    peers.dns.timeout("_smtp._tls." + domain);
  }

  @Test
  void temporaryDnsFailuresMakeChecksUnknownNeverFail_andLeaveHealthUp() throws Exception {
    Db.exec(pool, "delete from domain_audit");
    String domain = registerAudited();
    addKey(domain, "s1", "active", rsaPublicKey(2048));
    failTemporarily(domain, "s1");
    Db.exec(pool, "delete from domain_audit where status = 'fail'");

    JsonPath audit = audit(domain);

    for (String name : CHECKS) {
      assertThat(status(audit, name)).as(name + " in " + audit.prettify()).isEqualTo("unknown");
      assertThat(codes(audit, name)).as(name).containsExactly("dns_temporary_failure");
    }
    assertThat(audit.getString("status")).isEqualTo("unknown");
    given()
        .get("/q/health/group/dns-auth")
        .then()
        .statusCode(200)
        .body("status", equalTo("UP"))
        .body(
            "checks.find { it.name == 'dns-authentication' }.data.'" + domain + "'",
            equalTo("unknown"));
    given().get("/q/health/well").then().statusCode(200);
    assertThat(metrics())
        .contains("postwire_audit_status{domain=\"" + domain + "\",status=\"unknown\"} 1.0")
        .contains("postwire_audit_status{domain=\"" + domain + "\",status=\"fail\"} 0.0");
  }

  @Test
  void theAuditStatusIsTheWorstOfTheDefiniteChecks() throws Exception {
    String domain = registerAudited();
    addKey(domain, "s1", "active", rsaPublicKey(2048));
    peers.dns.servfail(domain);
    peers.dns.servfail("s1._domainkey." + domain);
    peers.dns.timeout("_mta-sts." + domain);
    peers.dns.servfail("_smtp._tls." + domain);
    peers.dns.txt("_dmarc." + domain, "v=DMARC1; p=none; rua=mailto:d@" + domain);

    JsonPath audit = audit(domain);

    assertThat(status(audit, "dmarc")).isEqualTo("warn");
    assertThat(status(audit, "spf")).isEqualTo("unknown");
    assertThat(audit.getString("status")).isEqualTo("warn");
  }

  @Test
  void anSpfIncludeThatFailsTemporarilyIsUnknown_rfc7208section2_6_6() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 include:inc." + domain + " -all");
    peers.dns.servfail("inc." + domain);

    JsonPath audit = audit(domain);

    assertThat(status(audit, "spf")).isEqualTo("unknown");
    assertThat(codes(audit, "spf")).contains("dns_temporary_failure");
    assertThat(codes(audit, "spf")).doesNotContain("spf_egress_not_authorized");
  }

  @Test
  void statusGaugeIsOneForTheCurrentStatus() {
    String domain = registerAudited();
    peers.dns.zone(domain, goodZone(domain));
    audit(domain);
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
    assertThat(metrics)
        .contains("postwire_audit_status{domain=\"" + domain + "\",status=\"warn\"} 1.0")
        .contains("postwire_audit_status{domain=\"" + domain + "\",status=\"fail\"} 0.0");
  }

  static String metrics() {
    return given().get("/q/metrics").then().statusCode(200).extract().asString();
  }

  @Test
  void statusGaugeFollowsAnAuditAnotherReplicaStored() {
    String domain = registerAudited();
    audit(domain);
    assertThat(metrics())
        .contains("postwire_audit_status{domain=\"" + domain + "\",status=\"fail\"} 1.0");
    // another replica's audit, newer than ours: only the database knows of it
    Db.exec(
        pool,
        """
        insert into domain_audit (domain, checked_at, status, result)
        values ($1, now() + interval '1 minute', 'pass', '{}'::jsonb)""",
        domain);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                metrics()
                    .contains(
                        "postwire_audit_status{domain=\"" + domain + "\",status=\"pass\"} 1.0"));
  }

  @Test
  void aRemovedDomainsStatusGaugesGoAway() {
    String domain = registerAudited();
    audit(domain);
    assertThat(metrics()).contains("postwire_audit_status{domain=\"" + domain + "\"");
    admin().delete("/v1/domains/" + domain).then().statusCode(204);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !metrics().contains("postwire_audit_status{domain=\"" + domain + "\""));
  }

  @Test
  void spfToolEvaluatesCheckHostAgainstTheZones_rfc7208section4() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 ip4:192.0.2.0/24 -all");
    admin()
        .body(Map.of("ip", "192.0.2.77", "sender", "bounce@" + domain, "helo", "mta." + domain))
        .post("/v1/tools/spf")
        .then()
        .statusCode(200)
        .body("result", equalTo("pass"))
        .body("lookups", equalTo(0));
    admin()
        .body(Map.of("ip", "203.0.113.5", "sender", "bounce@" + domain, "helo", "mta." + domain))
        .post("/v1/tools/spf")
        .then()
        .statusCode(200)
        .body("result", equalTo("fail"));
    admin()
        .body(Map.of("ip", "not-an-ip", "sender", "bounce@" + domain))
        .post("/v1/tools/spf")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"));
  }

  /** API.md "Conventions": internationalized domains are A-labels on the wire, in DNS too. */
  @Test
  void spfToolQueriesTheALabelOfAUnicodeSenderAndHelo() {
    String unicode = "bücher-" + UUID.randomUUID().toString().substring(0, 8) + ".example";
    String ascii = IDN.toASCII(unicode);
    peers.dns.txt(ascii, "v=spf1 ip4:192.0.2.0/24 -all");
    admin()
        .body(Map.of("ip", "192.0.2.77", "sender", "b@" + unicode, "helo", "mta." + unicode))
        .post("/v1/tools/spf")
        .then()
        .statusCode(200)
        .body("result", equalTo("pass"));
    admin()
        .body(Map.of("ip", "192.0.2.77", "helo", unicode))
        .post("/v1/tools/spf")
        .then()
        .statusCode(200)
        .body("result", equalTo("pass"));
  }
}
