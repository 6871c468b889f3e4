package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The configured server list and its validation. */
class DnsSettingsTest {

  @Test
  void parsesIpv4AndIpv6LiteralsWithAndWithoutPorts() {
    List<InetSocketAddress> servers =
        DnsSettings.parseServers("127.0.0.1, 127.0.0.2:5353,[::1]:5300, ::1");

    assertThat(servers)
        .extracting(s -> s.getAddress().getHostAddress() + "#" + s.getPort())
        .containsExactly(
            "127.0.0.1#53", "127.0.0.2#5353", "0:0:0:0:0:0:0:1#5300", "0:0:0:0:0:0:0:1#53");
  }

  @Test
  void readsAnEmptyListAsTheSystemResolvers() {
    assertThat(DnsSettings.parseServers("")).isEmpty();
    assertThat(DnsSettings.parseServers("  ")).isEmpty();
  }

  @Test
  void rejectsAServerGivenByName() {
    assertThatThrownBy(() -> DnsSettings.parseServers("dns.example.org:53"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dns.example.org")
        .hasMessageContaining("never by name");
    assertThatThrownBy(() -> DnsSettings.parseServers("localhost"))
        .hasMessageContaining("not an IP address");
  }

  @Test
  void rejectsBadPortsAndBrackets() {
    assertThatThrownBy(() -> DnsSettings.parseServers("127.0.0.1:0")).hasMessageContaining("port");
    assertThatThrownBy(() -> DnsSettings.parseServers("127.0.0.1:x")).hasMessageContaining("port");
    assertThatThrownBy(() -> DnsSettings.parseServers("[::1")).hasMessageContaining("']'");
    assertThatThrownBy(() -> DnsSettings.parseServers("[127.0.0.1]:53"))
        .hasMessageContaining("IPv6");
    assertThatThrownBy(() -> DnsSettings.parseServers("127.0.0.1,,::1"))
        .hasMessageContaining("empty entry");
    assertThatThrownBy(() -> DnsSettings.parseServers("999.0.0.1"))
        .hasMessageContaining("not a valid IP address");
  }

  @Test
  void rejectsANonPositiveTimeoutAndANegativeCache() {
    assertThatThrownBy(() -> new DnsSettings(List.of(), Duration.ZERO, 10))
        .hasMessageContaining("timeout");
    assertThatThrownBy(() -> new DnsSettings(List.of(), Duration.ofSeconds(1), -1))
        .hasMessageContaining("cache");
  }
}
