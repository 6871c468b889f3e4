package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The DKIM-Signature field the signer writes (RFC 6376 §3.5) and how it fails. */
class DkimSignerTest {

  static KeyPair rsa;
  static KeyPair ed;
  static DkimSigner rsaSigner;
  static DkimSigner edSigner;

  @BeforeAll
  static void keys() {
    rsa = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    ed = DkimKeys.generate(DkimAlgorithm.ED25519_SHA256);
    rsaSigner = new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.org", "s1", rsa.getPrivate());
    edSigner = new DkimSigner(DkimAlgorithm.ED25519_SHA256, "example.org", "s2", ed.getPrivate());
  }

  static String tag(String field, String name) {
    String unfolded = field.replace("\r\n ", " ").replace("\r\n", "");
    for (String part : unfolded.substring(unfolded.indexOf(':') + 1).split(";")) {
      String p = part.strip();
      if (p.startsWith(name + "=")) {
        return p.substring(name.length() + 1).replace(" ", "");
      }
    }
    return null;
  }

  @Test
  void writesTheRelaxedRelaxedTagsRfc6376Section3_5() {
    String field = rsaSigner.sign(TestMessages.simple(), Instant.ofEpochSecond(1_780_000_000));
    assertThat(field).startsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;");
    assertThat(tag(field, "d")).isEqualTo("example.org");
    assertThat(tag(field, "s")).isEqualTo("s1");
    assertThat(tag(field, "t")).isEqualTo("1780000000");
    assertThat(tag(field, "l")).isNull();
    assertThat(tag(field, "x")).isNull();
    assertThat(tag(field, "bh")).hasSize(44);
    assertThat(tag(field, "b")).hasSize(344);
  }

  @Test
  void signsPresentHeadersAndOverSignsTheIdentityOnesRfc6376Section5_4_2() {
    String field = rsaSigner.sign(TestMessages.simple(), Instant.now());
    assertThat(tag(field, "h"))
        .isEqualTo(
            "from:from:sender:reply-to:to:to:cc:subject:subject:date:date:message-id"
                + ":message-id:mime-version:mime-version:content-type:content-type"
                + ":content-transfer-encoding:list-unsubscribe:list-unsubscribe-post");
  }

  @Test
  void signsRepeatedHeadersAsOftenAsTheyOccurAndAbsentIdentityOnesOnce() {
    byte[] m =
        TestMessages.crlf(
            "From: a@example.org", "To: b@example.net", "TO: c@example.net", "Cc: d", "", "x");
    assertThat(tag(rsaSigner.sign(m, Instant.now()), "h"))
        .isEqualTo(
            "from:from:sender:reply-to:to:to:to:cc:cc:subject:date:message-id:mime-version"
                + ":content-type:content-transfer-encoding:list-unsubscribe:list-unsubscribe-post");
  }

  @ParameterizedTest
  @EnumSource(DkimAlgorithm.class)
  void foldsLinesToAtMost78CharactersAndEndsWithCrlfRfc5322Section2_1_1(DkimAlgorithm alg) {
    DkimSigner signer = alg == DkimAlgorithm.RSA_SHA256 ? rsaSigner : edSigner;
    for (byte[] message : TestMessages.shapes().values()) {
      String field = signer.sign(message, Instant.now());
      assertThat(field).endsWith("\r\n").doesNotContain("\r\n\r\n");
      String[] lines = field.substring(0, field.length() - 2).split("\r\n", -1);
      for (int i = 0; i < lines.length; i++) {
        assertThat(lines[i].length()).as(lines[i]).isLessThanOrEqualTo(78);
        if (i > 0) {
          assertThat(lines[i]).startsWith(" ").isNotBlank();
        }
      }
    }
  }

  @Test
  void ed25519SignaturesAre64BytesRfc8463Section3() {
    String field = edSigner.sign(TestMessages.simple(), Instant.now());
    assertThat(field).contains("a=ed25519-sha256;");
    assertThat(Base64.getDecoder().decode(tag(field, "b"))).hasSize(64);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "To: b@example.net\r\nSubject: none\r\n\r\nx\r\n",
        "From: a@example.org\r\nFrom: c@example.org\r\n\r\nx\r\n"
      })
  void refusesAMessageWithoutExactlyOneFromRfc6376Section5_4(String message) {
    assertThatThrownBy(
            () -> rsaSigner.sign(message.getBytes(StandardCharsets.US_ASCII), Instant.now()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exactly one From");
  }

  @Test
  void refusesAKeyOfTheOtherAlgorithm() {
    assertThatThrownBy(
            () -> new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.org", "s1", ed.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot sign rsa-sha256");
    assertThatThrownBy(
            () ->
                new DkimSigner(DkimAlgorithm.ED25519_SHA256, "example.org", "s1", rsa.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot sign ed25519-sha256");
  }

  @Test
  void refusesRsaKeysBelow1024BitsRfc8301Section3_2() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(512);
    KeyPair weak = g.generateKeyPair();
    assertThatThrownBy(
            () -> new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.org", "s1", weak.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("512 bits");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "exa mple.org", "example.org;x=1", "-bad.example", "a..b"})
  void refusesDomainsThatAreNotDnsNames(String domain) {
    assertThatThrownBy(
            () -> new DkimSigner(DkimAlgorithm.ED25519_SHA256, domain, "s1", ed.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("domain");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "s 1", "s1;", "s=1"})
  void refusesSelectorsThatCouldInjectTags(String selector) {
    assertThatThrownBy(
            () ->
                new DkimSigner(
                    DkimAlgorithm.ED25519_SHA256, "example.org", selector, ed.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("selector");
  }

  @Test
  void namesTheProviderThatServesEachAlgorithm() {
    assertThat(edSigner.providerName()).isEqualTo("BC");
    assertThat(rsaSigner.providerName()).isIn("AmazonCorrettoCryptoProvider", "SunRsaSign");
  }

  @Test
  void signsConcurrentlyFromManyThreadsAndEverySignatureVerifies() throws Exception {
    JdkimVerifier jdkim =
        new JdkimVerifier(
            Map.of(
                "s1._domainkey.example.org",
                DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, rsa.getPublic())));
    List<byte[]> messages = new ArrayList<>(TestMessages.shapes().values());
    messages.removeIf(m -> new String(m, StandardCharsets.US_ASCII).endsWith("\r\n\r\n"));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> signed = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        byte[] m = messages.get(i % messages.size());
        signed.add(pool.submit(() -> TestMessages.concat(rsaSigner.sign(m, Instant.now()), m)));
      }
      for (Future<byte[]> f : signed) {
        assertThat(jdkim.accepts(f.get(30, TimeUnit.SECONDS))).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
