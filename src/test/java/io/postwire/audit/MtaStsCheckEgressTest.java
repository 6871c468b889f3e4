package io.postwire.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dns.Dns;
import io.postwire.dns.DnsSettings;
import io.postwire.egress.EgressPolicy;
import io.postwire.mtasts.MtaStsFetcher;
import io.postwire.testing.dns.TestDnsServer;
import io.vertx.mutiny.core.Vertx;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The audit's policy fetch obeys the egress policy: a registered domain whose {@code mta-sts} host
 * resolves into the operator's network (127.0.0.2 here, outside an allow list of 127.0.0.1 only) is
 * reported unreachable, and the finding does not tell what the address was.
 */
class MtaStsCheckEgressTest {

  static final String DOMAIN = "inside.audit.test";

  static TestDnsServer server;
  static Vertx vertx;
  static Dns dns;

  @BeforeAll
  static void start() {
    server = TestDnsServer.start();
    server.txt("_mta-sts." + DOMAIN, "v=STSv1; id=1").a("mta-sts." + DOMAIN, "127.0.0.2");
    vertx = Vertx.vertx();
    dns =
        new Dns(
            new DnsSettings(
                List.of(new InetSocketAddress("127.0.0.1", server.port())),
                Duration.ofSeconds(2),
                0),
            null);
  }

  @AfterAll
  static void stop() {
    vertx.closeAndAwait();
    server.close();
  }

  @Test
  void aPolicyHostOnARefusedAddressIsUnreachableAndNeverContacted() throws Exception {
    try (ServerSocketChannel listener = ServerSocketChannel.open()) {
      listener.bind(new InetSocketAddress("127.0.0.2", 0));
      listener.configureBlocking(false);
      int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
      MtaStsFetcher fetcher =
          new MtaStsFetcher(
              vertx,
              port,
              Duration.ofSeconds(2),
              Optional.empty(),
              Optional.empty(),
              EgressPolicy.allowing(List.of("127.0.0.1/32")));
      MtaStsCheck check = new MtaStsCheck(dns, fetcher);
      try {
        CheckResult result = check.mtaSts(DOMAIN).await().atMost(Duration.ofSeconds(20));
        Finding finding =
            result.findings().stream()
                .filter(f -> f.code().equals("mta_sts_policy_unreachable"))
                .findFirst()
                .orElseThrow();
        assertThat(finding.message())
            .contains("destination not allowed by egress policy")
            .doesNotContain("127.0.0.2");
        assertThat(listener.accept()).as("no connection reached 127.0.0.2").isNull();
      } finally {
        fetcher.close();
      }
    }
  }
}
