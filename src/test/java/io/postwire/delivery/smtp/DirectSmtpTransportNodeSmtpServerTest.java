package io.postwire.delivery.smtp;

import static io.postwire.delivery.smtp.SmtpTestSupport.MESSAGE;
import static io.postwire.delivery.smtp.SmtpTestSupport.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DirectSmtpTransport} against the npm {@code smtp-server} package (installed by .ci/run
 * into {@code src/test/node/node_modules} from {@code src/test/node/package.json}), run by {@code
 * /usr/bin/node} on a free loopback port: an independent SMTP and TLS implementation.
 */
@Tag("peers")
class DirectSmtpTransportNodeSmtpServerTest {

  private static final String SERVER_JS =
      """
      const { SMTPServer } = require('smtp-server');
      const fs = require('fs');
      const [port, out] = process.argv.slice(2);
      const server = new SMTPServer({
        authOptional: true,
        logger: false,
        onRcptTo(address, session, callback) {
          if (address.address.startsWith('gone')) {
            const err = new Error('5.1.1 No such user');
            err.responseCode = 550;
            return callback(err);
          }
          callback();
        },
        onData(stream, session, callback) {
          const chunks = [];
          stream.on('data', c => chunks.push(c));
          stream.on('end', () => {
            fs.appendFileSync(out, JSON.stringify({
              from: session.envelope.mailFrom.address,
              to: session.envelope.rcptTo.map(r => r.address),
              secure: session.secure,
              data: Buffer.concat(chunks).toString('base64'),
            }) + '\\n');
            callback(null, 'queued');
          });
        },
      });
      server.listen(Number(port), '127.0.0.1', () => console.log('LISTENING'));
      """;

  @TempDir Path dir;

  @Test
  void deliversOverOpportunisticTlsWithExactBytesAndPerRecipientReplies() throws Exception {
    Path node = Path.of("/usr/bin/node");
    assertThat(node).as("node from the Debian nodejs package").isExecutable();
    Path modules = Path.of("src", "test", "node", "node_modules").toAbsolutePath();
    assertThat(modules.resolve("smtp-server"))
        .as("npm install in src/test/node (.ci/run does it)")
        .isDirectory();
    Path script = Files.writeString(dir.resolve("server.js"), SERVER_JS);
    Path received = dir.resolve("received.jsonl");
    int port = Ports.free();
    PeerProcess server =
        PeerProcess.start(
            "smtp-server",
            List.of(node.toString(), script.toString(), String.valueOf(port), received.toString()),
            Map.of("NODE_PATH", modules.toString()),
            dir.resolve("output"));
    Vertx vertx = Vertx.vertx();
    try (DirectSmtpTransport transport =
        new DirectSmtpTransport(vertx, fastOptions().withTimeouts(Duration.ofSeconds(5)))) {
      server.awaitLog("LISTENING", Duration.ofSeconds(20));
      SmtpTransaction tx =
          new SmtpTransaction(
              "localhost",
              "127.0.0.1",
              port,
              TlsPolicy.OPPORTUNISTIC,
              "bounce@example.test",
              List.of("a@example.test", "gone@example.test", "b@example.test"),
              MESSAGE.getBytes(StandardCharsets.US_ASCII));

      SmtpResult result = transport.send(tx).await().atMost(Duration.ofSeconds(30));

      assertThat(result.tls()).isTrue();
      assertThat(result.reply("a@example.test").code()).isEqualTo(250);
      assertThat(result.reply("b@example.test").code()).isEqualTo(250);
      assertThat(result.reply("gone@example.test").code()).isEqualTo(550);
      assertThat(result.reply("gone@example.test").enhancedCode()).isEqualTo("5.1.1");
      JsonObject message = new JsonObject(Files.readAllLines(received).get(0));
      assertThat(message.getString("from")).isEqualTo("bounce@example.test");
      assertThat(message.getJsonArray("to").getList())
          .containsExactly("a@example.test", "b@example.test");
      assertThat(message.getBoolean("secure")).isTrue();
      assertThat(Base64.getDecoder().decode(message.getString("data")))
          .isEqualTo(MESSAGE.getBytes(StandardCharsets.US_ASCII));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      server.close();
    }
  }
}
