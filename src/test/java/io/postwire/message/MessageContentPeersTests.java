package io.postwire.message;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.uniqueDomain;
import static io.postwire.testing.MailPeers.DECODE_PY;
import static io.postwire.testing.MailPeers.NODE;
import static io.postwire.testing.MailPeers.PYTHON;
import static io.postwire.testing.MailPeers.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.RelayDeliveryTests;
import io.postwire.testing.MailPeers;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a recipient gets, judged by programs that are not ours (API.md, "Message content"): messages
 * go through the whole pipeline to the npm {@code smtp-server} as the relay; Python's {@code email}
 * package decodes what it received, and dkimpy and mailauth verify the signatures. The messages are
 * generated bodies (every kind of line end, non-ASCII, dot and {@code From } lines, long lines,
 * attachments), and raw messages written at test time by Python's {@code email} (its default LF
 * output and {@code policy.SMTP}) and by Nodemailer's MailComposer (CRLF, and the same bytes with
 * LF).
 */
@Tag("peers")
@QuarkusTest
@TestProfile(MessageContentPeersTests.Peers.class)
class MessageContentPeersTests {

  /** Relay mode towards the npm smtp-server. */
  public static class Peers implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(MailPeers.NodeRelay.class));
    }
  }

  /** mailauth's DKIM verdicts, with the key records handed to its resolver. */
  static final String MAILAUTH_JS =
      """
      const { dkimVerify } = require('mailauth/lib/dkim/verify');
      const readline = require('readline');
      const records = JSON.parse(process.argv[1]); // node -e: the first argument
      const resolver = async (name, rr) => {
        if (rr === 'TXT' && records[name]) return [[records[name]]];
        const e = new Error('not found: ' + name); e.code = 'ENOTFOUND'; throw e;
      };
      (async () => {
        const rl = readline.createInterface({ input: process.stdin });
        for await (const line of rl) {
          if (!line.trim()) continue;
          const item = JSON.parse(line);
          const res = await dkimVerify(Buffer.from(item.data, 'base64'), { resolver });
          console.log(JSON.stringify(res.results.map(r => r.status.result)));
        }
      })();
      """;

  /** Python's email package writing messages: its default LF output and policy.SMTP. */
  static final String WRITE_PY =
      """
      import sys, json, base64
      from email import policy
      from email.message import EmailMessage
      for line in sys.stdin:
          spec = json.loads(line)
          msg = EmailMessage()
          msg['From'] = spec['from']
          msg['To'] = spec['to']
          msg['Subject'] = spec['subject']
          msg['X-Case'] = spec['case']
          msg.set_content(spec['text'])
          if spec.get('html'):
              msg.add_alternative(spec['html'], subtype='html')
          for a in spec.get('files', []):
              maintype, subtype = a['type'].split('/')
              msg.add_attachment(base64.b64decode(a['content']), maintype=maintype,
                                 subtype=subtype, filename=a['name'])
          p = policy.SMTP if spec['policy'] == 'smtp' else policy.default
          print(json.dumps({'case': spec['case'], 'data': base64.b64encode(msg.as_bytes(policy=p)).decode()}))
      """;

  /** Nodemailer's MailComposer writing messages (CRLF). */
  static final String WRITE_JS =
      """
      const MailComposer = require('nodemailer/lib/mail-composer');
      const readline = require('readline');
      (async () => {
        const rl = readline.createInterface({ input: process.stdin });
        for await (const line of rl) {
          if (!line.trim()) continue;
          const s = JSON.parse(line);
          const mail = new MailComposer({
            from: s.from, to: s.to, subject: s.subject, text: s.text, html: s.html,
            headers: { 'X-Case': s.case },
            attachments: (s.files || []).map(f => ({
              filename: f.name, content: Buffer.from(f.content, 'base64'), contentType: f.type })),
          });
          const data = await mail.compile().build();
          console.log(JSON.stringify({ case: s.case, data: data.toString('base64') }));
        }
      })();
      """;

  static String domain;
  static Map<String, String> records;

  @BeforeEach
  void register() {
    if (domain != null) {
      return;
    }
    domain = uniqueDomain();
    admin()
        .body(Map.of("name", domain, "dkim", Map.of("algorithms", List.of("rsa-sha256"))))
        .post("/v1/domains")
        .then()
        .statusCode(201);
    records = RelayDeliveryTests.keyRecords(domain);
  }

  @Test
  void generatedMessagesArriveAsSentAndVerifyWithDkimpyAndMailauth() throws Exception {
    List<String> bodies = MimeRendererTest.bodies().sampleStream().limit(40).toList();
    List<ValidatedMessage.Part> parts = MimeRendererTest.part().sampleStream().limit(40).toList();
    Map<String, Map<String, Object>> sent = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      String caseId = "gen-" + i + "-" + System.nanoTime();
      Map<String, Object> m = new HashMap<>();
      m.put("from", "Ünïcode Sender <s@" + domain + ">");
      m.put("to", List.of("r" + i + "@example.org"));
      m.put("subject", "case " + i + " — Grüße");
      m.put("headers", Map.of("X-Case", caseId));
      String text = i % 4 == 3 ? null : bodies.get(2 * i);
      String html = i % 4 == 0 ? null : "<p>" + bodies.get(2 * i + 1) + "</p>";
      if (text != null && text.isEmpty()) {
        // an empty text is no text part (and alone, no content at all: 422 no_content)
        text = html == null ? "." : null;
      }
      if (text != null) {
        m.put("text", text);
      }
      if (html != null) {
        m.put("html", html);
      }
      if (i % 3 == 0) {
        ValidatedMessage.Part p = parts.get(i);
        m.put(
            "attachments",
            List.of(
                Map.of(
                    "filename", p.filename(),
                    "contentType", "application/octet-stream",
                    "content", Base64.getEncoder().encodeToString(p.content()))));
      }
      admin().body(m).post("/v1/messages").then().statusCode(202);
      sent.put(caseId, m);
    }
    Map<String, JsonObject> decoded = receiveAndDecode(sent.keySet());
    for (Map.Entry<String, Map<String, Object>> e : sent.entrySet()) {
      JsonObject got = decoded.get(e.getKey());
      Map<String, Object> m = e.getValue();
      boolean single =
          !m.containsKey("attachments") && (!m.containsKey("text") || !m.containsKey("html"));
      assertThat(got.getJsonArray("defects")).as("Python's parser finds no defect").isEmpty();
      assertBody(got.getString("text"), (String) m.get("text"), single, "text of " + e.getKey());
      assertBody(got.getString("html"), (String) m.get("html"), single, "html of " + e.getKey());
      assertThat(got.getString("subject")).isEqualTo(m.get("subject"));
      if (m.containsKey("attachments")) {
        @SuppressWarnings("unchecked")
        Map<String, String> file = ((List<Map<String, String>>) m.get("attachments")).get(0);
        JsonObject gotFile = got.getJsonArray("files").getJsonObject(0);
        assertThat(gotFile.getString("name")).isEqualTo(file.get("filename"));
        assertThat(gotFile.getString("content")).isEqualTo(file.get("content"));
      }
      assertThat(got.getJsonArray("dkimpy").getList()).as("dkimpy").containsExactly("pass");
      assertThat(got.getJsonArray("mailauth").getList()).as("mailauth").containsExactly("pass");
    }
  }

  @Test
  void rawMessagesWrittenByPythonAndNodemailerArriveIntact() throws Exception {
    byte[] pdf = new byte[60_000];
    new Random(3).nextBytes(pdf);
    List<JsonObject> specs = new ArrayList<>();
    String[] texts = {
      "Hi Bob,\nsee you tomorrow.\n", "Grüße aus Köln\nZeile zwei — 日本語\n\n.\nFrom here on 😀\n"
    };
    for (String writer : List.of("python-default", "python-smtp", "nodemailer", "nodemailer-lf")) {
      for (int i = 0; i < texts.length; i++) {
        JsonObject spec =
            new JsonObject()
                .put("case", writer + "-" + i + "-" + System.nanoTime())
                .put("from", "Alice <alice@" + domain + ">")
                .put("to", "bob@example.org")
                .put("subject", "Grüße " + i)
                .put("text", texts[i])
                .put("html", i == 1 ? "<p>Grüße aus <b>Köln</b></p>\n<p>日本語</p>\n" : null)
                .put("policy", writer.equals("python-smtp") ? "smtp" : "default");
        if (i == 1) {
          spec.put(
              "files",
              new JsonArray()
                  .add(
                      new JsonObject()
                          .put("name", "Übersicht.pdf")
                          .put("type", "application/pdf")
                          .put("content", Base64.getEncoder().encodeToString(pdf))));
        }
        specs.add(spec.put("writer", writer));
      }
    }
    List<JsonObject> written = new ArrayList<>();
    written.addAll(
        run(
            List.of(PYTHON.toString(), "-c", WRITE_PY),
            specs.stream().filter(s -> s.getString("writer").startsWith("python")).toList()));
    for (JsonObject js :
        run(
            List.of(NODE.toString(), "-e", WRITE_JS),
            specs.stream().filter(s -> s.getString("writer").startsWith("nodemailer")).toList())) {
      if (js.getString("case").startsWith("nodemailer-lf")) {
        String lf =
            new String(
                    Base64.getDecoder().decode(js.getString("data")), StandardCharsets.ISO_8859_1)
                .replace("\r\n", "\n");
        js.put(
            "data", Base64.getEncoder().encodeToString(lf.getBytes(StandardCharsets.ISO_8859_1)));
      }
      written.add(js);
    }
    assertThat(written).hasSize(specs.size());
    // how the writer's own bytes decode: what the recipient must get too
    Map<String, JsonObject> original =
        run(List.of(PYTHON.toString(), "-c", DECODE_PY, "{}"), written).stream()
            .collect(Collectors.toMap(j -> j.getString("case"), j -> j));
    for (JsonObject w : written) {
      admin()
          .body(
              Map.of(
                  "mailFrom", "bounce@" + domain,
                  "rcptTo", List.of("bob@example.org"),
                  "raw", w.getString("data")))
          .post("/v1/messages/raw")
          .then()
          .statusCode(202);
    }
    Map<String, JsonObject> decoded = receiveAndDecode(original.keySet());
    for (Map.Entry<String, JsonObject> e : original.entrySet()) {
      JsonObject want = e.getValue();
      JsonObject got = decoded.get(e.getKey());
      // a receiver may keep or drop the line end that doubles as the end-of-data mark's first
      assertThat(trimmed(got.getString("text")))
          .as("text of %s", e.getKey())
          .isEqualTo(trimmed(want.getString("text")));
      assertThat(trimmed(got.getString("html")))
          .as("html of %s", e.getKey())
          .isEqualTo(trimmed(want.getString("html")));
      assertThat(got.getString("subject")).isEqualTo(want.getString("subject"));
      assertThat(got.getJsonArray("files")).isEqualTo(want.getJsonArray("files"));
      assertThat(got.getJsonArray("dkimpy").getList()).as("dkimpy").containsExactly("pass");
      assertThat(got.getJsonArray("mailauth").getList()).as("mailauth").containsExactly("pass");
    }
  }

  /** Waits for these cases at the relay; decodes them with Python, verifies with both peers. */
  private Map<String, JsonObject> receiveAndDecode(Set<String> cases) throws Exception {
    Map<String, JsonObject> byCase = new HashMap<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              byCase.clear();
              List<JsonObject> received = new ArrayList<>();
              for (String line : Files.readAllLines(MailPeers.NodeRelay.received)) {
                if (!line.isBlank()) {
                  received.add(new JsonObject(line).put("verify", true));
                }
              }
              List<JsonObject> decoded =
                  run(
                      List.of(
                          PYTHON.toString(), "-c", DECODE_PY, JsonObject.mapFrom(records).encode()),
                      received);
              List<JsonObject> mailauth =
                  run(
                      List.of(
                          NODE.toString(), "-e", MAILAUTH_JS, JsonObject.mapFrom(records).encode()),
                      received);
              for (int i = 0; i < decoded.size(); i++) {
                JsonObject d = decoded.get(i);
                if (cases.contains(d.getString("case"))) {
                  byCase.put(
                      d.getString("case"), d.put("mailauth", mailauth.get(i).getJsonArray("r")));
                }
              }
              return byCase.keySet().containsAll(cases);
            });
    return byCase;
  }

  /** {@link #lines}, without one final line end. */
  static String trimmed(String s) {
    String l = lines(s);
    return l != null && l.endsWith("\n") ? l.substring(0, l.length() - 1) : l;
  }

  /** Line ends aside: LF, CR and CRLF all count as one line end. */
  static String lines(String s) {
    return s == null ? null : s.replace("\r\n", "\n").replace('\r', '\n');
  }

  /**
   * The body decoded as sent, line ends aside. A single-part body's last line end doubles as the
   * first of the SMTP end-of-data mark (RFC 5321 §4.1.1.4): a receiver may keep it or not.
   */
  private static void assertBody(String got, String sent, boolean single, String what) {
    if (sent == null) {
      assertThat(got).as(what).isNull();
      return;
    }
    String decoded = lines(got);
    if (single && (lines(sent) + "\n").equals(decoded)) {
      decoded = lines(sent);
    }
    assertThat(decoded).as(what).isEqualTo(lines(sent));
  }
}
