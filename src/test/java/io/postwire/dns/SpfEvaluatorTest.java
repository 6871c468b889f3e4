package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dns.SpfResult.Result;
import io.postwire.testing.dns.TestDnsServer;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 7208 check_host() on the project's own scenarios; each case names its section. */
class SpfEvaluatorTest {

  private static TestDnsServer server;
  private static SpfEvaluator evaluator;

  @BeforeAll
  static void serve() {
    server = SpfScenarios.serve(TestDnsServer.start());
    Dns dns = new Dns(new DnsSettings(List.of(server.address()), Duration.ofMillis(500), 0), null);
    evaluator = new SpfEvaluator(dns, "mx.receiver.test", "%{d} does not authorize %{i}");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static Stream<SpfScenarios.Case> cases() {
    return SpfScenarios.CASES.stream();
  }

  @ParameterizedTest(name = "RFC 7208 §{0}")
  @MethodSource("cases")
  void givesTheResultTheRfcSectionPrescribes(SpfScenarios.Case c) {
    SpfResult result = check(c.ip(), c.mailFrom(), c.helo());

    assertThat(result.result().wireName())
        .as(c.name() + " (RFC 7208 §" + c.rfc() + ")")
        .isEqualTo(c.result());
  }

  @Test
  void expandsTheExplanationMacros_rfc7208_6_2_and_7_3() {
    SpfResult result = check("192.0.2.77", "carol@macro.spf.test", "h.example");

    assertThat(result.explanation())
        .isEqualTo(
            "192.0.2.77 is not one of macro.spf.test's mail servers (sender carol at macro.spf.test)");
  }

  @Test
  void usesTheDefaultExplanationWhenTheRecordHasNone_rfc7208_6_2() {
    assertThat(check("203.0.113.1", "a@spf.test", "h").explanation())
        .isEqualTo("spf.test does not authorize 203.0.113.1");
  }

  @Test
  void countsDnsQueryingTermsAndStopsAfterTen_rfc7208_4_6_4() {
    assertThat(check("198.51.100.7", "a@incl.spf.test", "h").lookups()).isEqualTo(1);
    SpfResult many = check("192.0.2.1", "a@many.spf.test", "h");
    assertThat(many.result()).isEqualTo(Result.PERMERROR);
    assertThat(many.lookups()).isEqualTo(10);
  }

  @Test
  void treatsIpv4MappedIpv6AsIpv4_rfc7208_5() {
    assertThat(check("::ffff:192.0.2.10", "a@spf.test", "h").result()).isEqualTo(Result.PASS);
  }

  @Test
  void givesNoneForMalformedDomains_rfc7208_4_3() {
    assertThat(check("192.0.2.1", "a@singlelabel", "h").result()).isEqualTo(Result.NONE);
    assertThat(check("192.0.2.1", "a@a..spf.test", "h").result()).isEqualTo(Result.NONE);
    assertThat(check("192.0.2.1", "a@" + "x".repeat(64) + ".spf.test", "h").result())
        .isEqualTo(Result.NONE);
  }

  @Test
  void givesTemperrorWhenTheRecordLookupFails_rfc7208_4_4() {
    server.servfail("broken.spf.test");

    assertThat(check("192.0.2.1", "a@broken.spf.test", "h").result()).isEqualTo(Result.TEMPERROR);
  }

  @Test
  void evaluatesThousandsOfIpTermsWithoutDeepRecursion_rfc7208_4_6() {
    String record = "v=spf1 " + "ip4:10.0.0.1 ".repeat(4_500) + "ip4:192.0.2.99 -all";
    server.longTxt("wide.spf.test", record);
    Dns dns =
        new Dns(
            new DnsSettings(
                List.of(server.address()),
                Duration.ofSeconds(2),
                0,
                DnsSettings.DEFAULT_CACHE_MAX_BYTES,
                DnsSettings.DEFAULT_CACHE_MAX_TTL,
                65_535),
            null);
    SpfEvaluator wide = new SpfEvaluator(dns, "mx.receiver.test", "%{d} does not authorize %{i}");

    SpfResult result =
        wide.checkMailFrom(SpfEvaluator.parseAddress("192.0.2.99"), "a@wide.spf.test", "h")
            .await()
            .atMost(Duration.ofSeconds(20));

    assertThat(result.result()).isEqualTo(Result.PASS);
  }

  @Test
  void givesPermerrorForAnExpansionOverTheBudgetAndStaysFast_rfc7208_7_3() {
    server.txt("hugel.spf.test", "v=spf1 " + "exists:%{l}.hugel.spf.test ".repeat(8) + "-all");
    String local = "a.".repeat(61_000) + "a";

    long started = System.nanoTime();
    SpfResult result = check("192.0.2.1", local + "@hugel.spf.test", "h");

    assertThat(result.result()).isEqualTo(Result.PERMERROR);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void shortensALongExpansionByWholeLabelsFromTheLeft_rfc7208_7_3() {
    server.txt("longl.spf.test", "v=spf1 exists:%{l}.longl.spf.test -all");
    // 300 characters of local part: the expansion keeps the rightmost labels within 253
    String local = "b1234567.".repeat(33) + "b";
    server.a(
        (local + ".longl.spf.test").substring((local + ".longl.spf.test").length() - 250),
        "127.0.0.2");

    assertThat(check("192.0.2.1", local + "@longl.spf.test", "h").result()).isEqualTo(Result.PASS);
  }

  private static SpfResult check(String ip, String mailFrom, String helo) {
    return evaluator
        .checkMailFrom(SpfEvaluator.parseAddress(ip), mailFrom, helo)
        .await()
        .atMost(Duration.ofSeconds(20));
  }
}
