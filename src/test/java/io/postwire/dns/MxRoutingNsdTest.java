package io.postwire.dns;

import io.postwire.testing.dns.NsdServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/** MX routing against NSD, a real authoritative server from Debian's nsd package. */
@Tag("peers")
class MxRoutingNsdTest extends MxRoutingScenarios {

  private static NsdServer nsd;

  @BeforeAll
  static void serve() {
    nsd = NsdServer.start(Map.of(ORIGIN, ZONE));
  }

  @AfterAll
  static void stop() {
    nsd.close();
  }

  @Override
  Dns dns() {
    return new Dns(new DnsSettings(List.of(nsd.address()), Duration.ofSeconds(2), 0), null);
  }
}
