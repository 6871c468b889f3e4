package io.postwire.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.dkim.DkimAlgorithm;
import io.postwire.dkim.DkimKeys;
import io.postwire.dkim.DkimSigner;
import io.postwire.dkim.JdkimVerifier;
import io.postwire.domain.Mailbox;
import jakarta.mail.BodyPart;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * What a recipient decodes from a rendered message (API.md, "Message content"): render → sign →
 * parse back with Jakarta Mail's parser and verify with Apache jDKIM, for generated bodies with
 * every kind of line end, non-ASCII text, dot lines, {@code From } lines, trailing whitespace,
 * over-long lines and emoji, with and without attachments and inline parts.
 */
class MimeRendererTest {

  private static final Session SESSION = Session.getInstance(new Properties());
  private static KeyPair keys;
  private static DkimSigner signer;
  private static JdkimVerifier jdkim;
  private final MimeRenderer renderer = new MimeRenderer();

  @BeforeContainer
  static void keys() {
    keys = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    signer = new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.com", "pw1", keys.getPrivate());
    jdkim =
        new JdkimVerifier(
            Map.of(
                "pw1._domainkey.example.com",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, keys.getPublic())));
  }

  @Property(tries = 300)
  void recipientsDecodeExactlyWhatWasSent(@ForAll("messages") ValidatedMessage m) throws Exception {
    byte[] bytes = renderer.render(m, new Date()).bytes();

    assertWireForm(bytes);
    Decoded decoded = decode(bytes);
    boolean single = m.attachments().isEmpty() && (m.text() == null || m.html() == null);
    assertThat(visible(decoded.text)).isEqualTo(visible(expected(m.text(), single)));
    assertThat(visible(decoded.html)).isEqualTo(visible(expected(m.html(), single)));
    assertThat(decoded.subject).isEqualTo(m.subject());
    assertThat(decoded.custom).isEqualTo(m.headers().get("X-Note"));
    assertThat(decoded.files).hasSize(m.attachments().size());
    // inline parts come first, inside multipart/related; attachments follow, each in order
    List<ValidatedMessage.Part> expectedFiles = new ArrayList<>();
    m.attachments().stream().filter(p -> p.contentId() != null).forEach(expectedFiles::add);
    m.attachments().stream().filter(p -> p.contentId() == null).forEach(expectedFiles::add);
    for (int i = 0; i < expectedFiles.size(); i++) {
      assertThat(decoded.files.get(i).name).isEqualTo(expectedFiles.get(i).filename());
      assertThat(decoded.files.get(i).content).isEqualTo(expectedFiles.get(i).content());
    }

    byte[] signed = concat(signer.sign(bytes, Instant.now()), bytes);
    String body = m.text() != null ? m.text() : m.html();
    if (single && body.isBlank()) {
      // an empty canonical body: jDKIM 0.5 hashes it as CRLF, unlike RFC 6376 §3.4.4, dkimpy and
      // OpenDKIM (pinned in DkimSignerTest)
      return;
    }
    assertThat(jdkim.accepts(signed)).as("jDKIM verifies the signature").isTrue();
  }

  @Example
  void multiLineAsciiTextGoesOutWithCrlfOnly() throws Exception {
    byte[] bytes = render("Hi Bob,\nsee you tomorrow.\n", null);
    assertWireForm(bytes);
    String wire = new String(bytes, StandardCharsets.US_ASCII);
    assertThat(wire).contains("\r\n\r\nHi Bob,\r\nsee you tomorrow.\r\n");
    assertThat(wire).contains("Content-Transfer-Encoding: 7bit");
  }

  @Example
  void nonAsciiTextIsUtf8InTheDeclaredCharset() throws Exception {
    String text = "Grüße aus Köln\nZeile zwei — 日本語\n";
    byte[] bytes = render(text, null);
    assertWireForm(bytes);
    String wire = new String(bytes, StandardCharsets.US_ASCII);
    assertThat(wire).contains("charset=UTF-8").contains("Gr=C3=BC=C3=9Fe aus K=C3=B6ln");
    assertThat(decode(bytes).text).isEqualTo(text.replace("\n", "\r\n") + "\r\n");
  }

  @Example
  void htmlOnlyIsTextHtml() throws Exception {
    byte[] bytes = render(null, "<p>Hello</p>\n<p>again</p>");
    MimeMessage parsed = new MimeMessage(SESSION, new ByteArrayInputStream(bytes));
    assertThat(parsed.getContentType()).startsWith("text/html");
    assertThat(decode(bytes).html).isEqualTo("<p>Hello</p>\r\n<p>again</p>\r\n");
  }

  @Example
  void longSubjectWithoutSpacesIsSplitIntoEncodedWords() throws Exception {
    String subject = "x".repeat(1200);
    ValidatedMessage m =
        message("hi", null, subject, Map.of("X-Note", "y".repeat(1500)), List.of());
    byte[] bytes = renderer.render(m, new Date()).bytes();
    assertWireForm(bytes);
    Decoded decoded = decode(bytes);
    assertThat(decoded.subject).isEqualTo(subject);
    assertThat(decoded.custom).isEqualTo("y".repeat(1500));
  }

  private byte[] render(String text, String html) {
    return renderer.render(message(text, html, "Hi", Map.of(), List.of()), new Date()).bytes();
  }

  /** CRLF line ends only, every line at most 998 octets, nothing but 7-bit bytes and no NUL. */
  static void assertWireForm(byte[] bytes) {
    int line = 0;
    for (int i = 0; i < bytes.length; i++) {
      byte b = bytes[i];
      assertThat(b).as("octet %d is 7-bit and not NUL", i).isBetween((byte) 1, (byte) 127);
      if (b == '\r') {
        assertThat(i + 1 < bytes.length && bytes[i + 1] == '\n')
            .as("CR at %d ends a line", i)
            .isTrue();
      } else if (b == '\n') {
        assertThat(i > 0 && bytes[i - 1] == '\r').as("LF at %d follows a CR", i).isTrue();
        line = 0;
        continue;
      }
      if (b != '\r') {
        line++;
      }
      assertThat(line).as("line length at octet %d", i).isLessThanOrEqualTo(998);
    }
    assertThat(
            bytes.length >= 2 && bytes[bytes.length - 2] == '\r' && bytes[bytes.length - 1] == '\n')
        .as("ends with CRLF")
        .isTrue();
  }

  /**
   * What a client shows: the body with CRLF line ends; a single-part message's body also carries
   * the CRLF that ends the message.
   */
  private static String expected(String body, boolean single) {
    if (body == null) {
      return null;
    }
    String crlf = MimeRenderer.crlfLines(body);
    return single ? crlf + "\r\n" : crlf;
  }

  /** Line ends made visible, so a failure report shows them. */
  static String visible(String s) {
    return s == null ? null : s.replace("\r", "\\r").replace("\n", "\\n\n");
  }

  static final class Decoded {
    String text;
    String html;
    String subject;
    String custom;
    final List<File> files = new ArrayList<>();
  }

  record File(String name, byte[] content) {}

  static Decoded decode(byte[] bytes) throws Exception {
    MimeMessage parsed = new MimeMessage(SESSION, new ByteArrayInputStream(bytes));
    Decoded d = new Decoded();
    d.subject = parsed.getSubject();
    String custom = parsed.getHeader("X-Note", null);
    d.custom = custom == null ? null : MimeUtility.decodeText(MimeUtility.unfold(custom));
    walk(parsed, d);
    return d;
  }

  private static void walk(Part part, Decoded d) throws Exception {
    if (part.isMimeType("multipart/*")) {
      Multipart multipart = (Multipart) part.getContent();
      for (int i = 0; i < multipart.getCount(); i++) {
        walk(multipart.getBodyPart(i), d);
      }
      return;
    }
    if (part instanceof BodyPart && part.getFileName() != null) {
      try (InputStream in = part.getInputStream()) {
        d.files.add(new File(part.getFileName(), in.readAllBytes()));
      }
    } else if (part.isMimeType("text/plain")) {
      d.text = (String) part.getContent();
    } else if (part.isMimeType("text/html")) {
      d.html = (String) part.getContent();
    }
  }

  static byte[] concat(String head, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(body);
    return out.toByteArray();
  }

  static ValidatedMessage message(
      String text,
      String html,
      String subject,
      Map<String, String> headers,
      List<ValidatedMessage.Part> parts) {
    return new ValidatedMessage(
        new Mailbox("Alice Ä", "alice", "example.com"),
        List.of(new Mailbox(null, "bob", "example.org")),
        List.of(),
        List.of(),
        null,
        null,
        subject,
        text,
        html,
        headers,
        parts,
        List.of(),
        null,
        null,
        Instant.now().plusSeconds(3600),
        ValidatedMessage.Track.NONE);
  }

  // ---- generators ----

  @Provide
  Arbitrary<ValidatedMessage> messages() {
    Arbitrary<String> body = bodies();
    Arbitrary<String> maybe = body.injectNull(0.3);
    Arbitrary<List<ValidatedMessage.Part>> parts = part().list().ofMaxSize(3);
    Arbitrary<String> subject = line().injectNull(0.1);
    Arbitrary<Map<String, String>> headers =
        line().injectNull(0.5).map(v -> v == null ? Map.<String, String>of() : mapOf("X-Note", v));
    return Combinators.combine(maybe, maybe, subject, headers, parts)
        .as(
            (text, html, s, h, p) ->
                message(text == null && html == null ? "" : text, html, s, h, p));
  }

  private static Map<String, String> mapOf(String k, String v) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(k, v);
    return m;
  }

  /** Bodies built from the pieces real mail is made of. */
  static Arbitrary<String> bodies() {
    Arbitrary<String> piece =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(
                8, Arbitraries.strings().alpha().numeric().withChars(" ,.!?-'").ofMaxLength(60)),
            net.jqwik.api.Tuple.of(6, Arbitraries.of("\n", "\r\n", "\r", "\n\n", "\r\n\r\n")),
            net.jqwik.api.Tuple.of(
                3, Arbitraries.of("Grüße", "Köln", " — ", "日本語", "😀", "Ωμέγα", "\u00a0", "ß")),
            net.jqwik.api.Tuple.of(
                2,
                Arbitraries.of(
                    "\n.\n", "\n..\n", "\nFrom here\n", "\n.", "trailing  \n", "tab\t\n", " \n")),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(900, 2100).map("w"::repeat)),
            net.jqwik.api.Tuple.of(
                1, Arbitraries.of("=", "=3D", "=?UTF-8?Q?x?=", "--=_pw_", "<p>a</p>")));
    return piece.list().ofMaxSize(40).map(l -> String.join("", l));
  }

  /** A header value: any Unicode on one line, long runs included. */
  static Arbitrary<String> line() {
    Arbitrary<String> piece =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(8, Arbitraries.strings().alpha().ofMaxLength(20)),
            net.jqwik.api.Tuple.of(4, Arbitraries.of(" ", "  ", "\t", "=?", "?=", ":", ";")),
            net.jqwik.api.Tuple.of(3, Arbitraries.of("äöü", "—", "日本", "😀", "Ωμέγα")),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(70, 1300).map("z"::repeat)));
    return piece
        .list()
        .ofMinSize(1)
        .ofMaxSize(12)
        .map(l -> String.join("", l).strip())
        .filter(s -> !s.isEmpty());
  }

  @Property(tries = 300)
  void attachmentLinesAreWhatTheMimeEncoderWrites(
      @ForAll("anyBytes") byte[] content, @ForAll("whiteSpace") String space) {
    byte[] expected = Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encode(content);
    String base64 = Base64.getEncoder().encodeToString(content);

    assertThat(MimeRenderer.lines(MessageValidator.canonicalBase64(base64))).isEqualTo(expected);
    // white space anywhere, the URL-safe alphabet and missing padding give the same lines
    String loose =
        String.join(
            space, Base64.getUrlEncoder().withoutPadding().encodeToString(content).split(""));
    assertThat(MimeRenderer.lines(MessageValidator.canonicalBase64(loose))).isEqualTo(expected);
  }

  @Example
  void base64WithUnusedBitsSetGoesOutAsTheEncoderWritesIt() {
    // "QR==" and "QUI=" carry stray bits after their last octet; decoders ignore them
    assertThat(MessageValidator.canonicalBase64("QR==")).isEqualTo("QQ==".getBytes());
    assertThat(MessageValidator.canonicalBase64("QUJ=")).isEqualTo("QUI=".getBytes());
    assertThat(MessageValidator.canonicalBase64("QUI=")).isEqualTo("QUI=".getBytes());
    assertThat(MessageValidator.canonicalBase64("")).isEmpty();
    assertThatThrownBy(() -> MessageValidator.canonicalBase64("QQ==QQ=="))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageValidator.canonicalBase64("Q==="))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MessageValidator.canonicalBase64("QUJD*"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ValidatedMessage.Part.of("a", "b", new byte[] {1, 2}, null).size()).isEqualTo(2);
  }

  @Provide
  Arbitrary<byte[]> anyBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(1000);
  }

  @Provide
  Arbitrary<String> whiteSpace() {
    return Arbitraries.of("", " ", "\r\n", "\t");
  }

  static Arbitrary<ValidatedMessage.Part> part() {
    Arbitrary<String> name =
        Arbitraries.of(
            "report.pdf", "Übersicht 2026.xlsx", "日本語.txt", "a b c.png", "x".repeat(120) + ".bin");
    Arbitrary<byte[]> content =
        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(5000);
    Arbitrary<String> cid = Arbitraries.of("logo@example.com", null);
    Arbitrary<String> type =
        Arbitraries.of("application/pdf", "image/png", "text/plain; charset=utf-8");
    return Combinators.combine(name, type, content, cid).as(ValidatedMessage.Part::of);
  }

  /**
   * The quoted-printable encoder against Jakarta Mail's decoder: any text (generated bodies and
   * arbitrary Unicode, control characters included) decodes to exactly its bytes; every line is at
   * most 76 octets and ends in CRLF; only printable ASCII and tab; no line ends in white space.
   */
  @Property(tries = 1000)
  void quotedPrintableDecodesToItsInputInShortPrintableLines(@ForAll("qpText") String text)
      throws Exception {
    byte[] input = MimeRenderer.crlfLines(text).getBytes(StandardCharsets.UTF_8);
    byte[] qp = MimeRenderer.quotedPrintable(input);
    try (InputStream in = MimeUtility.decode(new ByteArrayInputStream(qp), "quoted-printable")) {
      assertThat(in.readAllBytes()).isEqualTo(input);
    }
    String encoded = new String(qp, StandardCharsets.US_ASCII);
    for (byte b : qp) {
      assertThat(b == '\r' || b == '\n' || b == '\t' || (b >= 32 && b <= 126))
          .as("octet %d", b)
          .isTrue();
    }
    String[] lines = encoded.split("\r\n", -1);
    for (String line : lines) {
      assertThat(line.length()).isLessThanOrEqualTo(MimeRenderer.QP_LINE);
      assertThat(line).doesNotContain("\r").doesNotContain("\n");
      assertThat(line.endsWith(" ") || line.endsWith("\t")).as(line).isFalse();
    }
  }

  @Provide
  Arbitrary<String> qpText() {
    return Arbitraries.oneOf(
        bodies(),
        Arbitraries.strings().all().ofMaxLength(400),
        Arbitraries.strings().withChars(" \t=.\r\na\u00ff").ofMaxLength(300));
  }

  @Example
  void quotedPrintableExamples() {
    assertThat(qp("a=b \r\nx\t")).isEqualTo("a=3Db=20\r\nx=09");
    assertThat(qp("Grüße")).isEqualTo("Gr=C3=BC=C3=9Fe");
    assertThat(qp("x".repeat(80))).isEqualTo("x".repeat(75) + "=\r\n" + "x".repeat(5));
    // an escape is never split by a soft line break
    assertThat(qp("x".repeat(74) + "=")).isEqualTo("x".repeat(74) + "=\r\n=3D");
  }

  private static String qp(String s) {
    return new String(
        MimeRenderer.quotedPrintable(s.getBytes(StandardCharsets.UTF_8)),
        StandardCharsets.US_ASCII);
  }

  /**
   * Attachment base64 as clients write it (standard or URL-safe alphabet, MIME line breaks, spaces,
   * with or without padding) comes out as exactly the standard encoding of the same bytes; a
   * character outside the alphabet (non-ASCII included) is refused.
   */
  @Property(tries = 500)
  void canonicalBase64IsTheStandardEncodingOfTheSameBytes(
      @ForAll byte[] data, @ForAll boolean urlSafe, @ForAll boolean mime, @ForAll boolean pad) {
    String standard = Base64.getEncoder().encodeToString(data);
    String written =
        mime ? Base64.getMimeEncoder().encodeToString(data) : standard.replaceAll("(.{10})", "$1 ");
    if (urlSafe) {
      written = written.replace('+', '-').replace('/', '_');
    }
    if (!pad) {
      written = written.replace("=", "");
    }
    if (data.length == 0) {
      return;
    }
    assertThat(new String(MessageValidator.canonicalBase64(written), StandardCharsets.US_ASCII))
        .isEqualTo(standard);
    for (String foreign : List.of("é", "\u0100", "日", "*", "\u0000")) {
      String bad =
          written.substring(0, written.length() / 2)
              + foreign
              + written.substring(written.length() / 2);
      assertThatThrownBy(() -> MessageValidator.canonicalBase64(bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
