package io.postwire.dkim;

import io.postwire.dkim.RelaxedCanonicalizer.ByteSink;
import java.security.MessageDigest;

/**
 * The "simple" canonicalization of RFC 6376 §3.4.1 (header fields) and §3.4.3 (body), for verifying
 * signatures other signers made with {@code c=simple}: Postwire itself signs relaxed.
 */
final class SimpleCanonicalizer {

  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte[] CRLF = {CR, LF};

  private SimpleCanonicalizer() {}

  /** Appends a header field exactly as it is, folding included (§3.4.1); no CRLF is appended. */
  static void header(byte[] m, int start, int end, ByteSink out) {
    for (int i = start; i < end; i++) {
      out.put(m[i]);
    }
  }

  /**
   * Feeds the simple canonical body (§3.4.3) of {@code m[from, to)} to {@code digest}: the bytes
   * unchanged, except that empty lines at the end are removed and a body that is then empty, or
   * does not end in CRLF, gets one CRLF.
   */
  static void body(byte[] m, int from, int to, MessageDigest digest) {
    int end = to;
    while (end - from >= 2 && m[end - 2] == CR && m[end - 1] == LF) {
      end -= 2;
    }
    // end now stops before the last line's own CRLF (if it had one); put one CRLF back.
    digest.update(m, from, end - from);
    digest.update(CRLF);
  }
}
