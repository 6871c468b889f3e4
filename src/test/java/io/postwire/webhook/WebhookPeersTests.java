package io.postwire.webhook;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Api;
import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every webhook signature verified by an independent implementation: the {@code standardwebhooks}
 * npm package, in a Node receiver on loopback. It reads the secrets to try from a file the test
 * writes, and records per call which of them verify.
 */
@Tag("peers")
@QuarkusTest
class WebhookPeersTests {

  static final Path NODE = Path.of("/usr/bin/node");
  static final Path MODULES = Path.of("src", "test", "node", "node_modules").toAbsolutePath();

  static final String RECEIVER_JS =
      """
      const { Webhook } = require('standardwebhooks');
      const http = require('http');
      const fs = require('fs');
      const [port, secretsFile, out] = process.argv.slice(2);
      http.createServer((req, res) => {
        const chunks = [];
        req.on('data', c => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const secrets = fs.readFileSync(secretsFile, 'utf8').split('\\n').filter(s => s);
          const verified = secrets.map(s => {
            try { new Webhook(s).verify(body, req.headers); return true; } catch (e) { return false; }
          });
          fs.appendFileSync(out, JSON.stringify({
            id: req.headers['webhook-id'], path: req.url, verified, type: JSON.parse(body).type,
          }) + '\\n');
          res.writeHead(204).end();
        });
      }).listen(Number(port), '127.0.0.1', () => console.log('LISTENING'));
      """;

  /** A secret the service never gave: it must not verify. */
  static final String UNRELATED =
      "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);

  private static PeerProcess receiver;
  private static Path secrets;
  private static Path received;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    assertThat(NODE).as("node from the Debian nodejs package").isExecutable();
    assertThat(MODULES.resolve("standardwebhooks"))
        .as("npm install in src/test/node")
        .isDirectory();
    Path dir = Files.createTempDirectory("postwire-node-webhooks");
    Path script = Files.writeString(dir.resolve("receiver.js"), RECEIVER_JS);
    secrets = Files.writeString(dir.resolve("secrets"), "");
    received = Files.writeString(dir.resolve("received.jsonl"), "");
    port = Ports.free();
    receiver =
        PeerProcess.start(
                "standardwebhooks",
                List.of(
                    NODE.toString(),
                    script.toString(),
                    "" + port,
                    secrets.toString(),
                    received.toString()),
                Map.of("NODE_PATH", MODULES.toString()),
                dir.resolve("output"))
            .awaitLog("LISTENING", Duration.ofSeconds(20));
  }

  @AfterAll
  static void stop() {
    if (receiver != null) {
      receiver.close();
    }
  }

  private static List<JsonObject> calls() throws Exception {
    return Files.readAllLines(received).stream()
        .filter(l -> !l.isBlank())
        .map(JsonObject::new)
        .toList();
  }

  @Test
  void everySignatureVerifiesWithTheStandardWebhooksLibraryAlsoAfterARotation() throws Exception {
    String domain = Api.registerDomain();
    String created =
        admin()
            .body(
                Map.of(
                    "url",
                    "http://127.0.0.1:" + port + "/peers",
                    "events",
                    List.of("*"),
                    "domains",
                    List.of(domain)))
            .post("/v1/webhooks")
            .then()
            .statusCode(201)
            .extract()
            .asString();
    JsonObject hook = new JsonObject(created);
    String first = hook.getString("secret");
    Files.writeString(secrets, first + "\n");
    for (int i = 0; i < 5; i++) {
      Api.send(Api.message(domain, "p" + i + "@example.org")).then().statusCode(202);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> calls().size() >= 10);
    assertThat(calls()).hasSize(10).allMatch(c -> c.getJsonArray("verified").getBoolean(0));

    String second =
        admin()
            .post("/v1/webhooks/" + hook.getString("id") + "/rotate-secret")
            .then()
            .statusCode(200)
            .extract()
            .path("secret");
    // the library accepts a call when any of its signatures matches: try each secret alone
    Files.writeString(secrets, first + "\n" + second + "\n" + UNRELATED + "\n");
    Api.send(Api.message(domain, "after@example.org")).then().statusCode(202);
    await().atMost(Duration.ofSeconds(20)).until(() -> calls().size() >= 12);
    for (JsonObject call : calls().subList(10, 12)) {
      assertThat(call.getJsonArray("verified").getList()).containsExactly(true, true, false);
    }
  }
}
