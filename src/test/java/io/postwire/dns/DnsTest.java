package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.testing.dns.TestDnsServer;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

/** The resolver's failure mapping, transport and threading, against the in-JVM server. */
class DnsTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private TestDnsServer server;

  @BeforeEach
  void serve() {
    server = TestDnsServer.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Dns dns(int cacheSize) {
    return new Dns(
        new DnsSettings(List.of(server.address()), Duration.ofMillis(500), cacheSize), null);
  }

  @Test
  void failsMxLookupTemporarilyOnServfail() {
    server.servfail("broken.example.org");

    assertThatThrownBy(() -> dns(0).mx("broken.example.org").await().atMost(WAIT))
        .isInstanceOf(DnsTemporaryException.class)
        .hasMessageContaining("broken.example.org");
  }

  @Test
  void failsMxLookupTemporarilyWhenTheServerDoesNotAnswer() {
    server.timeout("silent.example.org");

    assertThatThrownBy(() -> dns(0).mx("silent.example.org").await().atMost(WAIT))
        .isInstanceOf(DnsTemporaryException.class);
  }

  @Test
  void failsTxtLookupTemporarilyOnServfail() {
    server.servfail("broken.example.org");

    assertThatThrownBy(() -> dns(0).txt("broken.example.org").await().atMost(WAIT))
        .isInstanceOf(DnsTemporaryException.class);
  }

  @Test
  void failsAddressLookupTemporarilyOnlyWhenNothingWasFound() {
    server.timeout("silent.example.org");
    server.a("v4only.example.org", "192.0.2.1");

    assertThatThrownBy(() -> dns(0).addresses("silent.example.org").await().atMost(WAIT))
        .isInstanceOf(DnsTemporaryException.class);
    assertThat(dns(0).addresses("v4only.example.org").await().atMost(WAIT)).hasSize(1);
    assertThat(dns(0).addresses("missing.example.org").await().atMost(WAIT)).isEmpty();
  }

  @Test
  void tellsNxdomainNodataAndTemperrorApart_rfc7208_4_4() {
    server.a("host.example.org", "192.0.2.1");
    server.servfail("broken.example.org");
    Dns dns = dns(0);

    assertThat(dns.lookup("host.example.org", Type.A).await().atMost(WAIT))
        .isInstanceOf(LookupOutcome.Records.class);
    assertThat(dns.lookup("host.example.org", Type.TXT).await().atMost(WAIT))
        .isEqualTo(new LookupOutcome.NoData());
    assertThat(dns.lookup("nothing.example.org", Type.TXT).await().atMost(WAIT))
        .isEqualTo(new LookupOutcome.NxDomain());
    assertThat(dns.lookup("broken.example.org", Type.TXT).await().atMost(WAIT))
        .isInstanceOf(LookupOutcome.TempError.class);
  }

  @Test
  void followsCnameChains() {
    server.cname("alias.example.org", "target.example.org");
    server.a("target.example.org", "192.0.2.7");

    assertThat(dns(0).addresses("alias.example.org").await().atMost(WAIT))
        .extracting(a -> a.getHostAddress())
        .containsExactly("192.0.2.7");
  }

  @Test
  void retriesOverTcpWhenTheUdpAnswerIsTruncated_rfc7766_5() {
    String longRecord = "v=spf1 " + "ip4:192.0.2.1 ".repeat(60) + "-all";
    server.longTxt("big.example.org", longRecord);

    assertThat(dns(0).txt("big.example.org").await().atMost(WAIT)).containsExactly(longRecord);
  }

  @Test
  void servesRepeatedQueriesFromTheCacheWithinTheTtl() {
    server.zone("example.org", "cached A 192.0.2.1\n");
    Dns dns = dns(100);

    dns.addresses("cached.example.org").await().atMost(WAIT);
    int afterFirst = server.queryCount();
    dns.addresses("cached.example.org").await().atMost(WAIT);

    assertThat(server.queryCount()).isEqualTo(afterFirst);
  }

  @Test
  void asksTheServerAgainWhenCachingIsOff() {
    server.a("uncached.example.org", "192.0.2.1");
    Dns dns = dns(0);

    dns.addresses("uncached.example.org").await().atMost(WAIT);
    int afterFirst = server.queryCount();
    dns.addresses("uncached.example.org").await().atMost(WAIT);

    assertThat(server.queryCount()).isGreaterThan(afterFirst);
  }

  @Test
  void completesOnTheCallersVertxContext() throws Exception {
    server.mx("example.org", 10, "mx.example.org");
    Vertx vertx = Vertx.vertx();
    try {
      Dns dns =
          new Dns(new DnsSettings(List.of(server.address()), Duration.ofSeconds(2), 0), vertx);
      Context context = vertx.getOrCreateContext();
      CompletableFuture<Boolean> sameContext = new CompletableFuture<>();
      context.runOnContext(
          ignored ->
              dns.mx("example.org")
                  .subscribe()
                  .with(
                      result -> sameContext.complete(Vertx.currentContext() == context),
                      sameContext::completeExceptionally));

      assertThat(sameContext.get(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void answersNamesBelowAWildcard_rfc4592() {
    server.zone("example.org", "*.wild TXT \"v=spf1 -all\"\nexplicit.wild A 192.0.2.1\n");

    assertThat(dns(0).txt("any.wild.example.org").await().atMost(WAIT))
        .containsExactly("v=spf1 -all");
    assertThat(dns(0).txt("explicit.wild.example.org").await().atMost(WAIT)).isEmpty();
  }

  private Dns budgeted(long cacheMaxBytes, Duration maxTtl, int maxAnswerSize) {
    return new Dns(
        new DnsSettings(
            List.of(server.address()),
            Duration.ofSeconds(2),
            10_000,
            cacheMaxBytes,
            maxTtl,
            maxAnswerSize),
        null);
  }

  @Test
  void keepsTheCacheUnderItsByteBudgetWhatever_theNumberOfEntries() {
    // a wildcard with 8 KB of TXT on every name: random names must not grow the cache past its
    // budget
    server.zone("example.org", "");
    server.longTxt("*.wild.example.org", "x".repeat(8_000));
    long budget = 64 * 1024;
    Dns dns = budgeted(budget, Duration.ofDays(1), 16 * 1024);

    dns.txt("first.wild.example.org").await().atMost(WAIT);
    for (int i = 0; i < 40; i++) {
      assertThat(dns.txt("n" + i + ".wild.example.org").await().atMost(WAIT)).hasSize(1);
      assertThat(dns.cachedBytes()).isLessThanOrEqualTo(budget);
    }
    int before = server.queryCount();
    dns.txt("first.wild.example.org").await().atMost(WAIT);

    assertThat(server.queryCount()).as("the oldest answer was evicted").isGreaterThan(before);
  }

  @Test
  void capsTheTtlOfCachedAnswers() throws Exception {
    server.zone("example.org", "week 604800 A 192.0.2.1\n");
    Dns dns = budgeted(DnsSettings.DEFAULT_CACHE_MAX_BYTES, Duration.ofSeconds(1), 16 * 1024);

    dns.addresses("week.example.org").await().atMost(WAIT);
    int afterFirst = server.queryCount();
    dns.addresses("week.example.org").await().atMost(WAIT);
    assertThat(server.queryCount()).as("cached within the cap").isEqualTo(afterFirst);
    Thread.sleep(1_200);
    dns.addresses("week.example.org").await().atMost(WAIT);

    assertThat(server.queryCount()).as("asked again once the cap passed").isGreaterThan(afterFirst);
  }

  @Test
  void refusesAnAnswerOverTheSizeCapAsATemporaryFailure() {
    server.longTxt("huge.example.org", "y".repeat(20_000));
    server.txt("small.example.org", "v=spf1 -all");
    Dns dns = budgeted(DnsSettings.DEFAULT_CACHE_MAX_BYTES, Duration.ofDays(1), 4_096);

    assertThat(dns.lookup("huge.example.org", Type.TXT).await().atMost(WAIT))
        .isInstanceOf(LookupOutcome.TempError.class);
    assertThat(dns.cachedBytes()).isZero();
    assertThat(dns.txt("small.example.org").await().atMost(WAIT)).containsExactly("v=spf1 -all");
  }

  @Test
  void givesAPermanentAnswerForACnameChainLongerThanSixteen() {
    for (int i = 0; i < 20; i++) {
      server.cname("c" + i + ".example.org", "c" + (i + 1) + ".example.org");
    }
    server.mx("c20.example.org", 10, "mx.example.org");
    server.cname("loop1.example.org", "loop2.example.org");
    server.cname("loop2.example.org", "loop1.example.org");
    Dns dns = dns(0);

    assertThat(dns.lookup("c0.example.org", Type.MX).await().atMost(WAIT))
        .isEqualTo(new LookupOutcome.NxDomain());
    assertThat(dns.mx("c0.example.org").await().atMost(WAIT))
        .isInstanceOf(MxResult.NoSuchDomain.class);
    assertThat(dns.lookup("loop1.example.org", Type.MX).await().atMost(WAIT))
        .isEqualTo(new LookupOutcome.NxDomain());
    // a chain within the limit is still followed
    assertThat(dns.mx("c10.example.org").await().atMost(WAIT)).isInstanceOf(MxResult.Hosts.class);
  }
}
