package io.postwire.dkim;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Arrays;

/**
 * The sign/raw ratio measured robustly on a shared machine: short blocks of {@code
 * DkimSigner.sign} and of the raw {@code Signature.sign} alternate, each timed in thread CPU time,
 * so both see the same contention; the median of the paired ratios is reported. Bounded: a fixed
 * number of rounds. Usage: {@code java -cp target/benchmarks.jar io.postwire.dkim.PairedRatio}.
 */
public final class PairedRatio {

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
    for (DkimAlgorithm alg : DkimAlgorithm.values()) {
      for (int size : new int[] {1024, 102400}) {
        run(alg, size, rounds);
      }
    }
  }

  static void run(DkimAlgorithm alg, int size, int rounds) throws Exception {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    KeyPair kp = DkimKeys.generate(alg);
    DkimSigner signer = new DkimSigner(alg, "example.org", "bench", kp.getPrivate());
    boolean rsa = alg == DkimAlgorithm.RSA_SHA256;
    Signature raw = Signature.getInstance(rsa ? "SHA256withRSA" : "Ed25519", signer.provider());
    raw.initSign(
        KeyFactory.getInstance(rsa ? "RSA" : "Ed25519", signer.provider())
            .generatePrivate(new PKCS8EncodedKeySpec(kp.getPrivate().getEncoded())));
    byte[] message = DkimSignBenchmark.message(size);
    byte[] digest = new byte[32];
    Instant now = Instant.now();
    int block = rsa ? 20 : 200;
    double[] signUs = new double[rounds];
    double[] rawUs = new double[rounds];
    double[] ratio = new double[rounds];
    for (int warm = 0; warm < 10 * block; warm++) {
      signer.sign(message, now);
      raw.update(digest);
      raw.sign();
    }
    for (int r = 0; r < rounds; r++) {
      long t0 = mx.getCurrentThreadCpuTime();
      for (int i = 0; i < block; i++) {
        signer.sign(message, now);
      }
      long t1 = mx.getCurrentThreadCpuTime();
      for (int i = 0; i < block; i++) {
        raw.update(digest);
        raw.sign();
      }
      long t2 = mx.getCurrentThreadCpuTime();
      signUs[r] = (t1 - t0) / 1e3 / block;
      rawUs[r] = (t2 - t1) / 1e3 / block;
      ratio[r] = signUs[r] / rawUs[r];
    }
    Arrays.sort(signUs);
    Arrays.sort(rawUs);
    Arrays.sort(ratio);
    System.out.printf(
        "%-15s %6d B  %-28s sign %8.1f us (%8.0f/s)  raw %8.1f us (%8.0f/s)  median ratio %.3f%n",
        alg,
        size,
        signer.providerName(),
        signUs[rounds / 2],
        1e6 / signUs[rounds / 2],
        rawUs[rounds / 2],
        1e6 / rawUs[rounds / 2],
        ratio[rounds / 2]);
  }
}
