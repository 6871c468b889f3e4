package io.postwire.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Peer programs that judge what a recipient gets, for the peers tier: the npm {@code smtp-server}
 * as the relay that keeps every message's bytes, Python's {@code email} package and dkimpy to
 * decode and verify them, and a runner for such programs (JSON lines in, JSON lines out). A missing
 * program fails the test that needs it.
 */
public final class MailPeers {

  public static final Path PYTHON = Path.of("/usr/bin/python3");
  public static final Path NODE = Path.of("/usr/bin/node");
  public static final Path MODULES =
      Path.of("src", "test", "node", "node_modules").toAbsolutePath();

  private MailPeers() {}

  /** The npm smtp-server on a free loopback port, appending each message it gets to a file. */
  public static class NodeRelay implements QuarkusTestResourceLifecycleManager {
    static final String SERVER_JS =
        """
        const { SMTPServer } = require('smtp-server');
        const fs = require('fs');
        const [port, out] = process.argv.slice(2);
        const server = new SMTPServer({
          authOptional: true,
          logger: false,
          size: 50 * 1024 * 1024,
          onData(stream, session, callback) {
            const chunks = [];
            stream.on('data', c => chunks.push(c));
            stream.on('end', () => {
              fs.appendFileSync(out, JSON.stringify({
                data: Buffer.concat(chunks).toString('base64'),
              }) + '\\n');
              callback(null, 'queued');
            });
          },
        });
        server.listen(Number(port), '127.0.0.1', () => console.log('LISTENING'));
        """;

    /** The file every received message is appended to, one JSON line each. */
    public static volatile Path received;

    private PeerProcess server;

    @Override
    public Map<String, String> start() {
      try {
        assertThat(NODE).as("node from the Debian nodejs package").isExecutable();
        assertThat(MODULES.resolve("smtp-server")).as("npm install in src/test/node").isDirectory();
        Path dir = Files.createTempDirectory("postwire-node-relay");
        Path script = Files.writeString(dir.resolve("server.js"), SERVER_JS);
        received = dir.resolve("received.jsonl");
        Files.writeString(received, "");
        int port = Ports.free();
        server =
            PeerProcess.start(
                    "smtp-server",
                    List.of(NODE.toString(), script.toString(), "" + port, received.toString()),
                    Map.of("NODE_PATH", MODULES.toString()),
                    dir.resolve("output"))
                .awaitLog("LISTENING", Duration.ofSeconds(20));
        return Map.of(
            "postwire.delivery.mode", "relay",
            "postwire.relay.host", "127.0.0.1",
            "postwire.relay.port", Integer.toString(port),
            "postwire.relay.starttls", "disabled",
            "postwire.delivery.poll-interval", "1s");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void stop() {
      if (server != null) {
        server.close();
      }
    }
  }

  /** Decodes each message as a mail client would, and asks dkimpy about its signatures. */
  public static final String DECODE_PY =
      """
      import sys, json, base64, dkim
      from email import policy
      from email.parser import BytesParser
      records = json.loads(sys.argv[1])
      def dnsfunc(name, timeout=5):
          n = name.decode() if isinstance(name, bytes) else name
          return records.get(n.rstrip('.'), '').encode()
      for line in sys.stdin:
          item = json.loads(line)
          data = base64.b64decode(item['data'])
          msg = BytesParser(policy=policy.default).parsebytes(data)
          out = {'case': msg['X-Case'], 'subject': msg['Subject'], 'text': None, 'html': None,
                 'files': [], 'defects': [type(d).__name__ for d in msg.defects],
                 'postwireHeaders': [k for k in msg.keys() if k.lower().startswith('x-postwire-')]}
          for part in msg.walk():
              if part.is_multipart():
                  continue
              out['defects'] += [type(d).__name__ for d in part.defects]
              if part.get_filename() is not None:
                  out['files'].append({'name': part.get_filename(),
                      'content': base64.b64encode(part.get_content()
                          if isinstance(part.get_content(), bytes)
                          else part.get_payload(decode=True)).decode()})
              elif part.get_content_type() == 'text/plain' and out['text'] is None:
                  out['text'] = part.get_content()
              elif part.get_content_type() == 'text/html' and out['html'] is None:
                  out['html'] = part.get_content()
          verdicts = []
          if item.get('verify'):
              d = dkim.DKIM(data)
              n = sum(1 for k, v in d.headers if k.lower() == b'dkim-signature')
              for i in range(n):
                  try:
                      verdicts.append('pass' if d.verify(idx=i, dnsfunc=dnsfunc) else 'fail')
                  except dkim.ValidationError as e:
                      verdicts.append('fail: ' + str(e))
          out['dkimpy'] = verdicts
          print(json.dumps(out))
      """;

  /** Runs a peer with JSON lines in and JSON lines out (a line "[…]" comes back as {"r": […]}). */
  public static List<JsonObject> run(List<String> command, List<JsonObject> input) {
    assertThat(Path.of(command.get(0))).as("peer program " + command.get(0)).isExecutable();
    StringBuilder lines = new StringBuilder();
    for (JsonObject j : input) {
      lines.append(j.encode()).append('\n');
    }
    String stdout =
        PeerProcess.run(
                command.get(0),
                command,
                Map.of("NODE_PATH", MODULES.toString()),
                lines.toString().getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(120))
            .stdoutIfSucceeded();
    List<JsonObject> out = new ArrayList<>();
    for (String line : stdout.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      out.add(
          line.startsWith("[")
              ? new JsonObject().put("r", new JsonArray(line))
              : new JsonObject(line));
    }
    return out;
  }
}
