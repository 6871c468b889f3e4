package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.dkim.DkimVerifier.Result;
import io.postwire.testing.PeerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Messages signed by dkimpy (Debian's python3-dkim), an implementation that is not ours, with both
 * algorithms and every combination of simple and relaxed canonicalization, then verified by dkimpy
 * itself and by {@link DkimVerifier}: the verdicts must agree, for the message as signed and for
 * altered copies (a line appended to the body, a changed From, a re-spaced Subject, which only
 * simple header canonicalization notices). Key records are handed to both through maps: no DNS
 * query is made. A missing python3-dkim fails these tests.
 */
@Tag("peers")
class DkimVerifierDkimpyPeersTest {

  /**
   * Signs stdin with dkimpy, then prints, for the signed message and each altered copy, the copy in
   * base64 and dkimpy's verdict on it.
   */
  static final String SIGN_AND_VERIFY =
      String.join(
          "\n",
          "import sys, base64, re, dkim",
          "alg, hc, bc, sel, dom, keyfile = sys.argv[1:7]",
          "records = dict(a.split('=', 1) for a in sys.argv[7:])",
          "def dnsfunc(name, timeout=5):",
          "    n = name.decode() if isinstance(name, bytes) else name",
          "    return records.get(n.rstrip('.'), '').encode()",
          "msg = sys.stdin.buffer.read()",
          "key = open(keyfile, 'rb').read()",
          "sig = dkim.sign(msg, sel.encode(), dom.encode(), key,",
          "    canonicalize=(hc.encode(), bc.encode()), signature_algorithm=alg.encode(),",
          "    include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])",
          "copies = [msg, msg + b'tampered\\r\\n', re.sub(rb'(?im)^(from:[ \\t]*)', rb'\\1X', msg, count=1),",
          "    msg.replace(b'Subject: ', b'Subject:  ', 1)]",
          "for c in copies:",
          "    m = sig + c",
          "    try:",
          "        ok = dkim.verify(m, dnsfunc=dnsfunc)",
          "    except dkim.ValidationError as e:",
          "        ok = False",
          "    print(base64.b64encode(m).decode(), 'PASS' if ok else 'FAIL')",
          "");

  static KeyPair rsa;
  static KeyPair ed;
  static Path rsaKey;
  static Path edKey;
  static Map<String, String> records;

  @BeforeAll
  static void setUp() throws Exception {
    rsa = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    ed = DkimKeys.generate(DkimAlgorithm.ED25519_SHA256);
    rsaKey = Files.createTempFile("dkimpy-rsa", ".pem");
    Files.writeString(
        rsaKey,
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(rsa.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n");
    // dkimpy takes an Ed25519 key as the base64 of its 32-byte seed (RFC 8032 §5.1.5).
    byte[] seed =
        ASN1OctetString.getInstance(
                PrivateKeyInfo.getInstance(ed.getPrivate().getEncoded()).parsePrivateKey())
            .getOctets();
    edKey = Files.createTempFile("dkimpy-ed", ".key");
    Files.writeString(edKey, Base64.getEncoder().encodeToString(seed));
    records =
        Map.of(
            "rsa1._domainkey.example.org",
            DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, rsa.getPublic()),
            "ed1._domainkey.example.org",
            DkimKeys.dnsRecordValue(DkimAlgorithm.ED25519_SHA256, ed.getPublic()));
  }

  @AfterAll
  static void tearDown() throws Exception {
    Files.deleteIfExists(rsaKey);
    Files.deleteIfExists(edKey);
  }

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Map.Entry<String, byte[]> shape : TestMessages.shapes().entrySet()) {
      for (String alg : List.of("rsa-sha256", "ed25519-sha256")) {
        for (String canon :
            List.of("relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed")) {
          all.add(Arguments.of(alg, canon, shape.getKey(), shape.getValue()));
        }
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void ourVerdictIsDkimpysOnWhatDkimpySigned(String alg, String canon, String shape, byte[] message)
      throws Exception {
    boolean isRsa = alg.equals("rsa-sha256");
    String[] c = canon.split("/");
    List<String> cmd = new ArrayList<>();
    cmd.add(DkimSignerDkimpyPeersTest.PYTHON.toString());
    cmd.add("-c");
    cmd.add(SIGN_AND_VERIFY);
    cmd.addAll(
        List.of(
            alg,
            c[0],
            c[1],
            isRsa ? "rsa1" : "ed1",
            "example.org",
            (isRsa ? rsaKey : edKey).toString()));
    records.forEach((k, v) -> cmd.add(k + "=" + v));
    assertThat(Files.isExecutable(DkimSignerDkimpyPeersTest.PYTHON))
        .as("/usr/bin/python3 is required (Debian packages python3, python3-dkim, python3-nacl)")
        .isTrue();
    PeerProcess.Result result =
        PeerProcess.run("dkimpy", cmd, Map.of(), message, Duration.ofSeconds(60));
    assertThat(result.exitCode())
        .as(
            "dkimpy failed (is Debian's python3-dkim installed?):\n%s%s",
            result.stdout(), result.stderr())
        .isZero();
    List<String> lines = result.stdout().lines().toList();
    assertThat(lines).hasSize(4);
    DkimVerifier verifier = DkimVerifierTest.verifierOver(records);
    List<String> dkimpy = new ArrayList<>();
    List<String> ours = new ArrayList<>();
    for (String line : lines) {
      String[] parts = line.split(" ");
      byte[] copy = Base64.getDecoder().decode(parts[0]);
      dkimpy.add(parts[1]);
      List<DkimVerifier.Verdict> verdicts = DkimVerifierTest.verify(verifier, copy);
      assertThat(verdicts).hasSize(1);
      assertThat(verdicts.get(0).algorithm()).isEqualTo(alg);
      ours.add(verdicts.get(0).result() == Result.PASS ? "PASS" : "FAIL");
    }
    // dkimpy passes what it signed; the appended line and the changed From fail everywhere.
    assertThat(dkimpy.subList(0, 3)).containsExactly("PASS", "FAIL", "FAIL");
    assertThat(ours)
        .as("ours vs dkimpy on: as signed, body appended, From changed, Subject re-spaced")
        .isEqualTo(dkimpy);
  }
}
