package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dkim.DkimVerifier.Result;
import io.postwire.dkim.DkimVerifier.Verdict;
import io.postwire.dns.DnsTemporaryException;
import io.smallrye.mutiny.Uni;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.james.jdkim.DKIMSigner;

/**
 * The verifier against signatures made by our signer (relaxed, both algorithms) and by Apache
 * jDKIM's signer (rsa-sha256, simple and relaxed in every combination): generated messages verify,
 * any altered signed byte fails, and each way a signature or key can be unusable has its verdict.
 * Keys are handed over through a map: no DNS query is made.
 */
class DkimVerifierTest {

  static KeyPair rsa;
  static KeyPair ed;
  static DkimSigner rsaSigner;
  static DkimSigner edSigner;
  static final Map<String, String> records = new HashMap<>();
  static DkimVerifier verifier;

  @BeforeContainer
  static void keys() {
    rsa = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    ed = DkimKeys.generate(DkimAlgorithm.ED25519_SHA256);
    rsaSigner = new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.org", "rsa1", rsa.getPrivate());
    edSigner = new DkimSigner(DkimAlgorithm.ED25519_SHA256, "example.org", "ed1", ed.getPrivate());
    records.put(
        "rsa1._domainkey.example.org",
        DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, rsa.getPublic()));
    records.put(
        "ed1._domainkey.example.org",
        DkimKeys.dnsRecordValue(DkimAlgorithm.ED25519_SHA256, ed.getPublic()));
    verifier = verifierOver(records);
  }

  static DkimVerifier verifierOver(Map<String, String> keys) {
    return new DkimVerifier(
        name -> {
          if (name.startsWith("temp.")) {
            return Uni.createFrom().failure(new DnsTemporaryException("SERVFAIL"));
          }
          String record = keys.get(name);
          return Uni.createFrom().item(record == null ? List.of() : List.of(record));
        },
        Runnable::run);
  }

  static List<Verdict> verify(byte[] message) {
    return verify(verifier, message);
  }

  static List<Verdict> verify(DkimVerifier v, byte[] message) {
    return v.verify(message, Instant.now()).await().atMost(Duration.ofSeconds(30));
  }

  static List<Result> results(byte[] message) {
    return verify(message).stream().map(Verdict::result).toList();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** jDKIM's signer, an implementation that is not ours, with the given canonicalization. */
  static byte[] jdkimSigned(byte[] message, String canon) throws Exception {
    DKIMSigner signer =
        new DKIMSigner(
            "v=1; a=rsa-sha256; c="
                + canon
                + "; d=example.org; s=rsa1; h=from:to:subject:date:message-id; bh=; b=;",
            rsa.getPrivate());
    String field = signer.sign(new ByteArrayInputStream(message));
    if (!field.endsWith("\r\n")) {
      field += "\r\n";
    }
    return TestMessages.concat(field, message);
  }

  // ---- generated messages ----

  @Provide
  Arbitrary<byte[]> messages() {
    Arbitrary<String> word =
        Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(12);
    Arbitrary<String> space = Arbitraries.of(" ", "  ", "\t", " \t ");
    Arbitrary<String> phrase =
        Combinators.combine(word.list().ofMinSize(1).ofMaxSize(6), space)
            .as((ws, sp) -> String.join(sp, ws));
    Arbitrary<String> line =
        Arbitraries.oneOf(
            Arbitraries.just(""),
            phrase,
            Combinators.combine(phrase, space).as((p, s) -> s + p + s));
    Arbitrary<String> body =
        Combinators.combine(
                line.list().ofMaxSize(12),
                Arbitraries.integers().between(0, 3),
                Arbitraries.of(true, false))
            .as(
                (lines, trailingEmpty, finalCrlf) -> {
                  StringBuilder b = new StringBuilder(String.join("\r\n", lines));
                  if (finalCrlf && !lines.isEmpty()) {
                    b.append("\r\n");
                  }
                  b.append("\r\n".repeat(trailingEmpty));
                  return b.toString();
                });
    Arbitrary<String> subject =
        Combinators.combine(phrase, Arbitraries.of(true, false))
            .as((p, fold) -> fold ? "Subject: " + p + "\r\n\t" + p : "Subject:" + " " + p);
    return Combinators.combine(subject, phrase, body)
        .as(
            (subj, name, b) ->
                ascii(
                    "From: "
                        + name.replace("<", "").replace(">", "")
                        + " <alice@example.org>\r\n"
                        + "To: bob@example.net\r\n"
                        + subj
                        + "\r\n"
                        + "Date: Tue, 02 Jun 2026 10:00:00 +0000\r\n"
                        + "Message-ID: <gen@example.org>\r\n"
                        + "\r\n"
                        + b));
  }

  @Provide
  Arbitrary<String> canonicalizations() {
    return Arbitraries.of("simple/simple", "relaxed/relaxed", "simple/relaxed", "relaxed/simple");
  }

  @Property(tries = 60)
  void ourRsaSignatureOverAnyMessageVerifies(@ForAll("messages") byte[] message) {
    byte[] signed = TestMessages.concat(rsaSigner.sign(message, Instant.now()), message);
    assertThat(results(signed)).containsExactly(Result.PASS);
  }

  @Property(tries = 60)
  void ourEd25519SignatureOverAnyMessageVerifies(@ForAll("messages") byte[] message) {
    byte[] signed = TestMessages.concat(edSigner.sign(message, Instant.now()), message);
    assertThat(results(signed)).containsExactly(Result.PASS);
  }

  @Property(tries = 60)
  void anotherSignersSignatureVerifiesInEveryCanonicalization(
      @ForAll("messages") byte[] message, @ForAll("canonicalizations") String canon)
      throws Exception {
    Assume.that(jdkimCanonicalizes(message, canon));
    assertThat(results(jdkimSigned(message, canon))).containsExactly(Result.PASS);
  }

  /**
   * Any visible byte of a signed field's value or of the body changed to another visible byte
   * breaks the signature, in every canonicalization (neither removes a visible byte).
   */
  @Property(tries = 150)
  void anyAlteredSignedByteFails(
      @ForAll("messages") byte[] message,
      @ForAll("canonicalizations") String canon,
      @ForAll boolean ours,
      @ForAll boolean ed25519,
      @ForAll int seed)
      throws Exception {
    byte[] signed;
    if (ours) {
      signed =
          TestMessages.concat(
              (ed25519 ? edSigner : rsaSigner).sign(message, Instant.now()), message);
    } else {
      Assume.that(jdkimCanonicalizes(message, canon));
      signed = jdkimSigned(message, canon);
    }
    assertThat(results(signed)).containsExactly(Result.PASS);
    int offset = signed.length - message.length;
    List<Integer> alterable = alterable(message);
    int at = offset + alterable.get(Math.floorMod(seed, alterable.size()));
    byte[] altered = signed.clone();
    altered[at] = (byte) (altered[at] == 'x' ? 'y' : 'x');
    assertThat(results(altered)).containsExactly(Result.FAIL);
  }

  /**
   * Where jDKIM's canonicalization is known to differ from RFC 6376 §3.4.4 it cannot be the
   * reference: it hashes an empty relaxed body as CRLF (errata 1376, OpenDKIM and dkimpy hash it as
   * nothing, as we do), and keeps trailing WSP on a last line without CRLF. Mail over SMTP always
   * ends in CRLF; dkimpy checks both cases in the peers tier.
   */
  static boolean jdkimCanonicalizes(byte[] m, String canon) {
    int bodyStart = RelaxedCanonicalizer.parseHeader(m).bodyStart();
    boolean endsInCrlf = m.length - bodyStart >= 2 && m[m.length - 1] == '\n';
    boolean empty = m.length == bodyStart;
    return (empty || endsInCrlf) && (!canon.endsWith("/relaxed") || !blankBody(m));
  }

  static boolean blankBody(byte[] m) {
    for (int i = RelaxedCanonicalizer.parseHeader(m).bodyStart(); i < m.length; i++) {
      if (m[i] > ' ') {
        return false;
      }
    }
    return true;
  }

  /** Visible bytes in signed field values (From, To, Subject, Date, Message-ID) and the body. */
  static List<Integer> alterable(byte[] m) {
    List<Integer> positions = new ArrayList<>();
    RelaxedCanonicalizer.Header header = RelaxedCanonicalizer.parseHeader(m);
    for (RelaxedCanonicalizer.Field f : header.fields()) {
      for (int i = f.colon() + 1; i < f.end(); i++) {
        if (m[i] > ' ' && m[i] < 127) {
          positions.add(i);
        }
      }
    }
    for (int i = header.bodyStart(); i < m.length; i++) {
      if (m[i] > ' ' && m[i] < 127) {
        positions.add(i);
      }
    }
    return positions;
  }

  // ---- each verdict ----

  @Example
  void everyShapeVerifiesWithBothAlgorithms() {
    for (Map.Entry<String, byte[]> shape : TestMessages.shapes().entrySet()) {
      byte[] m = shape.getValue();
      Instant now = Instant.now();
      byte[] signed = TestMessages.concat(edSigner.sign(m, now) + rsaSigner.sign(m, now), m);
      List<Verdict> verdicts = verify(signed);
      assertThat(verdicts)
          .as(shape.getKey())
          .extracting(Verdict::result)
          .containsExactly(Result.PASS, Result.PASS);
      assertThat(verdicts)
          .extracting(Verdict::algorithm)
          .containsExactly("ed25519-sha256", "rsa-sha256");
      assertThat(verdicts).extracting(Verdict::selector).containsExactly("ed1", "rsa1");
      assertThat(verdicts)
          .extracting(Verdict::domain)
          .containsExactly("example.org", "example.org");
    }
  }

  @Example
  void anUnsignedMessageHasNoVerdicts() {
    assertThat(verify(TestMessages.simple())).isEmpty();
  }

  @Example
  void aSignatureCheckedWithAnotherKeyFails() {
    byte[] m = TestMessages.simple();
    byte[] signed = TestMessages.concat(rsaSigner.sign(m, Instant.now()), m);
    KeyPair other = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    DkimVerifier broken =
        verifierOver(
            Map.of(
                "rsa1._domainkey.example.org",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, other.getPublic())));
    List<Verdict> verdicts = verify(broken, signed);
    assertThat(verdicts).extracting(Verdict::result).containsExactly(Result.FAIL);
    assertThat(verdicts.get(0).reason()).isEqualTo("signature did not verify");
  }

  @Example
  void keyProblemsArePermanentAndDnsFailuresTemporary() {
    byte[] m = TestMessages.simple();
    String sig = rsaSigner.sign(m, Instant.now());
    byte[] missing = TestMessages.concat(sig.replace("s=rsa1", "s=nokey"), m);
    assertThat(results(missing)).containsExactly(Result.PERMERROR);
    byte[] temporary = TestMessages.concat(sig.replace("s=rsa1", "s=temp"), m);
    assertThat(results(temporary)).containsExactly(Result.TEMPERROR);
    DkimVerifier revoked =
        verifierOver(Map.of("rsa1._domainkey.example.org", "v=DKIM1; k=rsa; p="));
    assertThat(verify(revoked, TestMessages.concat(sig, m)))
        .extracting(Verdict::result)
        .containsExactly(Result.PERMERROR);
    DkimVerifier wrongType =
        verifierOver(
            Map.of(
                "rsa1._domainkey.example.org",
                DkimKeys.dnsRecordValue(DkimAlgorithm.ED25519_SHA256, ed.getPublic())));
    assertThat(verify(wrongType, TestMessages.concat(sig, m)))
        .extracting(Verdict::result)
        .containsExactly(Result.PERMERROR);
  }

  @Example
  void unusableSignaturesArePermanentErrors() {
    byte[] m = TestMessages.simple();
    String sig = rsaSigner.sign(m, Instant.now());
    assertThat(results(TestMessages.concat(sig.replace("a=rsa-sha256", "a=rsa-sha1"), m)))
        .containsExactly(Result.PERMERROR);
    assertThat(results(TestMessages.concat(sig.replace("v=1;", ""), m)))
        .containsExactly(Result.PERMERROR);
    assertThat(results(TestMessages.concat(sig.replace("v=1;", "v=1; v=1;"), m)))
        .containsExactly(Result.PERMERROR);
    assertThat(
            results(
                TestMessages.concat(
                    sig.replace("d=example.org", "d=example.org; i=@other.example"), m)))
        .containsExactly(Result.PERMERROR);
    assertThat(results(TestMessages.concat(sig.replace("v=1;", "v=1; x=1000;"), m)))
        .containsExactly(Result.PERMERROR);
  }

  @Example
  void onlyTheFirstFiveSignaturesAreEvaluatedAndOneVerdictStandsForTheRest() {
    byte[] m = TestMessages.simple();
    StringBuilder fields = new StringBuilder();
    for (int i = 0; i < 7; i++) {
      fields.append(rsaSigner.sign(m, Instant.now()));
    }
    List<Verdict> verdicts = verify(TestMessages.concat(fields.toString(), m));
    assertThat(verdicts)
        .extracting(Verdict::result)
        .containsExactly(
            Result.PASS, Result.PASS, Result.PASS, Result.PASS, Result.PASS, Result.NEUTRAL);
    assertThat(verdicts.get(5).domain()).isEqualTo("example.org");
    assertThat(verdicts.get(5).reason())
        .isEqualTo("not evaluated: 2 signature(s) after the first 5");
  }

  /** l= is not honoured: content appended after the signed length makes the signature fail. */
  @Example
  void aBodyLengthLimitDoesNotLetAppendedContentPass() {
    byte[] m = TestMessages.simple();
    // The relaxed body "Hi Bob.\r\n\r\nAlice.\r\n" is 19 octets: l= covers all of it.
    String sig =
        rsaSigner.signWithTags(
            m,
            List.of(
                new DkimSigner.Tag("v", "1"),
                new DkimSigner.Tag("a", "rsa-sha256"),
                new DkimSigner.Tag("c", "relaxed/relaxed"),
                new DkimSigner.Tag("d", "example.org"),
                new DkimSigner.Tag("s", "rsa1"),
                new DkimSigner.Tag("l", "19"),
                new DkimSigner.Tag("h", "from:to:subject"),
                new DkimSigner.Tag("bh", null)));
    assertThat(results(TestMessages.concat(sig, m))).containsExactly(Result.PASS);
    byte[] appended =
        TestMessages.concat(sig, ascii(new String(m, StandardCharsets.US_ASCII) + "Buy now!\r\n"));
    assertThat(results(appended)).containsExactly(Result.FAIL);
  }

  @Example
  void simpleHeaderCanonicalizationNoticesRefoldingThatRelaxedForgives() throws Exception {
    byte[] m = TestMessages.simple();
    byte[] simple = jdkimSigned(m, "simple/simple");
    byte[] relaxed = jdkimSigned(m, "relaxed/relaxed");
    String respace = "Subject:  Hello";
    assertThat(
            results(
                ascii(
                    new String(simple, StandardCharsets.ISO_8859_1)
                        .replace("Subject: Hello", respace))))
        .containsExactly(Result.FAIL);
    assertThat(
            results(
                ascii(
                    new String(relaxed, StandardCharsets.ISO_8859_1)
                        .replace("Subject: Hello", respace))))
        .containsExactly(Result.PASS);
  }

  @Example
  void aSignatureValueOfTheWrongLengthFails() {
    byte[] m = TestMessages.simple();
    String sig = rsaSigner.sign(m, Instant.now());
    String b = sig.substring(sig.indexOf(" b=") + 3).replaceAll("\\s", "");
    String shortened =
        sig.substring(0, sig.indexOf(" b=") + 3)
            + Base64.getEncoder().encodeToString(new byte[8])
            + "\r\n";
    assertThat(b).isNotEmpty();
    assertThat(results(TestMessages.concat(shortened, m))).containsExactly(Result.FAIL);
  }

  @Example
  void anRsaKeyUnder1024BitsIsRefused() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(512);
    KeyPair weak = g.generateKeyPair();
    DKIMSigner signer =
        new DKIMSigner(
            "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=weak; h=from:to:subject; bh=; b=;",
            weak.getPrivate());
    byte[] m = TestMessages.simple();
    String field = signer.sign(new ByteArrayInputStream(m));
    DkimVerifier v =
        verifierOver(
            Map.of(
                "weak._domainkey.example.org",
                "v=DKIM1; k=rsa; p="
                    + Base64.getEncoder().encodeToString(weak.getPublic().getEncoded())));
    assertThat(verify(v, TestMessages.concat(field.endsWith("\r\n") ? field : field + "\r\n", m)))
        .extracting(Verdict::result)
        .containsExactly(Result.PERMERROR);
  }
}
