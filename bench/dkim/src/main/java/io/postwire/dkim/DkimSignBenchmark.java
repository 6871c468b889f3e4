package io.postwire.dkim;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Signatures per second on one thread: our whole signing step ({@link DkimSigner#sign}) for a 1 KB
 * and a 100 KB message, beside the raw {@link Signature#sign} of a 32-byte input with the same
 * provider and key representation. {@code provider=default} is the production choice; {@code
 * provider=jdk} signs with the JDK's own provider (SunRsaSign, SunEC) for comparison.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
public class DkimSignBenchmark {

  static Provider provider(DkimAlgorithm alg, String which) {
    if (which.equals("default")) {
      return null;
    }
    return Security.getProvider(alg == DkimAlgorithm.RSA_SHA256 ? "SunRsaSign" : "SunEC");
  }

  static byte[] message(int size) {
    StringBuilder sb =
        new StringBuilder(
            "From: Alice <alice@example.org>\r\n"
                + "To: Bob <bob@example.net>\r\n"
                + "Subject: Benchmark message\r\n"
                + "Date: Tue, 02 Jun 2026 10:00:00 +0000\r\n"
                + "Message-ID: <bench@example.org>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n"
                + "\r\n");
    String line = "The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    while (sb.length() + line.length() <= size) {
      sb.append(line);
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** A signer and a message. */
  @State(Scope.Thread)
  public static class Signing {
    @Param({"RSA_SHA256", "ED25519_SHA256"})
    public DkimAlgorithm alg;

    @Param({"1024", "102400"})
    public int size;

    @Param({"default", "jdk"})
    public String provider;

    DkimSigner signer;
    byte[] message;
    Instant now;

    @Setup(Level.Trial)
    public void setUp() {
      KeyPair kp = DkimKeys.generate(alg);
      signer = new DkimSigner(alg, "example.org", "bench", kp.getPrivate(), provider(alg, provider));
      message = message(size);
      now = Instant.now();
      System.out.println(
          "\n# provider for " + alg + "/" + provider + ": " + signer.providerName());
    }
  }

  /** The same provider and key representation as the signer, signing a 32-byte input. */
  @State(Scope.Thread)
  public static class Raw {
    @Param({"RSA_SHA256", "ED25519_SHA256"})
    public DkimAlgorithm alg;

    @Param({"default", "jdk"})
    public String provider;

    Signature signature;
    byte[] digest = new byte[32];

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      KeyPair kp = DkimKeys.generate(alg);
      DkimSigner signer =
          new DkimSigner(alg, "example.org", "bench", kp.getPrivate(), provider(alg, provider));
      Provider p = signer.provider();
      String keyAlg = alg == DkimAlgorithm.RSA_SHA256 ? "RSA" : "Ed25519";
      PrivateKey key =
          KeyFactory.getInstance(keyAlg, p)
              .generatePrivate(new PKCS8EncodedKeySpec(kp.getPrivate().getEncoded()));
      signature =
          Signature.getInstance(alg == DkimAlgorithm.RSA_SHA256 ? "SHA256withRSA" : "Ed25519", p);
      signature.initSign(key);
      new SecureRandom().nextBytes(digest);
      System.out.println("\n# raw provider for " + alg + "/" + provider + ": " + p.getName());
    }
  }

  @Benchmark
  public String sign(Signing s) {
    return s.signer.sign(s.message, s.now);
  }

  @Benchmark
  public byte[] rawSign(Raw r) throws Exception {
    r.signature.update(r.digest);
    return r.signature.sign();
  }
}
