package io.postwire.dns;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed tag=value list (RFC 6376 §3.2, also used by DMARC, MTA-STS and TLS-RPT records): tag
 * names in the order they came, values with surrounding whitespace removed.
 */
final class TagList {

  /** A tag's value and the 1-based position where the value starts. */
  record Value(String text, int position) {}

  private TagList() {}

  /**
   * Splits {@code text} on {@code ;}. Tag names are kept as written (callers decide about case); a
   * duplicate tag, an empty tag name or a missing {@code =} is a syntax error.
   */
  static Map<String, Value> parse(String text) {
    Map<String, Value> tags = new LinkedHashMap<>();
    int start = 0;
    while (start <= text.length()) {
      int end = text.indexOf(';', start);
      if (end < 0) {
        end = text.length();
      }
      String spec = text.substring(start, end);
      if (!spec.isBlank()) {
        int equals = spec.indexOf('=');
        if (equals < 0) {
          throw new RecordSyntaxException(
              start + firstNonSpace(spec) + 1, "tag without '=': '" + spec.trim() + "'");
        }
        String name = spec.substring(0, equals).strip();
        if (!name.matches("[A-Za-z][A-Za-z0-9_]*")) {
          throw new RecordSyntaxException(
              start + firstNonSpace(spec) + 1, "invalid tag name '" + name + "'");
        }
        String raw = spec.substring(equals + 1);
        int valueStart = start + equals + 1 + firstNonSpace(raw);
        if (tags.containsKey(name.toLowerCase(Locale.ROOT))) {
          throw new RecordSyntaxException(
              start + firstNonSpace(spec) + 1, "duplicate tag '" + name + "'");
        }
        tags.put(name.toLowerCase(Locale.ROOT), new Value(raw.strip(), valueStart + 1));
      }
      start = end + 1;
    }
    return tags;
  }

  private static int firstNonSpace(String text) {
    int i = 0;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    return i;
  }
}
