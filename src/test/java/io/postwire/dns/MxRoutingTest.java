package io.postwire.dns;

import io.postwire.testing.dns.TestDnsServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** MX routing against the in-JVM authoritative server. */
class MxRoutingTest extends MxRoutingScenarios {

  private static TestDnsServer server;

  @BeforeAll
  static void serve() {
    server = TestDnsServer.start().zone(ORIGIN, ZONE);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Override
  Dns dns() {
    return new Dns(new DnsSettings(List.of(server.address()), Duration.ofSeconds(2), 0), null);
  }
}
