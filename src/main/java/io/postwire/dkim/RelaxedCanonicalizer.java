package io.postwire.dkim;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The "relaxed" canonicalization of RFC 6376 §3.4.2 (header fields) and §3.4.4 (body), working on
 * the message bytes in place: the body is canonicalized and hashed in one pass with no intermediate
 * copies beyond a small scratch buffer.
 */
final class RelaxedCanonicalizer {

  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte SP = ' ';
  private static final byte HTAB = '\t';

  private RelaxedCanonicalizer() {}

  /** One header field of a message: {@code [start, end)} excludes the terminating CRLF. */
  record Field(String name, int start, int colon, int end) {}

  /** The header fields of a message, top to bottom, and where its body starts. */
  record Header(List<Field> fields, int bodyStart) {}

  /**
   * Splits the header section (RFC 5322 §2.2) into fields. Lines must end in CRLF: a bare CR or LF
   * would be rewritten on the way to the recipient and break the signature, so it is refused here.
   */
  static Header parseHeader(byte[] m) {
    List<Field> fields = new ArrayList<>();
    int pos = 0;
    int n = m.length;
    while (pos < n) {
      if (m[pos] == CR && pos + 1 < n && m[pos + 1] == LF) {
        return new Header(fields, pos + 2);
      }
      if (m[pos] == SP || m[pos] == HTAB) {
        throw new IllegalArgumentException(
            "message header starts with a continuation line at offset " + pos);
      }
      int colon = pos;
      while (colon < n && m[colon] != ':') {
        if (m[colon] == CR || m[colon] == LF) {
          throw new IllegalArgumentException("header line without a colon at offset " + pos);
        }
        colon++;
      }
      if (colon == n) {
        throw new IllegalArgumentException("header line without a colon at offset " + pos);
      }
      int nameEnd = colon;
      while (nameEnd > pos && (m[nameEnd - 1] == SP || m[nameEnd - 1] == HTAB)) {
        nameEnd--;
      }
      if (nameEnd == pos) {
        throw new IllegalArgumentException("header field without a name at offset " + pos);
      }
      char[] name = new char[nameEnd - pos];
      for (int i = pos; i < nameEnd; i++) {
        name[i - pos] = (char) lower(m[i]);
      }
      int end = colon + 1;
      while (true) {
        if (end == n) {
          fields.add(new Field(new String(name), pos, colon, end));
          return new Header(fields, n);
        }
        byte b = m[end];
        if (b == CR) {
          if (end + 1 == n || m[end + 1] != LF) {
            throw new IllegalArgumentException("bare CR in header at offset " + end);
          }
          boolean continues = end + 2 < n && (m[end + 2] == SP || m[end + 2] == HTAB);
          if (!continues) {
            break;
          }
          end += 2;
        } else if (b == LF) {
          throw new IllegalArgumentException("bare LF in header at offset " + end);
        } else {
          end++;
        }
      }
      fields.add(new Field(new String(name), pos, colon, end));
      pos = end + 2;
    }
    return new Header(fields, n);
  }

  /**
   * Appends the relaxed form of one header field (RFC 6376 §3.4.2): name lowercased, CRLFs of
   * folding removed, runs of WSP reduced to one SP, WSP around the colon and at the end removed. No
   * CRLF is appended.
   */
  static void header(byte[] m, int start, int colon, int end, ByteSink out) {
    int nameEnd = colon;
    while (nameEnd > start && (m[nameEnd - 1] == SP || m[nameEnd - 1] == HTAB)) {
      nameEnd--;
    }
    for (int i = start; i < nameEnd; i++) {
      out.put(lower(m[i]));
    }
    out.put((byte) ':');
    boolean wsp = false;
    boolean any = false;
    for (int i = colon + 1; i < end; i++) {
      byte b = m[i];
      if (b == SP || b == HTAB) {
        wsp = true;
      } else if (b == CR || b == LF) {
        // Unfolding: the CRLF goes, the WSP after it stays (and is reduced).
      } else {
        if (wsp && any) {
          out.put(SP);
        }
        wsp = false;
        any = true;
        out.put(b);
      }
    }
  }

  /**
   * Feeds the relaxed canonical body (RFC 6376 §3.4.4) of {@code m[from, to)} to {@code digest}:
   * WSP at line ends removed, other WSP runs reduced to one SP, then empty lines at the end ignored
   * (in that order, RFC 4871 errata 1384, so whitespace-only lines at the end go too), and a
   * missing final CRLF added. A body that is empty after this hashes as the empty string, not as
   * CRLF: §3.4.4 adds a CRLF only to a non-empty body (RFC 4871 errata 1376: SHA-256 {@code
   * 47DEQpj8...}), which is what OpenDKIM and dkimpy do.
   */
  static void body(byte[] m, int from, int to, MessageDigest digest, byte[] scratch) {
    Out out = new Out(digest, scratch);
    int pendingCrlf = 0; // CRLFs owed before the next non-empty line; trailing ones never paid
    boolean content = false;
    int i = from;
    while (i < to) {
      int eol = i;
      while (eol < to && m[eol] != CR && m[eol] != LF) {
        eol++;
      }
      if (eol < to && (m[eol] == LF || eol + 1 == to || m[eol + 1] != LF)) {
        throw new IllegalArgumentException(
            (m[eol] == LF ? "bare LF" : "bare CR") + " in body at offset " + eol);
      }
      int end = eol;
      while (end > i && (m[end - 1] == SP || m[end - 1] == HTAB)) {
        end--;
      }
      if (end > i) {
        for (; pendingCrlf > 0; pendingCrlf--) {
          out.crlf();
        }
        // Copy runs verbatim; a lone SP between words is already canonical, so only tabs and
        // runs of WSP break a run. The line has no trailing WSP, so m[j + 1] is in range.
        int run = i;
        int j = i;
        while (j < end) {
          byte b = m[j];
          if (b == SP && m[j + 1] != SP && m[j + 1] != HTAB) {
            j++;
          } else if (b == SP || b == HTAB) {
            out.copy(m, run, j - run);
            out.put(SP);
            while (m[j] == SP || m[j] == HTAB) {
              j++;
            }
            run = j;
          } else {
            j++;
          }
        }
        out.copy(m, run, end - run);
        content = true;
        pendingCrlf = 1;
      } else if (eol < to) {
        pendingCrlf++;
      }
      i = eol < to ? eol + 2 : to;
    }
    if (content) {
      // The last non-empty line's own CRLF, or the one §3.4.4 adds when it had none.
      out.crlf();
    }
    out.flush();
  }

  /** Batches canonical output through the scratch buffer into the digest. */
  private static final class Out {
    private final MessageDigest digest;
    private final byte[] buf;
    private int n;

    Out(MessageDigest digest, byte[] buf) {
      this.digest = digest;
      this.buf = buf;
    }

    void copy(byte[] src, int off, int len) {
      while (len > 0) {
        if (n == buf.length) {
          flush();
        }
        int k = Math.min(len, buf.length - n);
        System.arraycopy(src, off, buf, n, k);
        n += k;
        off += k;
        len -= k;
      }
    }

    void put(byte b) {
      if (n == buf.length) {
        flush();
      }
      buf[n++] = b;
    }

    void crlf() {
      put(CR);
      put(LF);
    }

    void flush() {
      digest.update(buf, 0, n);
      n = 0;
    }
  }

  private static byte lower(byte b) {
    return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
  }

  /** A growable byte buffer without the synchronization of ByteArrayOutputStream. */
  static final class ByteSink {
    byte[] buf;
    int size;

    ByteSink(int capacity) {
      buf = new byte[capacity];
    }

    void put(byte b) {
      if (size == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      buf[size++] = b;
    }

    void crlf() {
      put(CR);
      put(LF);
    }

    void reset() {
      size = 0;
    }
  }
}
