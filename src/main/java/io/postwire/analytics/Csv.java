package io.postwire.analytics;

import java.util.List;
import java.util.Map;

/** Writes rows as RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they need it. */
final class Csv {

  private Csv() {}

  static String write(List<String> header, List<Map<String, Object>> rows) {
    StringBuilder out = new StringBuilder();
    line(out, header.stream().map(h -> (Object) h).toList());
    for (Map<String, Object> row : rows) {
      line(out, header.stream().map(row::get).toList());
    }
    return out.toString();
  }

  private static void line(StringBuilder out, List<Object> values) {
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(field(values.get(i)));
    }
    out.append("\r\n");
  }

  /**
   * One field: empty for null; quoted, with inner quotes doubled, when it holds a comma, a quote,
   * CR or LF (RFC 4180 §2.6, §2.7).
   */
  static String field(Object value) {
    if (value == null) {
      return "";
    }
    String s = value.toString();
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\r') < 0 && s.indexOf('\n') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }
}
