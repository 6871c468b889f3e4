package io.postwire.submission;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code X-Postwire-*} header fields of a submitted message: {@code X-Postwire-Tag: a, b},
 * {@code X-Postwire-Metadata-<name>: value} and {@code X-Postwire-Idempotency-Key}, read and
 * removed from the top-level header before the message goes further (so they are neither signed nor
 * stored nor sent).
 */
final class SubmissionHeaders {

  private static final String PREFIX = "x-postwire-";
  private static final String METADATA = "x-postwire-metadata-";

  private SubmissionHeaders() {}

  /** The message without our fields, and what they said. */
  record Extracted(
      byte[] message, List<String> tags, Map<String, String> metadata, String idempotencyKey) {}

  /** Reads and removes our fields from the header section (line ends CRLF or LF). */
  static Extracted extract(byte[] b) {
    List<String> tags = new ArrayList<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    String idempotencyKey = null;
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length);
    int pos = 0;
    boolean found = false;
    while (pos < b.length) {
      int lineEnd = lineEnd(b, pos);
      if (isBlank(b, pos, lineEnd)) {
        break;
      }
      // a field is its first line and the continuation lines (starting with space or tab)
      int fieldEnd = lineEnd;
      while (fieldEnd < b.length && (b[fieldEnd] == ' ' || b[fieldEnd] == '\t')) {
        fieldEnd = lineEnd(b, fieldEnd);
      }
      String field = new String(b, pos, fieldEnd - pos, StandardCharsets.UTF_8);
      int colon = field.indexOf(':');
      String name = colon < 0 ? "" : field.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      if (name.startsWith(PREFIX)) {
        found = true;
        String value = field.substring(colon + 1).replaceAll("\r?\n", "").strip();
        if (name.equals("x-postwire-tag")) {
          for (String tag : value.split(",")) {
            if (!tag.isBlank()) {
              tags.add(tag.strip());
            }
          }
        } else if (name.equals("x-postwire-idempotency-key")) {
          idempotencyKey = value;
        } else if (name.startsWith(METADATA) && name.length() > METADATA.length()) {
          // the name as written, after the prefix
          metadata.put(field.substring(METADATA.length(), colon).strip(), value);
        }
      } else {
        out.write(b, pos, fieldEnd - pos);
      }
      pos = fieldEnd;
    }
    if (!found) {
      return new Extracted(b, tags, metadata, null);
    }
    out.write(b, pos, b.length - pos);
    return new Extracted(out.toByteArray(), tags, metadata, idempotencyKey);
  }

  /** The offset after the line starting at {@code pos} (after its LF, or the end). */
  private static int lineEnd(byte[] b, int pos) {
    while (pos < b.length && b[pos] != '\n') {
      pos++;
    }
    return Math.min(pos + 1, b.length);
  }

  private static boolean isBlank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != '\r' && b[i] != '\n') {
        return false;
      }
    }
    return true;
  }
}
