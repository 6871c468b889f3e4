package io.postwire.inbound.report;

import java.nio.charset.StandardCharsets;

/** Bounded, linear helpers over octet ranges. */
final class Bytes {

  private Bytes() {}

  /** Offset of the next LF at or after {@code pos}, or {@code end}. */
  static int lineEnd(byte[] buf, int pos, int end) {
    for (int i = pos; i < end; i++) {
      if (buf[i] == '\n') {
        return i;
      }
    }
    return end;
  }

  /** Start of the line after the one ending at {@code eol}. */
  static int nextLine(byte[] buf, int eol, int end) {
    return eol < end ? eol + 1 : end;
  }

  static int indexOf(byte[] buf, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf[i] == b) {
        return i;
      }
    }
    return -1;
  }

  static String utf8(byte[] buf, int from, int to) {
    return new String(buf, from, Math.max(0, to - from), StandardCharsets.UTF_8);
  }

  static void appendBounded(StringBuilder sb, String s, int max) {
    int room = max - sb.length();
    if (room <= 0) {
      return;
    }
    sb.append(s, 0, Math.min(room, s.length()));
  }

  /** {@code s} cut to at most {@code max} characters (null stays null). */
  static String cap(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    return s.substring(0, max);
  }
}
