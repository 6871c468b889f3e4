package io.postwire.audit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes the text of an audit storable: PostgreSQL's jsonb refuses {@code \u0000}, and a TXT record
 * or an MTA-STS policy may carry any byte. NUL and the other control characters (tab, line feed and
 * carriage return aside) become U+FFFD, in every string of every check: records, finding messages,
 * detail keys and values.
 */
final class AuditText {

  private static final char REPLACEMENT = '\uFFFD';

  private AuditText() {}

  /** The checks with every string cleaned; the same objects when nothing needed it. */
  static List<CheckResult> clean(List<CheckResult> checks) {
    List<CheckResult> cleaned = new ArrayList<>(checks.size());
    for (CheckResult check : checks) {
      List<Finding> findings = new ArrayList<>(check.findings().size());
      for (Finding finding : check.findings()) {
        findings.add(
            new Finding(
                clean(finding.severity()), clean(finding.code()), clean(finding.message())));
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> details = (Map<String, Object>) cleanValue(check.details());
      cleaned.add(
          new CheckResult(
              clean(check.name()),
              check.status(),
              clean(check.record()),
              List.copyOf(findings),
              details));
    }
    return List.copyOf(cleaned);
  }

  /** {@code text} with NUL and control characters other than tab, LF and CR replaced. */
  static String clean(String text) {
    if (text == null) {
      return null;
    }
    int i = 0;
    while (i < text.length() && !refused(text.charAt(i))) {
      i++;
    }
    if (i == text.length()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    out.append(text, 0, i);
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      out.append(refused(c) ? REPLACEMENT : c);
    }
    return out.toString();
  }

  private static boolean refused(char c) {
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f;
  }

  private static Object cleanValue(Object value) {
    if (value instanceof String text) {
      return clean(text);
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        out.put(clean(String.valueOf(entry.getKey())), cleanValue(entry.getValue()));
      }
      return Collections.unmodifiableMap(out);
    }
    if (value instanceof Collection<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object item : list) {
        out.add(cleanValue(item));
      }
      return Collections.unmodifiableList(out);
    }
    return value;
  }
}
