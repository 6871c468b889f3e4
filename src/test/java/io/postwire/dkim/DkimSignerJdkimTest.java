package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * rsa-sha256 signatures (RFC 6376 §3.3.1, relaxed/relaxed §3.4.2 and §3.4.4) checked by Apache
 * jDKIM. jDKIM 0.5 knows no ed25519-sha256; those are checked against the RFC 8463 example and by
 * dkimpy in the peers tier.
 */
class DkimSignerJdkimTest {

  static KeyPair keys;
  static DkimSigner signer;
  static JdkimVerifier jdkim;

  @BeforeAll
  static void setUp() {
    keys = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    signer = new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.org", "pw1", keys.getPrivate());
    jdkim =
        new JdkimVerifier(
            Map.of(
                "pw1._domainkey.example.org",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, keys.getPublic())));
  }

  static Stream<Arguments> shapes() {
    return TestMessages.shapes().entrySet().stream()
        .filter(
            e -> !e.getKey().startsWith("empty body") && !e.getKey().startsWith("body of empty"))
        .map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void jdkimVerifiesEveryMessageShapeRfc6376Section3_4(String shape, byte[] message)
      throws Exception {
    byte[] signed = TestMessages.concat(signer.sign(message, Instant.now()), message);
    assertThat(jdkim.verify(signed)).hasSize(1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void tamperedBodyFailsVerificationRfc6376Section3_7(String shape, byte[] message)
      throws Exception {
    byte[] signed = TestMessages.concat(signer.sign(message, Instant.now()), message);
    byte[] tampered = TestMessages.concat("", signed);
    // Append a non-empty line: that changes the canonical body whatever it was.
    byte[] extra = "tampered\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] longer = Arrays.copyOf(tampered, tampered.length + extra.length);
    System.arraycopy(extra, 0, longer, tampered.length, extra.length);
    assertThat(jdkim.accepts(longer)).isFalse();
  }

  @Test
  void tamperedSubjectFailsVerification() throws Exception {
    byte[] message = TestMessages.simple();
    String signed = signer.sign(message, Instant.now()) + new String(message, "US-ASCII");
    assertThat(jdkim.accepts(signed.getBytes(StandardCharsets.US_ASCII))).isTrue();
    String tampered = signed.replace("Subject: Hello", "Subject: Hellp");
    assertThat(jdkim.accepts(tampered.getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  @Test
  void addedFromOrSubjectFailsVerificationBecauseTheyAreOverSignedRfc6376Section8_15()
      throws Exception {
    byte[] message = TestMessages.simple();
    String signed = signer.sign(message, Instant.now()) + new String(message, "US-ASCII");
    String extraSubject =
        signed.replace("Subject: Hello\r\n", "Subject: Hello\r\nSubject: Buy\r\n");
    String extraFrom = signed.replace("MIME-Version", "From: evil@example.com\r\nMIME-Version");
    assertThat(jdkim.accepts(extraSubject.getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(jdkim.accepts(extraFrom.getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  /**
   * A replayed copy may not gain a Reply-To, Sender, Cc, a second Content-Type or a
   * Content-Transfer-Encoding (RFC 6376 §8.15): each would change what the reader sees or how the
   * body is read, so each is signed once more than it occurs.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "Reply-To: evil@example.com",
        "Sender: evil@example.com",
        "Cc: evil@example.com",
        "Content-Type: text/html",
        "Content-Transfer-Encoding: base64",
        "MIME-Version: 1.0",
        "List-Unsubscribe: <https://evil.example/u>"
      })
  void addedReaderOrMimeFieldsFailVerification(String added) throws Exception {
    byte[] message = TestMessages.simple();
    String signed = signer.sign(message, Instant.now()) + new String(message, "US-ASCII");
    assertThat(jdkim.accepts(signed.getBytes(StandardCharsets.US_ASCII))).isTrue();
    String replayed = signed.replace("Subject: Hello\r\n", added + "\r\nSubject: Hello\r\n");
    assertThat(jdkim.accepts(replayed.getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  @Test
  void signsNineHundredRepeatedFields() throws Exception {
    // jDKIM reads at most 1000 header fields; a raw message may have as many
    StringBuilder m = new StringBuilder();
    for (int i = 0; i < 900; i++) {
      m.append("Cc: c").append(i).append("@example.net\r\n");
    }
    byte[] message = TestMessages.concat(m.toString(), TestMessages.simple());
    byte[] signed = TestMessages.concat(signer.sign(message, Instant.now()), message);
    assertThat(jdkim.accepts(signed)).isTrue();
  }

  @Test
  void relaxedCanonicalizationToleratesRefoldingAndWhitespaceChangesRfc6376Section3_4_2()
      throws Exception {
    byte[] message = TestMessages.simple();
    String signed = signer.sign(message, Instant.now()) + new String(message, "US-ASCII");
    String refolded =
        signed.replace("Subject: Hello", "Subject:    Hello  ").replace("Hi Bob.", "Hi    Bob.   ");
    assertThat(jdkim.accepts(refolded.getBytes(StandardCharsets.US_ASCII))).isTrue();
  }

  @Test
  void dualSignedMessageVerifiesWithBothHeadersPrepended() throws Exception {
    KeyPair second = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    DkimSigner other =
        new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.org", "pw2", second.getPrivate());
    byte[] message = TestMessages.simple();
    Instant now = Instant.now();
    String both = signer.sign(message, now) + other.sign(message, now);
    JdkimVerifier verifier =
        new JdkimVerifier(
            Map.of(
                "pw1._domainkey.example.org",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, keys.getPublic()),
                "pw2._domainkey.example.org",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, second.getPublic())));
    assertThat(verifier.verify(TestMessages.concat(both, message))).hasSize(2);
  }

  @Test
  void anExistingDkimSignatureIsLeftAloneAndNotSignedRfc6376Section5_4() throws Exception {
    byte[] message = TestMessages.simple();
    Instant now = Instant.now();
    String first = signer.sign(message, now);
    byte[] inner = TestMessages.concat(first, message);
    // RSASSA-PKCS1-v1_5 is deterministic: the same field means the existing one was not hashed.
    assertThat(signer.sign(inner, now)).isEqualTo(first);

    KeyPair second = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    DkimSigner other =
        new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.org", "pw2", second.getPrivate());
    byte[] signed = TestMessages.concat(other.sign(inner, now), inner);
    JdkimVerifier verifier =
        new JdkimVerifier(
            Map.of(
                "pw1._domainkey.example.org",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, keys.getPublic()),
                "pw2._domainkey.example.org",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, second.getPublic())));
    assertThat(verifier.verify(signed)).as(() -> verifier.lastResults).hasSize(2);
  }

  /**
   * RFC 6376 §3.4.4 adds a CRLF only to a non-empty body, so a relaxed empty body hashes as the
   * empty string (RFC 4871 errata 1376 made this explicit; OpenDKIM and dkimpy agree, and dkimpy
   * verifies it in the peers tier). jDKIM 0.5 still hashes a lone CRLF, so it must report exactly a
   * body-hash mismatch here.
   */
  @ParameterizedTest
  @ValueSource(strings = {"", "\r\n", "\r\n \t\r\n\r\n"})
  void emptyBodyHashesTheEmptyStringRfc6376Section3_4_4(String body) throws Exception {
    byte[] message =
        ("From: a@example.org\r\nTo: b@example.net\r\nSubject: empty\r\n\r\n" + body)
            .getBytes(StandardCharsets.US_ASCII);
    String field = signer.sign(message, Instant.now());
    String emptySha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    assertThat(field.replace("\r\n ", "")).contains("bh=" + emptySha256 + ";");
    try {
      jdkim.verify(TestMessages.concat(field, message));
      Assertions.fail("jDKIM 0.5 was expected to hash a CRLF");
    } catch (PermFailException e) {
      assertThat(e.getMessage()).contains("bodyhash");
    }
  }

  @Test
  void whitespaceBeforeTheColonIsRemovedRfc6376Section3_4_2() throws Exception {
    // Obsolete syntax (RFC 5322 §4.5.3) that dkimpy refuses to parse; jDKIM accepts it.
    byte[] message =
        TestMessages.crlf(
            "From : a@example.org",
            "Subject\t:  obs",
            "Date : Tue, 02 Jun 2026 10:00:00 +0000",
            "",
            "x");
    assertThat(jdkim.verify(TestMessages.concat(signer.sign(message, Instant.now()), message)))
        .hasSize(1);
  }
}
