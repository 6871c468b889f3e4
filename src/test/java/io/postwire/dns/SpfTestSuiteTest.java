package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.testing.dns.SpfSuiteZones;
import io.postwire.testing.dns.TestDnsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The openspf RFC 7208 test suite (release 2014.04), read from Debian's python3-spf package, run
 * through {@link SpfEvaluator} against zones served by {@link TestDnsServer}. The cases that do not
 * pass are exactly those listed, with reasons, in {@code docs/spf-test-suite.md}.
 */
@Tag("peers")
class SpfTestSuiteTest {

  static final Path SUITE = Path.of("/usr/share/doc/python3-spf/rfc7208-tests.yml.gz");
  static final Path EXCLUSIONS = Path.of("docs/spf-test-suite.md");

  @Test
  @SuppressWarnings("unchecked")
  void passesTheRfc7208SuiteExceptTheListedCases() throws Exception {
    assertThat(SUITE)
        .as("the suite ships in Debian's python3-spf package (apt-get install python3-spf)")
        .exists();
    List<Map<String, Object>> scenarios = new ArrayList<>();
    try (InputStream in = new GZIPInputStream(Files.newInputStream(SUITE))) {
      LoaderOptions options = new LoaderOptions();
      for (Object document :
          new Yaml(options).loadAll(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        if (document != null) {
          scenarios.add((Map<String, Object>) document);
        }
      }
    }
    TreeSet<String> failures = new TreeSet<>();
    List<String> details = new ArrayList<>();
    int total = 0;
    try (TestDnsServer server = TestDnsServer.start()) {
      for (Map<String, Object> scenario : scenarios) {
        server.clear();
        SpfSuiteZones.load(server, (Map<String, Object>) scenario.get("zonedata"));
        Dns dns =
            new Dns(new DnsSettings(List.of(server.address()), Duration.ofMillis(300), 0), null);
        SpfEvaluator evaluator = new SpfEvaluator(dns, "unknown", "DEFAULT");
        Map<String, Map<String, Object>> tests =
            (Map<String, Map<String, Object>>) scenario.get("tests");
        for (Map.Entry<String, Map<String, Object>> test : tests.entrySet()) {
          total++;
          Map<String, Object> spec = test.getValue();
          SpfResult result =
              evaluator
                  .checkMailFrom(
                      SpfEvaluator.parseAddress((String) spec.get("host")),
                      (String) spec.get("mailfrom"),
                      (String) spec.get("helo"))
                  .await()
                  .atMost(Duration.ofSeconds(30));
          Object expected = spec.get("result");
          List<String> allowed =
              expected instanceof List<?> list ? (List<String>) list : List.of((String) expected);
          boolean ok = allowed.contains(result.result().wireName());
          Object explanation = spec.get("explanation");
          if (ok && explanation != null && result.result() == SpfResult.Result.FAIL) {
            ok = explanation.equals(result.explanation());
          }
          if (!ok) {
            failures.add(test.getKey());
            details.add(
                test.getKey()
                    + " (spec "
                    + spec.get("spec")
                    + "): expected "
                    + allowed
                    + (explanation != null ? " exp=" + explanation : "")
                    + ", got "
                    + result.result().wireName()
                    + " exp="
                    + result.explanation());
          }
        }
      }
    }
    System.out.println(
        "RFC 7208 suite: " + (total - failures.size()) + " of " + total + " cases pass");
    details.forEach(d -> System.out.println("  not passing: " + d));
    assertThat(failures).as("cases not passing").isEqualTo(listedExclusions());
  }

  /** The case ids in docs/spf-test-suite.md, one per line as {@code - `id`: reason}. */
  static TreeSet<String> listedExclusions() throws IOException {
    TreeSet<String> ids = new TreeSet<>();
    Pattern line = Pattern.compile("^- `([^`]+)`:");
    for (String text : Files.readAllLines(EXCLUSIONS)) {
      Matcher m = line.matcher(text);
      if (m.find()) {
        ids.add(m.group(1));
      }
    }
    return ids;
  }
}
