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
}
