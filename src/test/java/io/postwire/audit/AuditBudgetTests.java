package io.postwire.audit;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The audit's bounds: lookup walk, time per domain, manual audits, text it can store. */
@QuarkusTest
@TestProfile(AuditBudgetTests.Budgets.class)
class AuditBudgetTests {

  /** The audit profile with a short per-domain timeout and a pause between manual audits. */
  public static class Budgets extends AuditProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "postwire.audit.domain-timeout", "4s",
          "postwire.audit.manual-interval", "30s");
    }
  }

  AuditPeers peers;

  @Inject Pool pool;

  @Inject AuditJob job;

  private String registerAudited() {
    String domain = Api.registerDomain();
    Db.exec(pool, "delete from dkim_key where domain = $1", domain);
    await()
        .atMost(Duration.ofSeconds(30))
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

  private static List<String> codes(JsonPath audit, String name) {
    return audit.getList("checks.find { it.name == '" + name + "' }.findings.code");
  }

  @Test
  void walksARedirectChainOnlyUpToTheLookupLimit_rfc7208section4_6_4() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 redirect=r0." + domain);
    for (int i = 0; i < 100; i++) {
      peers.dns.txt("r" + i + "." + domain, "v=spf1 redirect=r" + (i + 1) + "." + domain);
    }
    peers.dns.txt("r100." + domain, "v=spf1 ip4:" + AuditTestResource.EGRESS_IP + " -all");
    int before = peers.dns.queries().size();

    JsonPath audit = audit(domain);

    assertThat(codes(audit, "spf")).contains("spf_too_many_lookups");
    assertThat(audit.getInt("checks.find { it.name == 'spf' }.details.lookups")).isBetween(11, 26);
    assertThat(audit.getString("checks.find { it.name == 'spf' }.details.results.'192.0.2.10'"))
        .isEqualTo("permerror");
    long redirects =
        peers.dns.queries().stream()
            .skip(before)
            .filter(q -> q.matches("r\\d+\\." + domain.replace(".", "\\.") + "\\. TXT"))
            .count();
    assertThat(redirects).as("TXT queries along the chain").isLessThan(50);
  }

  @Test
  void walksARecordOfThousandsOfTermsWithoutOverflowingTheStack() {
    String domain = registerAudited();
    peers.dns.longTxt(domain, "v=spf1 " + "a ".repeat(10_000) + "-all");

    JsonPath audit = audit(domain);

    assertThat(codes(audit, "spf")).contains("spf_too_many_lookups");
    assertThat(audit.getString("checks.find { it.name == 'spf' }.details.results.'192.0.2.10'"))
        .isEqualTo("permerror");
  }

  @Test
  void savesTheAuditWhenATxtRecordHoldsNul() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 ip4:" + AuditTestResource.EGRESS_IP + " \u0000-all");
    peers.dns.txt("_mta-sts." + domain, "v=STSv1; id=\u0000bad");

    JsonPath audit = audit(domain);

    assertThat(audit.getString("checks.find { it.name == 'spf' }.record"))
        .isEqualTo("v=spf1 ip4:" + AuditTestResource.EGRESS_IP + " \uFFFD-all");
    assertThat(audit.getString("checks.find { it.name == 'mta-sts' }.record"))
        .doesNotContain("\u0000");
    JsonPath latest =
        admin().get("/v1/domains/" + domain + "/audit").then().statusCode(200).extract().jsonPath();
    assertThat(latest.getString("checkedAt")).isEqualTo(audit.getString("checkedAt"));
  }

  @Test
  void givesACheckThatOutlivesTheDomainTimeoutAnUnknownStatus() {
    String domain = registerAudited();
    StringBuilder record = new StringBuilder("v=spf1");
    for (int i = 0; i < 10; i++) {
      record.append(" a:t").append(i).append('.').append(domain);
      peers.dns.timeout("t" + i + "." + domain);
    }
    peers.dns.longTxt(domain, record.append(" -all").toString());

    long started = System.nanoTime();
    JsonPath audit = audit(domain);

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(9));
    assertThat(codes(audit, "spf")).containsExactly("audit_timeout");
    // its lookups went unanswered: nothing definite, so not a failure
    assertThat(audit.getString("checks.find { it.name == 'spf' }.status")).isEqualTo("unknown");
    assertThat(codes(audit, "dmarc")).doesNotContain("audit_timeout");
    assertThat(audit.getString("status")).isEqualTo("fail"); // no DMARC record
  }

  @Test
  void scheduledRunAuditsSlowDomainsInParallelEachWithinItsTimeout() {
    List<String> slow = new ArrayList<>();
    for (int d = 0; d < 3; d++) {
      String domain = registerAudited();
      slow.add(domain);
      StringBuilder record = new StringBuilder("v=spf1");
      for (int i = 0; i < 10; i++) {
        record.append(" a:t").append(i).append('.').append(domain);
        peers.dns.timeout("t" + i + "." + domain);
      }
      peers.dns.longTxt(domain, record.append(" -all").toString());
    }
    long last = Db.rows(pool, "select max(id) from domain_audit").get(0).getLong(0);

    long started = System.nanoTime();
    job.run().await().atMost(Duration.ofSeconds(60));

    // one after another without a budget, each of these took over 10 s
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    for (String domain : slow) {
      assertThat(
              Db.count(
                  pool,
                  """
                  select count(*) from domain_audit where domain = $1 and id > $2
                  and result::text like '%audit_timeout%'""",
                  domain,
                  last))
          .as(domain)
          .isEqualTo(1);
    }
  }

  @Test
  void refusesASecondManualAuditWithinTheIntervalWith429AndRetryAfter() {
    String domain = registerAudited();
    audit(domain);

    Response again = admin().post("/v1/domains/" + domain + "/audit");

    again
        .then()
        .statusCode(429)
        .contentType("application/problem+json")
        .body("code", equalTo("rate_limited"));
    assertThat(Integer.parseInt(again.getHeader("Retry-After"))).isBetween(1, 30);
    // another domain is not held back
    audit(registerAudited());
  }

  @Test
  void spfToolRefusesASenderOverRfc5321Lengths() {
    String domain = registerAudited();
    peers.dns.txt(domain, "v=spf1 ip4:192.0.2.0/24 -all");
    admin()
        .body(Map.of("ip", "192.0.2.77", "sender", "l".repeat(64) + "@" + domain))
        .post("/v1/tools/spf")
        .then()
        .statusCode(200)
        .body("result", equalTo("pass"));
    admin()
        .body(Map.of("ip", "192.0.2.77", "sender", "l".repeat(65) + "@" + domain))
        .post("/v1/tools/spf")
        .then()
        .statusCode(422)
        .body("code", equalTo("validation_failed"))
        .body("errors[0].field", equalTo("sender"));
    admin()
        .body(Map.of("ip", "192.0.2.77", "sender", "a@" + "b".repeat(60) + ".c".repeat(100)))
        .post("/v1/tools/spf")
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("sender"));
    String huge = "x.".repeat(61_000) + "x";
    admin()
        .body(Map.of("ip", "192.0.2.77", "sender", huge + "@" + domain))
        .post("/v1/tools/spf")
        .then()
        .statusCode(422)
        .body("errors[0].field", equalTo("sender"));
  }
}
