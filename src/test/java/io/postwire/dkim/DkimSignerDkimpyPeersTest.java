package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.testing.PeerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both algorithms verified by dkimpy (Debian's python3-dkim, with python3-nacl for Ed25519). The
 * key records are handed to it through {@code dnsfunc}: no DNS query is made. A missing
 * python3-dkim fails these tests.
 */
@Tag("peers")
class DkimSignerDkimpyPeersTest {

  static final Path PYTHON = Path.of("/usr/bin/python3");

  /** Verifies every DKIM-Signature of the message on stdin; prints one PASS/FAIL per signature. */
  static final String VERIFY =
      String.join(
          "\n",
          "import sys, dkim",
          "records = dict(a.split('=', 1) for a in sys.argv[1:])",
          "def dnsfunc(name, timeout=5):",
          "    n = name.decode() if isinstance(name, bytes) else name",
          "    return records.get(n.rstrip('.'), '').encode()",
          "msg = sys.stdin.buffer.read()",
          "d = dkim.DKIM(msg)",
          "count = sum(1 for k, v in d.headers if k.lower() == b'dkim-signature')",
          "for i in range(count):",
          "    try:",
          "        ok = d.verify(idx=i, dnsfunc=dnsfunc)",
          "    except dkim.ValidationError as e:",
          "        ok = False",
          "        print('# ' + str(e))",
          "    print('PASS' if ok else 'FAIL')",
          "");

  static KeyPair rsa;
  static KeyPair ed;
  static DkimSigner rsaSigner;
  static DkimSigner edSigner;
  static Map<String, String> records;

  @BeforeAll
  static void setUp() {
    rsa = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    ed = DkimKeys.generate(DkimAlgorithm.ED25519_SHA256);
    rsaSigner = new DkimSigner(DkimAlgorithm.RSA_SHA256, "example.org", "rsa1", rsa.getPrivate());
    edSigner = new DkimSigner(DkimAlgorithm.ED25519_SHA256, "example.org", "ed1", ed.getPrivate());
    records =
        Map.of(
            "rsa1._domainkey.example.org",
            DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, rsa.getPublic()),
            "ed1._domainkey.example.org",
            DkimKeys.dnsRecordValue(DkimAlgorithm.ED25519_SHA256, ed.getPublic()),
            "brisbane._domainkey.football.example.com",
            "v=DKIM1; k=ed25519; p=" + DkimSignerRfc8463Test.PUBLIC);
  }

  /** dkimpy's verdict on each DKIM-Signature of {@code message}, top to bottom. */
  static List<String> dkimpy(byte[] message) throws Exception {
    assertThat(Files.isExecutable(PYTHON))
        .as("/usr/bin/python3 is required (Debian packages python3, python3-dkim, python3-nacl)")
        .isTrue();
    List<String> cmd =
        Stream.concat(
                Stream.of(PYTHON.toString(), "-c", VERIFY),
                records.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()))
            .collect(Collectors.toList());
    PeerProcess.Result result =
        PeerProcess.run("dkimpy", cmd, Map.of(), message, Duration.ofSeconds(60));
    assertThat(result.exitCode())
        .as(
            "dkimpy failed (is Debian's python3-dkim installed?):\n%s%s",
            result.stdout(), result.stderr())
        .isZero();
    return result.stdout().lines().filter(l -> !l.startsWith("# ")).collect(Collectors.toList());
  }

  static Stream<Arguments> shapesAndSigners() {
    return TestMessages.shapes().entrySet().stream()
        .flatMap(
            e ->
                Stream.of(
                    Arguments.of("rsa-sha256", e.getKey(), e.getValue()),
                    Arguments.of("ed25519-sha256", e.getKey(), e.getValue())));
  }

  static DkimSigner signer(String alg) {
    return alg.equals("rsa-sha256") ? rsaSigner : edSigner;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("shapesAndSigners")
  void dkimpyVerifiesEveryShapeIncludingEmptyBodies(String alg, String shape, byte[] message)
      throws Exception {
    byte[] signed = TestMessages.concat(signer(alg).sign(message, Instant.now()), message);
    assertThat(dkimpy(signed)).containsExactly("PASS");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("shapesAndSigners")
  void dkimpyRejectsATamperedBody(String alg, String shape, byte[] message) throws Exception {
    String signed =
        signer(alg).sign(message, Instant.now()) + new String(message, StandardCharsets.US_ASCII);
    assertThat(dkimpy(signed.getBytes(StandardCharsets.US_ASCII))).containsExactly("PASS");
    byte[] tampered = (signed + "tampered\r\n").getBytes(StandardCharsets.US_ASCII);
    assertThat(dkimpy(tampered)).containsExactly("FAIL");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"rsa-sha256", "ed25519-sha256"})
  void dkimpyRejectsATamperedHeader(String alg) throws Exception {
    byte[] message = TestMessages.simple();
    String signed =
        signer(alg).sign(message, Instant.now()) + new String(message, StandardCharsets.US_ASCII);
    assertThat(dkimpy(signed.getBytes(StandardCharsets.US_ASCII))).containsExactly("PASS");
    String tampered = signed.replace("To: Bob <bob@example.net>", "To: Eve <eve@example.net>");
    assertThat(dkimpy(tampered.getBytes(StandardCharsets.US_ASCII))).containsExactly("FAIL");
  }

  @Test
  void dkimpyVerifiesADualSignedMessage() throws Exception {
    byte[] message = TestMessages.simple();
    Instant now = Instant.now();
    String both = edSigner.sign(message, now) + rsaSigner.sign(message, now);
    assertThat(dkimpy(TestMessages.concat(both, message))).containsExactly("PASS", "PASS");
  }

  @Test
  void dkimpyVerifiesOurRfc8463AppendixA3Signature() throws Exception {
    DkimSigner signer =
        new DkimSigner(
            DkimAlgorithm.ED25519_SHA256,
            "football.example.com",
            "brisbane",
            DkimSignerRfc8463Test.rfcKey());
    // t= long past is fine: the example has no x= (expiry).
    String field =
        signer.signWithTags(
            DkimSignerRfc8463Test.MESSAGE,
            List.of(
                new DkimSigner.Tag("v", "1"),
                new DkimSigner.Tag("a", "ed25519-sha256"),
                new DkimSigner.Tag("c", "relaxed/relaxed"),
                new DkimSigner.Tag("d", "football.example.com"),
                new DkimSigner.Tag("i", "@football.example.com"),
                new DkimSigner.Tag("q", "dns/txt"),
                new DkimSigner.Tag("s", "brisbane"),
                new DkimSigner.Tag("t", "1528637909"),
                new DkimSigner.Tag(
                    "h", "from : to : subject : date : message-id : from : subject : date"),
                new DkimSigner.Tag("bh", null)));
    assertThat(dkimpy(TestMessages.concat(field, DkimSignerRfc8463Test.MESSAGE)))
        .containsExactly("PASS");
  }
}
