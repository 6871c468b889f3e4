package io.postwire.message;

import static io.postwire.message.MimeRendererTest.assertWireForm;
import static io.postwire.message.MimeRendererTest.decode;
import static io.postwire.message.MimeRendererTest.visible;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.dkim.DkimAlgorithm;
import io.postwire.dkim.DkimKeys;
import io.postwire.dkim.DkimSigner;
import io.postwire.dkim.JdkimVerifier;
import io.postwire.platform.ProblemMapper;
import io.postwire.platform.Refusal;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Raw messages as mail libraries write them (API.md, "Message content"): 8bit parts re-encoded,
 * bare LF made CRLF, Bcc removed, and header sections the DKIM canonicalizer would refuse refused
 * here, with 422, before anything is stored.
 */
class RawMessagesTest {

  private static DkimSigner signer;
  private static JdkimVerifier jdkim;

  @BeforeContainer
  static void keys() {
    KeyPair keys = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    signer = new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.com", "pw1", keys.getPrivate());
    jdkim =
        new JdkimVerifier(
            Map.of(
                "pw1._domainkey.example.com",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, keys.getPublic())));
  }

  private static RawMessages.Raw parse(String message) {
    return RawMessages.parse(
        message.getBytes(StandardCharsets.UTF_8), "example.com", Instant.now());
  }

  private static void assertSignsAndVerifies(byte[] bytes) throws Exception {
    byte[] signed = MimeRendererTest.concat(signer.sign(bytes, Instant.now()), bytes);
    assertThat(jdkim.accepts(signed)).as("jDKIM verifies the signature").isTrue();
  }

  /** What Python's email package writes by default: LF line ends, an 8bit UTF-8 text part. */
  @Example
  void reencodesAn8bitTextPartWithBareLfAsPythonWritesIt() throws Exception {
    String text = "Grüße aus Köln\nZeile zwei — 日本語\n";
    RawMessages.Raw raw =
        parse(
            "From: Alice <alice@example.com>\nTo: bob@example.org\nSubject: Hi\n"
                + "MIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\n"
                + "Content-Transfer-Encoding: 8bit\n\n"
                + text);
    assertWireForm(raw.bytes());
    String wire = new String(raw.bytes(), StandardCharsets.US_ASCII);
    assertThat(wire).contains("Content-Transfer-Encoding: quoted-printable\r\n");
    assertThat(wire).doesNotContain("Content-Transfer-Encoding: 8bit");
    assertThat(decode(raw.bytes()).text).isEqualTo(text.replace("\n", "\r\n"));
    assertSignsAndVerifies(raw.bytes());
  }

  @Example
  void reencodesEach8bitPartOfAMultipartAndKeepsTheRest() throws Exception {
    String message =
        String.join(
            "\n",
            "From: alice@example.com",
            "To: bob@example.org",
            "Subject: Report",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"XX\"",
            "",
            "preamble",
            "--XX",
            "Content-Type: multipart/alternative; boundary=YY",
            "",
            "--YY",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "Hallo Jürgen,",
            ".",
            "From the team",
            "--YY",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
            "<p>Hallo Jürgen</p>",
            "--YY--",
            "--XX",
            "Content-Type: application/octet-stream; name=a.bin",
            "Content-Disposition: attachment; filename=a.bin",
            "Content-Transfer-Encoding: base64",
            "",
            "AAECAwQ=",
            "--XX--",
            "");
    RawMessages.Raw raw = parse(message);
    assertWireForm(raw.bytes());
    MimeRendererTest.Decoded decoded = decode(raw.bytes());
    assertThat(visible(decoded.text)).isEqualTo(visible("Hallo Jürgen,\r\n.\r\nFrom the team"));
    assertThat(decoded.html).isEqualTo("<p>Hallo Jürgen</p>");
    assertThat(decoded.files).hasSize(1);
    assertThat(decoded.files.get(0).content()).containsExactly(0, 1, 2, 3, 4);
    assertSignsAndVerifies(raw.bytes());
  }

  @Example
  void keepsA7bitCrlfMessageByteForByteAndAddsMessageIdAndDate() {
    String message = "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: x\r\n\r\nbody\r\n";
    RawMessages.Raw raw = parse(message);
    String wire = new String(raw.bytes(), StandardCharsets.US_ASCII);
    assertThat(wire).startsWith("Message-ID: " + raw.messageId() + "\r\nDate: ");
    assertThat(wire).endsWith(message);
  }

  @Example
  void removesBccFields() {
    RawMessages.Raw raw =
        parse(
            "From: alice@example.com\nTo: bob@example.org\nBcc: secret@example.net,\n"
                + " other@example.net\nSubject: x\n\nbody\n");
    String wire = new String(raw.bytes(), StandardCharsets.US_ASCII);
    assertThat(wire).doesNotContainIgnoringCase("bcc").doesNotContain("secret");
    assertThat(wire).contains("To: bob@example.org\r\nSubject: x\r\n");
  }

  @Example
  void refusesWhatTheCanonicalizerWouldRefuse() {
    assertRefused("From: a@example.com\nnot a header line\n\nbody\n", "not a field");
    assertRefused(" folded: first\nFrom: a@example.com\n\nbody\n", "continuation line");
    assertRefused("\nFrom: a@example.com\n\nbody\n", "exactly one From");
    assertRefused("From: a@example.com\nSubject: Grüße\n\nbody\n", "must be ASCII");
    assertRefused("From: a@example.com\nX: a\u0001b\n\nbody\n", "must be ASCII");
    assertRefused("From: a@example.com\nX: " + "a".repeat(1000) + "\n\nbody\n", "998 octets");
  }

  @Example
  void refusesAHeaderFloodBeforeHoldingIt() {
    StringBuilder flood = new StringBuilder("From: a@example.com\n");
    flood.append("a:b\n".repeat(1_500_000));
    flood.append("\nbody\n");
    assertRefused(flood.toString(), "over 1000 header fields");
    String wide = "From: a@example.com\n" + ("X-Long: " + "v".repeat(900) + "\n").repeat(400);
    assertRefused(wide + "\nbody\n", "header over");
  }

  @Example
  void refusesAQuotedPrintablePartHolding8bitOctets() {
    assertRefused(
        "From: a@example.com\nContent-Transfer-Encoding: quoted-printable\n\nGrüße\n",
        "declared quoted-printable");
  }

  @Example
  void refusesBadBase64SayingSo() {
    assertThatThrownBy(() -> RawMessages.decode("not*base64"))
        .isInstanceOf(Refusal.class)
        .hasMessageContaining("base64");
  }

  private static void assertRefused(String message, String why) {
    assertThatThrownBy(() -> parse(message))
        .isInstanceOf(Refusal.class)
        .satisfies(
            e -> {
              Refusal api = (Refusal) e;
              assertThat(api.kind()).isEqualTo(Refusal.Kind.INVALID);
              assertThat(ProblemMapper.problem(api).status()).isEqualTo(422);
              assertThat(ProblemMapper.problem(api).toString()).contains(why);
            });
  }

  /** Any body, in an 8bit part with the line ends a library on any system writes. */
  @Property(tries = 200)
  void an8bitMessageDecodesToWhatWasWritten(
      @ForAll("bodies") String body, @ForAll("lineEnds") String eol, @ForAll boolean multipart)
      throws Exception {
    String text = body.replace("\r\n", "\n").replace('\r', '\n');
    String written = text.replace("\n", eol);
    String message;
    if (multipart) {
      message =
          String.join(
              eol,
              "From: alice@example.com",
              "MIME-Version: 1.0",
              "Content-Type: multipart/alternative; boundary=\"b1\"",
              "",
              "--b1",
              "Content-Type: text/plain; charset=utf-8",
              "Content-Transfer-Encoding: 8bit",
              "",
              written,
              "--b1--",
              "");
    } else {
      message =
          "From: alice@example.com"
              + eol
              + "Content-Type: text/plain; charset=utf-8"
              + eol
              + "Content-Transfer-Encoding: 8bit"
              + eol
              + eol
              + written;
    }
    RawMessages.Raw raw = parse(message);
    assertWireForm(raw.bytes());
    String expected = text.replace("\n", "\r\n");
    if (!multipart && !expected.isEmpty() && !expected.endsWith("\r\n")) {
      expected += "\r\n";
    }
    assertThat(visible(decode(raw.bytes()).text)).isEqualTo(visible(expected));
    if (!decode(raw.bytes()).text.isBlank()) {
      assertSignsAndVerifies(raw.bytes());
    }
  }

  @Provide
  Arbitrary<String> bodies() {
    return MimeRendererTest.bodies();
  }

  @Provide
  Arbitrary<String> lineEnds() {
    return Arbitraries.of("\n", "\r\n", "\r");
  }

  @Example
  void decodesMimeBase64WithLineBreaks() {
    String encoded =
        Base64.getMimeEncoder().encodeToString("From: a@example.com\n\nx\n".repeat(20).getBytes());
    assertThat(RawMessages.decode(encoded)).isNotEmpty();
  }
}
