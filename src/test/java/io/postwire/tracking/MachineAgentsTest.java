package io.postwire.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which user agents and methods mark an open or click as a machine's. */
class MachineAgentsTest {

  static final String BROWSER =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
          + " Version/17.0 Safari/605.1.15";

  @Test
  void privacyProxiesOpenAsMachines() {
    assertThat(MachineAgents.machineOpen("Mozilla/5.0")).isTrue();
    assertThat(MachineAgents.machineOpen(" Mozilla/5.0 ")).isTrue();
    assertThat(
            MachineAgents.machineOpen(
                "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com"
                    + " GoogleImageProxy)"))
        .isTrue();
    assertThat(
            MachineAgents.machineOpen(
                "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"))
        .isTrue();
    assertThat(MachineAgents.machineOpen(null)).isTrue();
    assertThat(MachineAgents.machineOpen(BROWSER)).isFalse();
    assertThat(MachineAgents.machineOpen("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"))
        .isFalse();
  }

  @Test
  void scannersAndHeadRequestsClickAsMachines() {
    assertThat(MachineAgents.machineClick("HEAD", BROWSER)).isTrue();
    assertThat(MachineAgents.machineClick("GET", "Barracuda Sentinel (EE)")).isTrue();
    assertThat(MachineAgents.machineClick("GET", "Mozilla/5.0 (compatible; Mimecast)")).isTrue();
    assertThat(MachineAgents.machineClick("GET", "Proofpoint URL Defense")).isTrue();
    assertThat(
            MachineAgents.machineClick(
                "GET",
                "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b"))
        .isTrue();
    assertThat(
            MachineAgents.machineClick(
                "GET", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)"))
        .isTrue();
    assertThat(MachineAgents.machineClick("GET", "python-requests/2.31")).isTrue();
    assertThat(MachineAgents.machineClick("GET", "")).isTrue();
    assertThat(MachineAgents.machineClick("GET", BROWSER)).isFalse();
  }

  @Test
  void theStoredUserAgentIsBoundedPrintableAscii() {
    assertThat(MachineAgents.stored("a\u00e9\r\nb")).isEqualTo("a???b");
    assertThat(MachineAgents.stored("x".repeat(5000))).hasSize(MachineAgents.MAX_USER_AGENT);
    assertThat(MachineAgents.stored(null)).isNull();
  }
}
