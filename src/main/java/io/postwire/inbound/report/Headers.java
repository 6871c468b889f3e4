package io.postwire.inbound.report;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A bounded block of RFC 5322 style fields: a message's or body part's header, or one field group
 * of an RFC 3464 delivery-status or RFC 5965 feedback-report body (which use the same syntax).
 * Folded lines are unfolded to one space (RFC 5322 section 2.2.3, whitespace runs at the fold
 * collapsed so a diagnostic reads as one line). Octets are read as UTF-8 (RFC 6532, RFC 6533).
 */
final class Headers {

  /** Most fields kept per block; later ones are skipped (still consumed). */
  static final int MAX_FIELDS = 1000;

  /** Longest field value kept, in characters; the rest of a longer field is dropped. */
  static final int MAX_VALUE = 16 * 1024;

  /** Most octets one header block may span; reading stops there. */
  static final int MAX_BLOCK = 1024 * 1024;

  static final Headers EMPTY = new Headers(List.of(), 0);

  private final List<String[]> fields;

  /** Offset just after the block (after its empty line, or where reading stopped). */
  final int end;

  private Headers(List<String[]> fields, int end) {
    this.fields = fields;
    this.end = end;
  }

  /** The first value of a field (name case-insensitive), trimmed; null when absent. */
  String first(String name) {
    for (String[] f : fields) {
      if (f[0].equalsIgnoreCase(name)) {
        return f[1];
      }
    }
    return null;
  }

  /** Every value of a field, in order. */
  List<String> all(String name) {
    List<String> out = new ArrayList<>();
    for (String[] f : fields) {
      if (f[0].equalsIgnoreCase(name)) {
        out.add(f[1]);
      }
    }
    return out;
  }

  boolean isEmpty() {
    return fields.isEmpty();
  }

  int size() {
    return fields.size();
  }

  /**
   * Reads one block from {@code start} up to the first empty line (or {@code end}). Leading empty
   * lines are skipped only when {@code skipLeadingBlank} (delivery-status groups may be separated
   * by more than one).
   */
  static Headers read(byte[] buf, int start, int end, boolean skipLeadingBlank) {
    int limit = Math.min(end, start + MAX_BLOCK < 0 ? end : start + MAX_BLOCK);
    List<String[]> fields = new ArrayList<>();
    String name = null;
    StringBuilder value = null;
    int pos = start;
    boolean seenLine = false;
    while (pos < limit) {
      int eol = Bytes.lineEnd(buf, pos, limit);
      int next = Bytes.nextLine(buf, eol, limit);
      int contentEnd = eol;
      if (contentEnd > pos && buf[contentEnd - 1] == '\r') {
        contentEnd--;
      }
      if (contentEnd == pos) {
        if (!seenLine && skipLeadingBlank) {
          pos = next;
          continue;
        }
        pos = next;
        break;
      }
      seenLine = true;
      byte b0 = buf[pos];
      if ((b0 == ' ' || b0 == '\t') && value != null) {
        if (value.length() < MAX_VALUE) {
          String cont = Bytes.utf8(buf, pos, contentEnd).strip();
          if (!cont.isEmpty()) {
            value.append(' ');
            Bytes.appendBounded(value, cont, MAX_VALUE);
          }
        }
      } else {
        if (name != null) {
          add(fields, name, value);
        }
        name = null;
        value = null;
        int colon = Bytes.indexOf(buf, (byte) ':', pos, Math.min(contentEnd, pos + 256));
        if (colon > pos) {
          String n = Bytes.utf8(buf, pos, colon).strip();
          if (!n.isEmpty() && n.indexOf(' ') < 0) {
            name = n;
            value = new StringBuilder();
            Bytes.appendBounded(value, Bytes.utf8(buf, colon + 1, contentEnd).strip(), MAX_VALUE);
          }
        }
      }
      pos = next;
    }
    if (name != null) {
      add(fields, name, value);
    }
    return new Headers(fields, pos);
  }

  private static void add(List<String[]> fields, String name, StringBuilder value) {
    if (fields.size() < MAX_FIELDS) {
      fields.add(new String[] {name.toLowerCase(Locale.ROOT), value.toString().strip()});
    }
  }

  static Headers of(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    return read(b, 0, b.length, false);
  }
}
