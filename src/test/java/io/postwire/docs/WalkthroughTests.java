package io.postwire.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.testing.Api;
import io.postwire.testing.PeerProcess;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's API walkthrough runs: {@code docs/walkthrough.sh} against the test profile's service
 * (sandbox delivery, DNS only on loopback), every call answering with the status the README gives,
 * twice in a row. Peers tier: the script needs curl and python3, which the JDK-only tier does not
 * have.
 */
@QuarkusTest
@Tag("peers")
class WalkthroughTests {

  static final Path SCRIPT = Path.of("docs/walkthrough.sh");

  @TestHTTPResource("/")
  URL service;

  @Test
  void theReadmeWalkthroughRunsTopToBottomAndAgain() throws Exception {
    for (int run = 1; run <= 2; run++) {
      Result result = walk();
      assertThat(result.exitCode()).as("run %d:%n%s", run, result.output()).isZero();
      assertThat(result.output()).contains("walkthrough finished");
    }
  }

  record Result(int exitCode, String output) {}

  private Result walk() throws IOException, InterruptedException {
    Path output = Files.createTempFile("walkthrough", ".log");
    // loopback by address: no name is looked up, and no proxy stands in between
    Map<String, String> env = new HashMap<>();
    env.put("BASE", "http://127.0.0.1:" + service.getPort());
    env.put("KEY", Api.ADMIN);
    for (String name : System.getenv().keySet()) {
      if (name.toLowerCase().endsWith("_proxy")) {
        env.put(name, null); // removed
      }
    }
    try (PeerProcess walk =
        PeerProcess.start("walkthrough", List.of("bash", SCRIPT.toString()), env, output)) {
      if (!walk.awaitExit(Duration.ofMinutes(3))) {
        return new Result(-1, "timed out after 3 minutes\n" + read(output));
      }
      return new Result(walk.exitCode(), read(output));
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static String read(Path output) throws IOException {
    return Files.readString(output, StandardCharsets.UTF_8);
  }
}
