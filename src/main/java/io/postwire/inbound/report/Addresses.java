package io.postwire.inbound.report;

import java.util.Locale;

/** Address values in report fields: {@code type; address}, angle brackets, RFC 6533 escapes. */
final class Addresses {

  private Addresses() {}

  /**
   * The address of an RFC 3464 section 2.3.1/2.3.2 field ({@code address-type ";" generic-address})
   * without its type, comments and angle brackets; for the RFC 6533 {@code utf-8} type with {@code
   * \x{HEX}} escapes undone. Null when empty.
   */
  static String typed(String value) {
    if (value == null) {
      return null;
    }
    String v = Fields.stripComments(value).strip();
    String type = "";
    int semi = v.indexOf(';');
    if (semi >= 0) {
      type = v.substring(0, semi).strip().toLowerCase(Locale.ROOT);
      v = v.substring(semi + 1).strip();
    }
    if (type.equals("utf-8")) {
      v = unescapeUtf8(v);
    }
    return unbracket(v);
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

  /** The value with comments and one pair of angle brackets removed; null when empty. */
  static String unbracket(String value) {
    if (value == null) {
      return null;
    }
    String v = Fields.stripComments(value).strip();
    int lt = v.indexOf('<');
    if (lt >= 0) {
      int gt = v.indexOf('>', lt + 1);
      v = gt > lt ? v.substring(lt + 1, gt) : v.substring(lt + 1);
    }
    v = v.strip();
    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") && v.indexOf('@') < 0) {
      v = v.substring(1, v.length() - 1);
    }
    return Bytes.cap(InboundReports.blankToNull(v), InboundReports.MAX_SHORT);
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
