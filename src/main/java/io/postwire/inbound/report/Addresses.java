package io.postwire.inbound.report;

import java.util.Locale;

/** Address values in report fields: {@code type; address}, angle brackets, RFC 6533 escapes. */
final class Addresses {

  private Addresses() {}

  /**
   * The address of an RFC 3464 section 2.3.1/2.3.2 field ({@code address-type ";" generic-address})
   * without its type, comments and angle brackets; for the RFC 6533 {@code utf-8} type with {@code
   * \x{HEX}} escapes undone. The address is taken as one token of the field as written (up to white
   * space or a comment), never pieced together. Null when empty.
   */
  static String typed(String value) {
    if (value == null) {
      return null;
    }
    String type = "";
    String v = value;
    int semi = semicolonOutsideComments(value);
    if (semi >= 0) {
      type = Fields.stripComments(value.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
      v = value.substring(semi + 1);
    }
    String token = token(v);
    if (token != null && type.equals("utf-8")) {
      token = unescapeUtf8(token);
    }
    return Bytes.cap(token, InboundReports.MAX_SHORT);
  }

  private static int semicolonOutsideComments(String s) {
    int depth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && depth > 0) {
        depth--;
      } else if (c == ';' && depth == 0) {
        return i;
      }
    }
    return -1;
  }

  /** The first token after leading white space and comments: {@code <...>} content or a word. */
  private static String token(String s) {
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t') {
        i++;
      } else if (c == '(') {
        int depth = 0;
        for (; i < n; i++) {
          char d = s.charAt(i);
          if (d == '(') {
            depth++;
          } else if (d == ')' && --depth == 0) {
            i++;
            break;
          }
        }
      } else {
        break;
      }
    }
    if (i >= n) {
      return null;
    }
    boolean bracketed = s.charAt(i) == '<';
    if (bracketed) {
      i++;
    }
    int end = i;
    while (end < n) {
      char c = s.charAt(end);
      if (c == ' ' || c == '\t' || (bracketed ? c == '>' : c == '(')) {
        break;
      }
      end++;
    }
    String t = s.substring(i, end).strip();
    return t.isEmpty() ? null : t;
  }

  /** The name of an {@code mta-name-type ";" mta-name} field (RFC 3464 2.2.2, 2.3.5). */
  static String mtaName(String value) {
    if (value == null) {
      return null;
    }
    String v = Fields.stripComments(value).strip();
    int semi = v.indexOf(';');
    if (semi >= 0) {
      v = v.substring(semi + 1).strip();
    }
    return Bytes.cap(InboundReports.blankToNull(v), InboundReports.MAX_SHORT);
  }

  /**
   * The address of a path-like field ({@code Return-Path}, {@code Original-Mail-From}): the content
   * of its first angle brackets, else its first token; never across white space (a folded field is
   * not pieced together). Null when empty.
   */
  static String unbracket(String value) {
    if (value == null) {
      return null;
    }
    int lt = value.indexOf('<');
    String t = lt >= 0 ? token(value.substring(lt)) : token(value);
    if (t != null
        && t.length() >= 2
        && t.startsWith("\"")
        && t.endsWith("\"")
        && t.indexOf('@') < 0) {
      t = t.substring(1, t.length() - 1);
    }
    return Bytes.cap(InboundReports.blankToNull(t), InboundReports.MAX_SHORT);
  }

  /** RFC 6533 section 3 {@code \x{HEXPOINT}} escapes decoded; malformed ones left as they are. */
  static String unescapeUtf8(String s) {
    if (s.indexOf("\\x{") < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      if (s.startsWith("\\x{", i)) {
        int close = s.indexOf('}', i + 3);
        if (close > i + 3 && close <= i + 9) {
          try {
            int cp = Integer.parseInt(s.substring(i + 3, close), 16);
            if (Character.isValidCodePoint(cp)) {
              out.appendCodePoint(cp);
              i = close + 1;
              continue;
            }
          } catch (NumberFormatException e) {
            // not an escape: kept as text
          }
        }
      }
      out.append(s.charAt(i++));
    }
    return out.toString();
  }
}
