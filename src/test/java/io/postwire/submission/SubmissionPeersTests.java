package io.postwire.submission;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.scopedKey;
import static io.postwire.testing.Api.uniqueDomain;
import static io.postwire.testing.MailPeers.DECODE_PY;
import static io.postwire.testing.MailPeers.NODE;
import static io.postwire.testing.MailPeers.PYTHON;
import static io.postwire.testing.MailPeers.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.RelayDeliveryTests;
import io.postwire.testing.MailPeers;
import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import io.postwire.testing.smtp.PostfixServer;
import io.postwire.testing.smtp.TestCertificates;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeUtility;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SMTP submission (API.md, "SMTP submission") used by programs that are not ours, each over
 * STARTTLS with AUTH and an API key as the password: swaks, Python's {@code smtplib}, Nodemailer's
 * SMTP transport, and a real Postfix with our port as its {@code relayhost} (SASL, {@code
 * smtp_tls_security_level = encrypt}); and {@code smtplib} once more over implicit TLS (RFC 8314).
 * Each writes its messages as it always does (multi-line text written with LF, non-ASCII UTF-8,
 * 8bit where the library chooses it, html only, an attachment); every message must be answered
 * {@code 250 2.0.0 queued as <id>}, reach the npm {@code smtp-server} (the relay) with a signature
 * dkimpy verifies on the bytes it received, decode with Python's {@code email} package to what was
 * sent, and carry no {@code X-Postwire-*} header, whose tags and metadata the message keeps
 * instead.
 */
@Tag("peers")
@QuarkusTest
@TestProfile(SubmissionPeersTests.Peers.class)
class SubmissionPeersTests {

  static final Path SWAKS = Path.of("/usr/bin/swaks");
  static final Path SUBMIT_JS = Path.of("src", "test", "node", "submit-smtp.js").toAbsolutePath();
  static final Pattern QUEUED = Pattern.compile("^250 2\\.0\\.0 queued as (\\S+)");

  /** The submission port with STARTTLS, and the npm smtp-server as the relay behind it. */
  public static class Peers implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(
          new TestResourceEntry(MailPeers.NodeRelay.class),
          new TestResourceEntry(Submission.class));
    }
  }

  /** Free loopback ports for submission (STARTTLS, implicit TLS) and a PEM certificate. */
  public static class Submission implements QuarkusTestResourceLifecycleManager {
    static volatile int port;
    static volatile int implicitTlsPort;

    /** The certificate (self-signed for localhost), which the clients trust. */
    static volatile Path cert;

    @Override
    public Map<String, String> start() {
      Path dir;
      try {
        dir = Files.createTempDirectory("postwire-submission-tls");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      TestCertificates.selfSignedPem("localhost", dir);
      cert = dir.resolve("cert.pem");
      port = Ports.free();
      implicitTlsPort = Ports.free();
      return Map.of(
          "postwire.submission.implicit-tls-port", Integer.toString(implicitTlsPort),
          "postwire.submission.host", "127.0.0.1",
          "postwire.submission.port", Integer.toString(port),
          "postwire.submission.tls.cert", cert.toString(),
          "postwire.submission.tls.key", dir.resolve("key.pem").toString());
    }

    @Override
    public void stop() {}
  }

  /**
   * Python's {@code email} package writes each message (its default policy: 8bit for non-ASCII
   * text, CRLF on the wire as {@code send_message} does) and {@code smtplib} submits them in one
   * session; "starttls" mode does STARTTLS (the certificate chain checked against the CA file) and
   * AUTH, "implicit" mode TLS from the first octet (RFC 8314) and AUTH, "plain" mode neither (for
   * Postfix's smtpd on loopback). Prints {case, code, reply} per message.
   */
  static final String SMTPLIB_PY =
      """
      import sys, json, base64, smtplib, ssl
      from email import policy
      from email.message import EmailMessage
      from email.utils import formatdate, make_msgid
      port, mode, cafile, user, key = sys.argv[1:6]
      if mode != 'plain':
          context = ssl.create_default_context(cafile=cafile)
          # the certificate names localhost; the client connects to 127.0.0.1 (no name resolved)
          context.check_hostname = False
      if mode == 'implicit':
          s = smtplib.SMTP_SSL('127.0.0.1', int(port), local_hostname='python.test', timeout=30,
                               context=context)
      else:
          s = smtplib.SMTP('127.0.0.1', int(port), local_hostname='python.test', timeout=30)
      s.ehlo()
      if mode == 'starttls':
          s.starttls(context=context)
          s.ehlo()
      if mode != 'plain':
          s.login(user, key)
      for line in sys.stdin:
          spec = json.loads(line)
          msg = EmailMessage()
          msg['From'] = spec['from']
          msg['To'] = spec['to']
          msg['Subject'] = spec['subject']
          msg['Date'] = formatdate()
          msg['Message-ID'] = make_msgid(domain='python.test')
          for k, v in spec['headers'].items():
              msg[k] = v
          if spec.get('text') is not None:
              msg.set_content(spec['text'])
              if spec.get('html') is not None:
                  msg.add_alternative(spec['html'], subtype='html')
          else:
              msg.set_content(spec['html'], subtype='html')
          for a in spec.get('files', []):
              maintype, subtype = a['type'].split('/')
              msg.add_attachment(base64.b64decode(a['content']), maintype=maintype,
                                 subtype=subtype, filename=a['name'])
          code, reply = s.mail(spec['envelopeFrom'])
          if code == 250:
              code, reply = s.rcpt(spec['to'])
          if code in (250, 251):
              code, reply = s.data(msg.as_bytes(policy=policy.SMTP))
          else:
              s.rset()
          print(json.dumps({'case': spec['case'], 'code': code,
                            'reply': str(code) + ' ' + reply.decode('utf-8', 'replace')}), flush=True)
      s.quit()
      """;

  static String domain;
  static String key;
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
    key = scopedKey(domain);
  }

  @Test
  void swaksSubmitsOverStartTlsWithAuthLogin() throws Exception {
    assertThat(SWAKS).as("swaks from Debian's swaks package").isExecutable();
    List<JsonObject> specs = messages("swaks");
    Path dir = Files.createTempDirectory("swaks");
    Map<String, String> replies = new LinkedHashMap<>();
    List<JsonObject> wrote = new ArrayList<>();
    for (JsonObject spec : specs) {
      String caseId = spec.getString("case");
      List<String> command =
          new ArrayList<>(
              List.of(
                  SWAKS.toString(),
                  "--server",
                  "127.0.0.1",
                  "--port",
                  Integer.toString(Submission.port),
                  "--ehlo",
                  "swaks.test",
                  "--tls",
                  "--tls-verify",
                  "--tls-ca-path",
                  Submission.cert.toString(),
                  "--auth",
                  "LOGIN",
                  "--auth-user",
                  "swaks",
                  "--auth-password",
                  key,
                  "--timeout",
                  "30",
                  "--from",
                  spec.getString("envelopeFrom"),
                  "--to",
                  spec.getString("to"),
                  "--header",
                  "From: " + spec.getString("from"),
                  // swaks writes headers as given: a non-ASCII subject must be an encoded word
                  "--header",
                  "Subject: " + MimeUtility.encodeText(spec.getString("subject"), "UTF-8", "Q")));
      for (Map.Entry<String, Object> h : spec.getJsonObject("headers")) {
        command.addAll(List.of("--header", h.getKey() + ": " + h.getValue()));
      }
      String text = spec.getString("text");
      String html = spec.getString("html");
      if (html != null) {
        // swaks makes a MIME part of it (base64)
        Path file = Files.writeString(dir.resolve(caseId + ".html"), html);
        command.addAll(
            List.of("--attach-type", "text/html; charset=UTF-8", "--attach-body", "@" + file));
      } else {
        Path file = Files.writeString(dir.resolve(caseId + ".txt"), text);
        command.addAll(List.of("--body", "@" + file));
        if (!text.chars().allMatch(c -> c < 128)) {
          // the body goes as it is, 8bit, declared as an application would
          command.addAll(
              List.of(
                  "--add-header",
                  "MIME-Version: 1.0",
                  "--add-header",
                  "Content-Type: text/plain; charset=UTF-8",
                  "--add-header",
                  "Content-Transfer-Encoding: 8bit"));
        }
      }
      for (Object f : spec.getJsonArray("files")) {
        JsonObject file = (JsonObject) f;
        Path content =
            Files.write(
                dir.resolve(caseId + ".bin"),
                Base64.getDecoder().decode(file.getString("content")));
        command.addAll(
            List.of(
                "--attach-type",
                file.getString("type"),
                "--attach-name",
                file.getString("name"),
                "--attach",
                "@" + content));
      }
      // what swaks writes, dot-stuffed as on the wire; it ends a body with more line ends than
      // the file has, which only the comparison of texts ignores (swaksText)
      List<String> dump = new ArrayList<>(command);
      dump.add("--dump-mail");
      String written = runProgram(dump).replace("\r\n..", "\r\n.");
      wrote.add(
          new JsonObject()
              .put(
                  "data",
                  Base64.getEncoder().encodeToString(written.getBytes(StandardCharsets.UTF_8))));
      String transcript = runProgram(command);
      // swaks prints what the server says after TLS as "<~  250 ..."
      Matcher m = Pattern.compile("(?m)^<~ +(250 2\\.0\\.0 queued as \\S+)").matcher(transcript);
      assertThat(m.find()).as("swaks got 250 queued as; transcript:\n%s", transcript).isTrue();
      assertThat(transcript).contains("STARTTLS").contains("AUTH LOGIN");
      replies.put(caseId, m.group(1));
    }
    Map<String, JsonObject> expected = new HashMap<>();
    for (JsonObject d : run(List.of(PYTHON.toString(), "-c", DECODE_PY, "{}"), wrote)) {
      expected.put(d.getString("case"), d);
    }
    assertThat(expected).hasSize(specs.size());
    // and what swaks wrote is what it was given, but for that line end
    for (JsonObject spec : specs) {
      JsonObject e = expected.get(spec.getString("case"));
      assertThat(e.getString("subject")).isEqualTo(spec.getString("subject"));
      assertThat(trimmed(e.getString("html"))).isEqualTo(trimmed(spec.getString("html")));
      assertThat(swaksText(e.getString("text"))).isEqualTo(swaksText(spec.getString("text")));
      e.put("text", swaksText(e.getString("text")));
    }
    assertDeliveredIntact("swaks", specs, replies, expected);
  }

  @Test
  void pythonSmtplibSubmitsOverStartTlsWithAuth() throws Exception {
    submitWithSmtplib("smtplib", Submission.port, "starttls");
  }

  @Test
  void pythonSmtplibSubmitsOverImplicitTlsWithAuth() throws Exception {
    submitWithSmtplib("smtplib-tls", Submission.implicitTlsPort, "implicit");
  }

  /** Python's smtplib submits the messages of {@code client} on {@code port} with AUTH. */
  private void submitWithSmtplib(String client, int port, String tls) throws Exception {
    List<JsonObject> specs = messages(client);
    List<JsonObject> out =
        run(
            List.of(
                PYTHON.toString(),
                "-c",
                SMTPLIB_PY,
                Integer.toString(port),
                tls,
                Submission.cert.toString(),
                "python",
                key),
            specs);
    Map<String, String> replies = new LinkedHashMap<>();
    for (JsonObject o : out) {
      replies.put(o.getString("case"), o.getString("reply"));
    }
    assertDeliveredIntact(client, specs, replies, decoded(specs));
  }

  @Test
  void nodemailerSubmitsOverStartTlsWithAuth() throws Exception {
    assertThat(NODE).as("node from the Debian nodejs package").isExecutable();
    assertThat(SUBMIT_JS).exists();
    List<JsonObject> specs = messages("nodemailer");
    List<JsonObject> out =
        run(
            List.of(
                NODE.toString(),
                SUBMIT_JS.toString(),
                Integer.toString(Submission.port),
                Submission.cert.toString(),
                "nodemailer",
                key),
            specs);
    Map<String, String> replies = new LinkedHashMap<>();
    for (JsonObject o : out) {
      assertThat(o.getString("error")).as("nodemailer error for %s", o.getString("case")).isNull();
      replies.put(o.getString("case"), o.getString("response"));
    }
    assertDeliveredIntact("nodemailer", specs, replies, decoded(specs));
  }

  @Test
  void postfixRelaysThroughTheSubmissionPortWithSaslOverTls() throws Exception {
    List<JsonObject> specs = messages("postfix");
    try (PostfixServer postfix = PostfixServer.startRelayClient(Submission.port, "postfix", key)) {
      // the application hands its mail to its local Postfix, which relays it to us
      List<JsonObject> out =
          run(
              List.of(
                  PYTHON.toString(),
                  "-c",
                  SMTPLIB_PY,
                  Integer.toString(postfix.port()),
                  "plain",
                  "-",
                  "-",
                  "-"),
              specs);
      Map<String, String> postfixIds = new HashMap<>();
      for (JsonObject o : out) {
        Matcher m = Pattern.compile("queued as (\\S+)").matcher(o.getString("reply"));
        assertThat(m.find()).as("postfix accepted %s: %s", o, postfix.log()).isTrue();
        postfixIds.put(m.group(1), o.getString("case"));
      }
      // Postfix logs our answer to its DATA: "<queue id>: to=<…>, relay=…, status=sent (250 …)"
      Pattern sent =
          Pattern.compile("(?m) ([0-9A-F]+): to=<[^>]*>, relay=.* status=sent \\((.*)\\)$");
      Map<String, String> replies = new LinkedHashMap<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                Matcher m = sent.matcher(postfix.log());
                while (m.find()) {
                  String caseId = postfixIds.get(m.group(1));
                  if (caseId != null) {
                    replies.put(caseId, m.group(2));
                  }
                }
                assertThat(replies.keySet())
                    .as("relayed by postfix; log:\n%s", postfix.log())
                    .containsExactlyInAnyOrderElementsOf(postfixIds.values());
              });
      String log = postfix.log();
      assertThat(log).as("postfix used TLS").contains("TLS connection established to 127.0.0.1");
      assertDeliveredIntact("postfix", specs, replies, decoded(specs));
    }
  }

  /**
   * The messages each client sends: multi-line text written with LF (with a dot line and a "From "
   * line), non-ASCII UTF-8 text and subject, html only, and text with a binary attachment; the
   * first carries tags and metadata in {@code X-Postwire-*} headers.
   */
  static List<JsonObject> messages(String client) {
    byte[] pdf = new byte[40_000];
    new Random(client.hashCode()).nextBytes(pdf);
    String run = client + "-" + System.nanoTime();
    List<JsonObject> specs = new ArrayList<>();
    specs.add(
        spec(run, "text", "Plain text from " + client)
            .put(
                "text",
                "Hello Bob,\nthis is line two.\n\nA third paragraph after an empty line.\n.\n"
                    + "From the start of a line.\n")
            .put(
                "headers",
                new JsonObject()
                    .put("X-Case", run + "-text")
                    .put("X-Postwire-Tag", "peers, " + client)
                    .put("X-Postwire-Metadata-client", client)));
    specs.add(
        spec(run, "utf8", "Grüße aus Köln — 日本語")
            .put("text", "Grüße aus Köln\nZeile zwei — 日本語 😀\nñ ü ß é\n"));
    specs.add(
        spec(run, "html", "Nur HTML")
            .put("html", "<p>Hallo <b>Welt</b> — Grüße</p>\n<p>second line</p>\n"));
    specs.add(
        spec(run, "attachment", "Report attached")
            .put("text", "See the attached report.\nRegards\n")
            .put(
                "files",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "report.pdf")
                            .put("type", "application/pdf")
                            .put("content", Base64.getEncoder().encodeToString(pdf)))));
    return specs;
  }

  private static JsonObject spec(String run, String kind, String subject) {
    String caseId = run + "-" + kind;
    return new JsonObject()
        .put("case", caseId)
        .put("from", "Alice <alice@" + domain + ">")
        .put("envelopeFrom", "alice@" + domain)
        .put("to", "bob@example.org")
        .put("subject", subject)
        .put("headers", new JsonObject().put("X-Case", caseId))
        .put("files", new JsonArray());
  }

  /** The messages as a recipient decodes them when they arrive as the client was given them. */
  static Map<String, JsonObject> decoded(List<JsonObject> specs) {
    Map<String, JsonObject> expected = new HashMap<>();
    for (JsonObject spec : specs) {
      JsonArray files = new JsonArray();
      for (Object f : spec.getJsonArray("files")) {
        JsonObject file = (JsonObject) f;
        files.add(
            new JsonObject()
                .put("name", file.getString("name"))
                .put("content", file.getString("content")));
      }
      expected.put(
          spec.getString("case"),
          new JsonObject()
              .put("subject", spec.getString("subject"))
              .put("text", spec.getString("text"))
              .put("html", spec.getString("html"))
              .put("files", files));
    }
    return expected;
  }

  /**
   * Every message was answered {@code 250 2.0.0 queued as <id>}, is delivered, arrived at the relay
   * with a DKIM signature dkimpy verifies, and decodes to what the client was given.
   */
  private void assertDeliveredIntact(
      String client,
      List<JsonObject> specs,
      Map<String, String> replies,
      Map<String, JsonObject> expected)
      throws Exception {
    Map<String, String> ids = new HashMap<>();
    for (JsonObject spec : specs) {
      String reply = replies.get(spec.getString("case"));
      assertThat(reply).as("%s's answer for %s", client, spec.getString("case")).isNotNull();
      Matcher m = QUEUED.matcher(reply);
      assertThat(m.find()).as("%s: %s", spec.getString("case"), reply).isTrue();
      ids.put(spec.getString("case"), m.group(1));
    }
    Map<String, JsonObject> received = receiveAndDecode(ids.keySet());
    for (JsonObject spec : specs) {
      String caseId = spec.getString("case");
      JsonObject got = received.get(caseId);
      JsonObject want = expected.get(caseId);
      assertThat(got.getJsonArray("dkimpy").getList())
          .as("dkimpy on %s", caseId)
          .containsExactly("pass");
      assertThat(got.getJsonArray("postwireHeaders").getList())
          .as("X-Postwire-* headers removed from %s", caseId)
          .isEmpty();
      assertThat(got.getString("subject"))
          .as("subject of %s", caseId)
          .isEqualTo(want.getString("subject"));
      String text = got.getString("text");
      assertThat(trimmed(client.equals("swaks") ? swaksText(text) : text))
          .as("text of %s", caseId)
          .isEqualTo(trimmed(want.getString("text")));
      assertThat(trimmed(got.getString("html")))
          .as("html of %s", caseId)
          .isEqualTo(trimmed(want.getString("html")));
      List<JsonObject> files = new ArrayList<>();
      for (Object f : got.getJsonArray("files")) {
        files.add((JsonObject) f);
      }
      assertThat(files).as("attachments of %s", caseId).hasSize(want.getJsonArray("files").size());
      for (int i = 0; i < files.size(); i++) {
        JsonObject file = want.getJsonArray("files").getJsonObject(i);
        assertThat(files.get(i).getString("name")).isEqualTo(file.getString("name"));
        assertThat(files.get(i).getString("content"))
            .as("attachment content of %s", caseId)
            .isEqualTo(file.getString("content"));
      }
      String id = ids.get(caseId);
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(
                          admin()
                              .get("/v1/messages/" + id)
                              .then()
                              .statusCode(200)
                              .extract()
                              .<String>path("recipients[0].status"))
                      .as("status of %s (%s)", id, caseId)
                      .isEqualTo("delivered"));
    }
    String tagged = ids.get(specs.get(0).getString("case"));
    var message = admin().get("/v1/messages/" + tagged).then().statusCode(200).extract();
    assertThat(message.<List<String>>path("tags")).containsExactly("peers", client);
    // header names are case-insensitive, and Nodemailer writes them capitalized
    // (X-Postwire-Metadata-Client): the name's case is the client's
    Map<String, Object> metadata = message.path("metadata");
    assertThat(metadata).hasSize(1);
    assertThat(metadata.keySet().iterator().next()).isEqualToIgnoringCase("client");
    assertThat(metadata.values()).containsExactly(client);
  }

  /** Waits for these cases at the relay; decodes them with Python and verifies them with dkimpy. */
  private static Map<String, JsonObject> receiveAndDecode(Set<String> cases) {
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
              for (JsonObject d :
                  run(
                      List.of(
                          PYTHON.toString(), "-c", DECODE_PY, JsonObject.mapFrom(records).encode()),
                      received)) {
                if (cases.contains(d.getString("case"))) {
                  byCase.put(d.getString("case"), d);
                }
              }
              return byCase.keySet().containsAll(cases);
            });
    return byCase;
  }

  /** Runs a program to its end (at most 60 s); its standard output, given exit code 0. */
  private static String runProgram(List<String> command) {
    return PeerProcess.run(command.get(0), command, Map.of(), new byte[0], Duration.ofSeconds(60))
        .stdoutIfSucceeded();
  }

  /** Line ends aside, and without the line ends swaks adds at the end of a body. */
  static String swaksText(String s) {
    return s == null ? null : s.replace("\r\n", "\n").replace('\r', '\n').replaceAll("\n+$", "\n");
  }

  /** Line ends aside (LF, CR and CRLF are one line end), and without one final line end. */
  static String trimmed(String s) {
    if (s == null) {
      return null;
    }
    String l = s.replace("\r\n", "\n").replace('\r', '\n');
    return l.endsWith("\n") ? l.substring(0, l.length() - 1) : l;
  }
}
