package io.postwire.inbound.report;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One MIME entity (RFC 2045, RFC 2046) over a shared octet array: its header and the range of its
 * body, parsed lazily and within fixed bounds (nesting depth, number of parts, boundary length) so
 * a hostile message costs at most linear work in its size.
 */
final class MimeEntity {

  /** Deepest multipart nesting examined (a report sits at depth 0 or 1 in practice). */
  static final int MAX_DEPTH = 4;

  /** Most body parts examined in one message, all levels together. */
  static final int MAX_PARTS = 200;

  /** Longest boundary accepted (RFC 2046 section 5.1.1 allows 70). */
  static final int MAX_BOUNDARY = 200;

  /** Shared count of parts split so far in one message. */
  static final class Budget {
    int parts;
  }

  final byte[] buf;
  final Headers headers;
  final int bodyStart;
  final int bodyEnd;
  final int depth;
  private final Budget budget;
  private final String type;
  private final Map<String, String> params;

  private MimeEntity(byte[] buf, int start, int end, int depth, Budget budget) {
    this.buf = buf;
    this.headers = Headers.read(buf, start, end, false);
    this.bodyStart = Math.min(headers.end, end);
    this.bodyEnd = end;
    this.depth = depth;
    this.budget = budget;
    this.params = new HashMap<>();
    this.type = parseContentType(headers.first("content-type"), params);
  }

  static MimeEntity parse(byte[] buf, int length) {
    return new MimeEntity(buf, 0, length, 0, new Budget());
  }

  /** The media type in lower case, {@code text/plain} when absent or unreadable (RFC 2045 5.2). */
  String type() {
    return type;
  }

  /** A Content-Type parameter (name in lower case), null when absent. */
  String param(String name) {
    return params.get(name);
  }

  boolean isMultipart() {
    return type.startsWith("multipart/");
  }

  /**
   * The body parts of a multipart entity: empty for other types, beyond {@link #MAX_DEPTH}, without
   * a usable boundary, or once the message's {@link #MAX_PARTS} are used up.
   */
  List<MimeEntity> children() {
    String boundary = param("boundary");
    if (!isMultipart()
        || depth >= MAX_DEPTH
        || boundary == null
        || boundary.isEmpty()
        || boundary.length() > MAX_BOUNDARY) {
      return List.of();
    }
    byte[] delim = ("--" + boundary).getBytes(StandardCharsets.UTF_8);
    List<MimeEntity> parts = new ArrayList<>();
    int partStart = -1;
    int pos = bodyStart;
    while (pos < bodyEnd) {
      int eol = Bytes.lineEnd(buf, pos, bodyEnd);
      int next = Bytes.nextLine(buf, eol, bodyEnd);
      int delimKind = delimiter(pos, eol, delim);
      if (delimKind != 0) {
        if (partStart >= 0) {
          // the line break before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1)
          int partEnd = pos;
          if (partEnd > partStart && buf[partEnd - 1] == '\n') {
            partEnd--;
            if (partEnd > partStart && buf[partEnd - 1] == '\r') {
              partEnd--;
            }
          }
          if (!addPart(parts, partStart, partEnd)) {
            return parts;
          }
        }
        if (delimKind == 2) {
          return parts;
        }
        partStart = next;
      }
      pos = next;
    }
    if (partStart >= 0 && partStart < bodyEnd) {
      addPart(parts, partStart, bodyEnd);
    }
    return parts;
  }

  private boolean addPart(List<MimeEntity> parts, int start, int end) {
    if (budget.parts >= MAX_PARTS) {
      return false;
    }
    budget.parts++;
    parts.add(new MimeEntity(buf, start, end, depth + 1, budget));
    return true;
  }

  /** 0: not a delimiter line; 1: a delimiter; 2: the close delimiter. */
  private int delimiter(int pos, int eol, byte[] delim) {
    if (eol - pos < delim.length) {
      return 0;
    }
    for (int i = 0; i < delim.length; i++) {
      if (buf[pos + i] != delim[i]) {
        return 0;
      }
    }
    int p = pos + delim.length;
    if (p + 1 < eol && buf[p] == '-' && buf[p + 1] == '-') {
      return 2;
    }
    for (; p < eol; p++) {
      if (buf[p] != ' ' && buf[p] != '\t' && buf[p] != '\r') {
        return 0;
      }
    }
    return 1;
  }

  /** The body with its Content-Transfer-Encoding undone, at most {@code max} octets. */
  byte[] decodedBody(int max) {
    String cte = headers.first("content-transfer-encoding");
    cte = cte == null ? "" : Fields.stripComments(cte).strip().toLowerCase(Locale.ROOT);
    return switch (cte) {
      case "base64" -> base64(buf, bodyStart, bodyEnd, max);
      case "quoted-printable" -> quotedPrintable(buf, bodyStart, bodyEnd, max);
      default ->
          java.util.Arrays.copyOfRange(
              buf, bodyStart, bodyStart + Math.min(bodyEnd - bodyStart, Math.max(0, max)));
    };
  }

  /** The decoded body as text in its declared charset (UTF-8 when absent or unknown). */
  String text(int max) {
    byte[] body = decodedBody(max);
    return new String(body, charset(param("charset")));
  }

  /**
   * The header of an embedded message (message/rfc822, message/global) or of text/rfc822-headers.
   */
  Headers embeddedHeaders() {
    byte[] body = decodedBody(Headers.MAX_BLOCK);
    return Headers.read(body, 0, body.length, true);
  }

  static Charset charset(String name) {
    if (name == null || name.isEmpty() || name.length() > 40) {
      return StandardCharsets.UTF_8;
    }
    try {
      return Charset.forName(name);
    } catch (RuntimeException e) {
      return StandardCharsets.UTF_8;
    }
  }

  private static byte[] base64(byte[] buf, int from, int to, int max) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, (to - from) * 3 / 4 + 3));
    int acc = 0;
    int bits = 0;
    for (int i = from; i < to && out.size() < max; i++) {
      int c = buf[i] & 0xff;
      int v;
      if (c >= 'A' && c <= 'Z') {
        v = c - 'A';
      } else if (c >= 'a' && c <= 'z') {
        v = c - 'a' + 26;
      } else if (c >= '0' && c <= '9') {
        v = c - '0' + 52;
      } else if (c == '+') {
        v = 62;
      } else if (c == '/') {
        v = 63;
      } else if (c == '=') {
        acc = 0;
        bits = 0;
        continue;
      } else {
        continue;
      }
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.write((acc >> bits) & 0xff);
        acc &= (1 << bits) - 1;
      }
    }
    return out.toByteArray();
  }

  private static byte[] quotedPrintable(byte[] buf, int from, int to, int max) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, to - from));
    int i = from;
    while (i < to && out.size() < max) {
      byte b = buf[i];
      if (b == '=') {
        if (i + 1 < to && buf[i + 1] == '\n') {
          i += 2;
          continue;
        }
        if (i + 2 < to && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
          i += 3;
          continue;
        }
        if (i + 2 < to) {
          int hi = Character.digit(buf[i + 1], 16);
          int lo = Character.digit(buf[i + 2], 16);
          if (hi >= 0 && lo >= 0) {
            out.write(hi * 16 + lo);
            i += 3;
            continue;
          }
        }
      }
      out.write(b);
      i++;
    }
    return out.toByteArray();
  }

  /**
   * Parses {@code type/subtype *(";" attribute "=" value)} (RFC 2045 section 5.1), quoted strings
   * and comments included, into a lower-case type and the parameters.
   */
  static String parseContentType(String value, Map<String, String> params) {
    if (value == null) {
      return "text/plain";
    }
    List<String> pieces = Fields.splitParams(value);
    String t = Fields.stripComments(pieces.get(0)).strip().toLowerCase(Locale.ROOT);
    for (int i = 1; i < pieces.size() && i <= 50; i++) {
      String p = pieces.get(i);
      int eq = p.indexOf('=');
      if (eq <= 0) {
        continue;
      }
      String name = Fields.stripComments(p.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
      String v = Fields.unquote(p.substring(eq + 1).strip());
      params.putIfAbsent(name, v);
    }
    int slash = t.indexOf('/');
    if (slash <= 0 || slash == t.length() - 1 || t.indexOf(' ') >= 0) {
      return "text/plain";
    }
    return t;
  }
}
