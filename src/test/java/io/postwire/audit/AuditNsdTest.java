package io.postwire.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dns.Dns;
import io.postwire.dns.DnsSettings;
import io.postwire.dns.SpfEvaluator;
import io.postwire.egress.EgressPolicy;
import io.postwire.mtasts.MtaStsFetcher;
import io.postwire.testing.dns.NsdServer;
import io.vertx.mutiny.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The audit's checks against NSD, a real authoritative server from Debian's nsd package. */
@Tag("peers")
class AuditNsdTest {

  static final String ORIGIN = "audit.test";

  static final String ZONE =
      """
      $TTL 300
      @             SOA  ns.audit.test. hostmaster.audit.test. 1 3600 600 86400 60
      @             NS   ns
      ns            A    127.0.0.1
      good          TXT  "v=spf1 ip4:192.0.2.10 include:spf.provider.audit.test -all"
      spf.provider  TXT  "v=spf1 a:relay.provider.audit.test -all"
      relay.provider A   192.0.2.99
      good          MX   10 mx1.good
      mx1.good      A    192.0.2.1
      _dmarc.good   TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@good.audit.test"
      _smtp._tls.good TXT "v=TLSRPTv1; rua=mailto:tls@good.audit.test"
      bad           TXT  "v=spf1 a:gone1.audit.test a:gone2.audit.test a:gone3.audit.test ~all"
      bad           MX   0 .
      _dmarc.bad    TXT  "v=DMARC1; p=none"
      """;

  private static NsdServer nsd;
  private static Vertx vertx;
  private static Dns dns;

  @BeforeAll
  static void serve() {
    nsd = NsdServer.start(Map.of(ORIGIN, ZONE));
    vertx = Vertx.vertx();
    dns = new Dns(new DnsSettings(List.of(nsd.address()), Duration.ofSeconds(2), 0), null);
  }

  @AfterAll
  static void stop() {
    vertx.closeAndAwait();
    nsd.close();
  }

  private static CheckResult spf(String domain) {
    return new SpfCheck(dns, new SpfEvaluator(dns, "postwire.test", "%{d}"), List.of("192.0.2.10"))
        .run(domain)
        .await()
        .atMost(Duration.ofSeconds(20));
  }

  private static List<String> codes(CheckResult check) {
    return check.findings().stream().map(Finding::code).toList();
  }

  @Test
  void aGoodDomainPassesSpfWithItsIncludeWalked() {
    CheckResult check = spf("good.audit.test");
    assertThat(check.status()).as(check.toString()).isEqualTo("pass");
    assertThat(check.details().get("lookups")).isEqualTo(2);
    assertThat(check.details().get("results")).isEqualTo(Map.of("192.0.2.10", "pass"));
  }

  @Test
  void threeVoidLookupsAndAnUnauthorizedEgressIpFail_rfc7208section4_6_4() {
    CheckResult check = spf("bad.audit.test");
    assertThat(codes(check)).contains("spf_too_many_void_lookups", "spf_egress_not_authorized");
    assertThat(check.status()).isEqualTo("fail");
  }

  @Test
  void dmarcAndMxChecksReadNsdAnswers() {
    CheckResult good = new DmarcCheck(dns).run("good.audit.test").await().indefinitely();
    assertThat(good.status()).isEqualTo("pass");
    CheckResult none = new DmarcCheck(dns).run("bad.audit.test").await().indefinitely();
    assertThat(codes(none)).contains("dmarc_policy_none", "dmarc_no_rua");
    assertThat(new MxCheck(dns).run("good.audit.test").await().indefinitely().status())
        .isEqualTo("pass");
    assertThat(codes(new MxCheck(dns).run("bad.audit.test").await().indefinitely()))
        .containsExactly("mx_null");
  }

  @Test
  void tlsRptIsReadFromNsd_rfc8460() {
    MtaStsCheck check =
        new MtaStsCheck(
            dns,
            new MtaStsFetcher(
                vertx,
                443,
                Duration.ofSeconds(2),
                Optional.empty(),
                Optional.empty(),
                EgressPolicy.allowing(List.of("127.0.0.0/8", "::1/128"))));
    assertThat(check.tlsRpt("good.audit.test").await().indefinitely().status()).isEqualTo("pass");
    assertThat(codes(check.tlsRpt("bad.audit.test").await().indefinitely()))
        .containsExactly("tls_rpt_missing");
    assertThat(codes(check.mtaSts("good.audit.test").await().indefinitely()))
        .containsExactly("mta_sts_missing");
  }
}
