package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.testing.PeerProcess;
import io.postwire.testing.dns.TestDnsServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cross-checks {@link SpfEvaluator} against pyspf (Debian's python3-spf) on the project's own
 * scenarios, both asking the same {@link TestDnsServer} on loopback.
 */
@Tag("peers")
class SpfPyspfCrossCheckTest {

  private static final Path PYTHON = Path.of("/usr/bin/python3");

  /** Points pyspf's dnspython at the test server only, with a short per-query lifetime. */
  private static final String DRIVER =
      """
      import sys, dns.resolver
      resolver = dns.resolver.Resolver(configure=False)
      resolver.nameservers = ['127.0.0.1']
      resolver.port = int(sys.argv[1])
      resolver.timeout = 1.0
      resolver.lifetime = 1.0
      resolver.search = []
      dns.resolver.default_resolver = resolver
      import spf
      assert spf.DNSLookup is spf.DNSLookup_dnspython, 'pyspf must use dnspython'
      original = spf.DNSLookup
      spf.DNSLookup = lambda name, qtype, strict=True, timeout=None, level=0: original(name, qtype, True, 1.0)
      for line in sys.stdin:
          ip, mailfrom, helo = line.rstrip('\\n').split('\\t')
          result, code, explanation = spf.query(i=ip, s=mailfrom, h=helo, receiver='unknown').check()
          print({'unknown': 'permerror', 'error': 'temperror'}.get(result, result), flush=True)
      """;

  @Test
  void agreesWithPyspfOnEveryScenario() throws Exception {
    assertThat(PYTHON).as("/usr/bin/python3 with python3-spf and python3-dnspython").exists();
    try (TestDnsServer server = SpfScenarios.serve(TestDnsServer.start())) {
      Dns dns =
          new Dns(new DnsSettings(List.of(server.address()), Duration.ofMillis(800), 0), null);
      SpfEvaluator evaluator = new SpfEvaluator(dns, "unknown", "DEFAULT");
      Map<String, String> ours = new LinkedHashMap<>();
      StringBuilder input = new StringBuilder();
      for (SpfScenarios.Case c : SpfScenarios.CASES) {
        SpfResult result =
            evaluator
                .checkMailFrom(SpfEvaluator.parseAddress(c.ip()), c.mailFrom(), c.helo())
                .await()
                .atMost(Duration.ofSeconds(20));
        ours.put(c.name(), result.result().wireName());
        input
            .append(c.ip())
            .append('\t')
            .append(c.mailFrom())
            .append('\t')
            .append(c.helo())
            .append('\n');
      }
      List<String> theirs = runPyspf(server.port(), input.toString());

      Map<String, String> pyspf = new LinkedHashMap<>();
      for (int i = 0; i < SpfScenarios.CASES.size(); i++) {
        pyspf.put(SpfScenarios.CASES.get(i).name(), i < theirs.size() ? theirs.get(i) : "missing");
      }
      System.out.println("SPF cross-check with pyspf: " + ours.size() + " scenarios");
      assertThat(ours).isEqualTo(pyspf);
    }
  }

  private static List<String> runPyspf(int port, String input)
      throws IOException, InterruptedException {
    Path script = Files.createTempFile("pyspf-driver", ".py");
    try {
      Files.writeString(script, DRIVER);
      PeerProcess.Result result =
          PeerProcess.run(
              "pyspf",
              List.of(PYTHON.toString(), script.toString(), Integer.toString(port)),
              Map.of(),
              input.getBytes(StandardCharsets.UTF_8),
              Duration.ofSeconds(120));
      assertThat(result.exitCode()).as("pyspf driver exit; stderr: " + result.stderr()).isZero();
      List<String> lines = new ArrayList<>(result.stdout().lines().toList());
      return lines;
    } finally {
      Files.deleteIfExists(script);
    }
  }
}
