package io.postwire.inbound.report;

/**
 * Finds SMTP reply codes (RFC 5321 section 4.2) and enhanced status codes (RFC 3463) in text with a
 * single linear scan (no regular expressions).
 */
final class Codes {

  private Codes() {}

  /**
   * The first RFC 3463 code {@code class.subject.detail} in {@code s} (class 2, 4 or 5, subject and
   * detail 1–3 digits) that stands alone (not part of a longer dotted number), null when none.
   */
  static String enhanced(String s) {
    if (s == null) {
      return null;
    }
    int n = s.length();
    for (int i = 0; i + 4 < n; i++) {
      char c = s.charAt(i);
      if ((c != '2' && c != '4' && c != '5') || s.charAt(i + 1) != '.') {
        continue;
      }
      if (i > 0 && (isDigit(s.charAt(i - 1)) || s.charAt(i - 1) == '.')) {
        continue;
      }
      int j = i + 2;
      int a = digits(s, j);
      if (a < 1 || a > 3 || j + a >= n || s.charAt(j + a) != '.') {
        continue;
      }
      int k = j + a + 1;
      int b = digits(s, k);
      if (b < 1 || b > 3) {
        continue;
      }
      int end = k + b;
      if (end < n && (s.charAt(end) == '.' && end + 1 < n && isDigit(s.charAt(end + 1)))) {
        continue;
      }
      if (end < n && isDigit(s.charAt(end))) {
        continue;
      }
      return s.substring(i, end);
    }
    return null;
  }

  /**
   * The first basic reply code 4xx or 5xx in {@code s} that stands alone and is followed by a
   * space, a hyphen (multi-line reply), a quote or the end; -1 when none.
   */
  static int basic(String s) {
    if (s == null) {
      return -1;
    }
    int n = s.length();
    for (int i = 0; i + 2 < n; i++) {
      char c = s.charAt(i);
      if (c != '4' && c != '5') {
        continue;
      }
      if (i > 0) {
        char p = s.charAt(i - 1);
        if (Character.isLetterOrDigit(p) || p == '.' || p == ':' || p == '-' || p == '/') {
          continue;
        }
      }
      if (!isDigit(s.charAt(i + 1)) || !isDigit(s.charAt(i + 2))) {
        continue;
      }
      if (i + 3 < n) {
        char f = s.charAt(i + 3);
        if (f != ' ' && f != '-' && f != '\'' && f != '"' && f != '\t') {
          continue;
        }
      }
      return (c - '0') * 100 + (s.charAt(i + 1) - '0') * 10 + (s.charAt(i + 2) - '0');
    }
    return -1;
  }

  /** An enhanced code from {@code s}, else one derived from its basic code, else null. */
  static String status(String s) {
    String e = enhanced(s);
    if (e != null) {
      return e;
    }
    int b = basic(s);
    if (b >= 500) {
      return "5.0.0";
    }
    if (b >= 400) {
      return "4.0.0";
    }
    return null;
  }

  private static int digits(String s, int from) {
    int i = from;
    while (i < s.length() && i - from < 4 && isDigit(s.charAt(i))) {
      i++;
    }
    return i - from;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
