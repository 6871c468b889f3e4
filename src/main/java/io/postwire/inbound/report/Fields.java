package io.postwire.inbound.report;

import java.util.ArrayList;
import java.util.List;

/** Linear helpers for structured field values: comments, quoted strings, parameters. */
final class Fields {

  private Fields() {}

  /** The value without RFC 5322 comments (nested), quoted strings left as they are. */
  static String stripComments(String s) {
    if (s.indexOf('(') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int depth = 0;
    boolean quoted = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted) {
        out.append(c);
        if (c == '\\' && i + 1 < s.length()) {
          out.append(s.charAt(++i));
        } else if (c == '"') {
          quoted = false;
        }
      } else if (depth > 0) {
        if (c == '\\') {
          i++;
        } else if (c == '(') {
          depth++;
        } else if (c == ')') {
          depth--;
        }
      } else if (c == '(') {
        depth = 1;
      } else {
        if (c == '"') {
          quoted = true;
        }
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Splits at semicolons outside quoted strings and comments; the first piece is the value. */
  static List<String> splitParams(String s) {
    List<String> out = new ArrayList<>();
    int start = 0;
    boolean quoted = false;
    int depth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          quoted = false;
        }
      } else if (c == '"' && depth == 0) {
        quoted = true;
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && depth > 0) {
        depth--;
      } else if (c == ';' && depth == 0) {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    return out;
  }

  /** A quoted string's content (backslash escapes undone), or the token as it is. */
  static String unquote(String v) {
    String s = stripComments(v).strip();
    if (s.length() >= 2 && s.charAt(0) == '"') {
      StringBuilder out = new StringBuilder(s.length());
      for (int i = 1; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '\\' && i + 1 < s.length()) {
          out.append(s.charAt(++i));
        } else if (c == '"') {
          break;
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }
    return s;
  }
}
