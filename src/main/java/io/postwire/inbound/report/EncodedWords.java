package io.postwire.inbound.report;

import java.nio.charset.StandardCharsets;

/**
 * Decodes RFC 2047 encoded words ({@code =?charset?B|Q?text?=}) in an unstructured field such as
 * Subject, in one pass; malformed words stay as they are.
 */
final class EncodedWords {

  private EncodedWords() {}

  static String decode(String s) {
    if (s == null || s.indexOf("=?") < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int i = 0;
    boolean lastWasWord = false;
    while (i < s.length()) {
      int start = s.indexOf("=?", i);
      if (start < 0) {
        out.append(s, i, s.length());
        break;
      }
      String between = s.substring(i, start);
      int q1 = s.indexOf('?', start + 2);
      int q2 = q1 < 0 ? -1 : s.indexOf('?', q1 + 1);
      int end = q2 < 0 ? -1 : s.indexOf("?=", q2 + 1);
      if (q1 < 0 || q2 != q1 + 2 || end < 0 || q1 - start > 64) {
        out.append(s, i, start + 2);
        i = start + 2;
        lastWasWord = false;
        continue;
      }
      // white space between two adjacent encoded words is not shown (RFC 2047 section 6.2)
      if (!(lastWasWord && between.isBlank())) {
        out.append(between);
      }
      String charset = s.substring(start + 2, q1);
      int star = charset.indexOf('*'); // RFC 2231 language suffix
      if (star >= 0) {
        charset = charset.substring(0, star);
      }
      char enc = Character.toUpperCase(s.charAt(q1 + 1));
      String text = s.substring(q2 + 1, end);
      byte[] bytes = enc == 'B' ? base64(text) : enc == 'Q' ? q(text) : null;
      if (bytes == null) {
        out.append(s, start, end + 2);
      } else {
        out.append(new String(bytes, MimeEntity.charset(charset)));
      }
      i = end + 2;
      lastWasWord = true;
    }
    return out.toString();
  }

  private static byte[] base64(String text) {
    byte[] raw = text.getBytes(StandardCharsets.US_ASCII);
    String h = "Content-Transfer-Encoding: base64\n\n";
    byte[] buf = new byte[h.length() + raw.length];
    System.arraycopy(h.getBytes(StandardCharsets.US_ASCII), 0, buf, 0, h.length());
    System.arraycopy(raw, 0, buf, h.length(), raw.length);
    return MimeEntity.parse(buf, buf.length).decodedBody(raw.length);
  }

  private static byte[] q(String text) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '_') {
        out.write(' ');
      } else if (c == '=' && i + 2 < text.length()) {
        int hi = Character.digit(text.charAt(i + 1), 16);
        int lo = Character.digit(text.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          out.write(hi * 16 + lo);
          i += 2;
        } else {
          out.write('=');
        }
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    return out.toByteArray();
  }
}
