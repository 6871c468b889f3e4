package io.postwire.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.testing.Api;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
    try {
      ProcessBuilder builder =
          new ProcessBuilder("bash", SCRIPT.toString())
              .redirectErrorStream(true)
              .redirectOutput(output.toFile());
      Map<String, String> env = builder.environment();
      // loopback by address: no name is looked up, and no proxy stands in between
      env.put("BASE", "http://127.0.0.1:" + service.getPort());
      env.put("KEY", Api.ADMIN);
      env.keySet().removeIf(name -> name.toLowerCase().endsWith("_proxy"));
      Process process = builder.start();
      if (!process.waitFor(3, TimeUnit.MINUTES)) {
        process.destroyForcibly().waitFor();
        return new Result(-1, "timed out after 3 minutes\n" + read(output));
      }
      return new Result(process.exitValue(), read(output));
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static String read(Path output) throws IOException {
    return Files.readString(output, StandardCharsets.UTF_8);
  }
}
