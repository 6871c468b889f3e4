package io.postwire.message;

import io.postwire.domain.Mailbox;
import io.postwire.platform.Refusal;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.ParseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Messages the caller built ({@code /v1/messages/raw}, later SMTP submission), made ready to sign
 * and send (API.md, "Message content"):
 *
 * <ul>
 *   <li>line ends become CRLF (bare LF, as mail libraries write on Unix, and lone CR);
 *   <li>the header is read by offsets, within {@link #MAX_HEADER_FIELDS} fields and {@link
 *       #MAX_HEADER_BYTES} octets, and must be what the DKIM canonicalizer accepts: every line a
 *       field with a name and a colon, or a continuation of one; ASCII only (no SMTPUTF8);
 *   <li>8bit parts (and 7bit-declared ones with 8-bit octets, NUL or lines over 998 octets) are
 *       re-encoded, text as quoted-printable and anything else as base64, so what is signed is what
 *       every next hop receives, whether or not it offers 8BITMIME;
 *   <li>Bcc fields are removed (Bcc recipients never appear in a header); a Message-ID and a Date
 *       are added when missing.
 * </ul>
 */
public final class RawMessages {

  /** Most header fields a message may have (top level or in a part). */
  static final int MAX_HEADER_FIELDS = 1000;

  /** Most octets of a header section (top level or in a part). */
  static final int MAX_HEADER_BYTES = 256 * 1024;

  /** Deepest nesting of multiparts and enclosed messages. */
  static final int MAX_DEPTH = 20;

  /** Most MIME parts in one message. */
  static final int MAX_PARTS = 1000;

  private static final int MAX_LINE = 998;

  private static final byte[] CRLF = {'\r', '\n'};

  private RawMessages() {}

  /** A parsed raw message. */
  public record Raw(
      byte[] bytes, Mailbox from, String fromHeader, String subject, String messageId) {}

  /** One header field: {@code [start, end)} of the message, its terminating CRLF excluded. */
  record Field(String name, int start, int end) {
    String value(byte[] b) {
      int colon = start;
      while (b[colon] != ':') {
        colon++;
      }
      String raw = new String(b, colon + 1, end - colon - 1, StandardCharsets.US_ASCII);
      return raw.replace("\r\n", "");
    }

    boolean is(String other) {
      return name.equalsIgnoreCase(other);
    }
  }

  /** A header section: its fields and where the body after it starts. */
  record Header(List<Field> fields, int bodyStart) {
    String first(byte[] b, String name) {
      for (Field f : fields) {
        if (f.is(name)) {
          return f.value(b);
        }
      }
      return null;
    }

    int count(String name) {
      int n = 0;
      for (Field f : fields) {
        if (f.is(name)) {
          n++;
        }
      }
      return n;
    }
  }

  /** Decodes the {@code raw} member: base64, with line breaks and spaces allowed between. */
  public static byte[] decode(String base64) {
    if (base64 == null || base64.isBlank()) {
      throw Refusal.field("validation_failed", "raw", "is required (base64)");
    }
    try {
      return MessageValidator.decodeBase64(base64);
    } catch (IllegalArgumentException e) {
      throw Refusal.field("validation_failed", "raw", "is not valid base64");
    }
  }

  /**
   * Makes a decoded message ready to sign, or refuses it (invalid) naming what is wrong; a missing
   * Message-ID is made under {@code domainForId}, or the From domain when that is null.
   */
  public static Raw parse(byte[] decoded, String domainForId, Instant now) {
    byte[] b = crlf(decoded);
    Header header = header(b, 0, b.length, "raw");
    if (header.count("from") != 1) {
      throw Refusal.field("validation_failed", "raw", "needs exactly one From header field");
    }
    String fromHeader = header.first(b, "from").trim();
    Mailbox from = Mailbox.parse(decodeForParsing(fromHeader), "raw.From");
    String subject = header.first(b, "subject");
    subject = subject == null ? null : subject.trim();

    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 256);
    String messageId = header.first(b, "message-id");
    if (messageId == null || messageId.isBlank()) {
      String domain = domainForId == null ? from.domain() : domainForId;
      messageId = "<" + UUID.randomUUID() + "@" + domain + ">";
      ascii(out, "Message-ID: " + messageId + "\r\n");
    } else {
      messageId = messageId.trim();
    }
    if (header.count("date") == 0) {
      ascii(
          out,
          "Date: "
              + DateTimeFormatter.RFC_1123_DATE_TIME.format(
                  ZonedDateTime.ofInstant(now, ZoneOffset.UTC))
              + "\r\n");
    }
    Parts parts = new Parts();
    Encoded body =
        parts.body(
            b,
            header.bodyStart(),
            b.length,
            header.first(b, "content-type"),
            header.first(b, "content-transfer-encoding"),
            0);
    for (Field f : header.fields()) {
      if (f.is("bcc") || body != null && f.is("content-transfer-encoding")) {
        continue;
      }
      out.write(b, f.start(), f.end() - f.start());
      out.writeBytes(CRLF);
    }
    if (body != null) {
      ascii(out, "Content-Transfer-Encoding: " + body.encoding() + "\r\n");
    }
    out.writeBytes(CRLF);
    if (body != null) {
      out.writeBytes(body.bytes());
    } else if (header.bodyStart() < b.length) {
      out.write(b, header.bodyStart(), b.length - header.bodyStart());
    }
    return new Raw(out.toByteArray(), from, fromHeader, subject, messageId);
  }

  /** LF or lone CR become CRLF, and the message ends with CRLF. */
  static byte[] crlf(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + in.length / 40 + 2);
    int lineStart = 0;
    for (int i = 0; i < in.length; i++) {
      byte c = in[i];
      if (c == '\r' || c == '\n') {
        if (c == '\r' && i + 1 < in.length && in[i + 1] == '\n') {
          i++;
        }
        out.writeBytes(CRLF);
        lineStart = i + 1;
      } else {
        out.write(c);
      }
    }
    if (lineStart < in.length) {
      out.writeBytes(CRLF);
    }
    return out.toByteArray();
  }

  /**
   * Reads the header section in {@code [start, limit)} by offsets; {@code where} names it in
   * refusals. The input has CRLF line ends only.
   */
  static Header header(byte[] b, int start, int limit, String where) {
    List<Field> fields = new ArrayList<>();
    int pos = start;
    int fieldStart = -1;
    int lastEol = start;
    String name = null;
    while (pos < limit && b[pos] != '\r') {
      int eol = Math.min(lineEnd(b, pos), limit);
      if (eol - pos > MAX_LINE) {
        throw Refusal.field(
            "validation_failed", where, "has a header line over 998 octets (RFC 5322 §2.1.1)");
      }
      if (eol - start > MAX_HEADER_BYTES) {
        throw Refusal.field(
            "validation_failed", where, "has a header over " + MAX_HEADER_BYTES + " octets");
      }
      for (int i = pos; i < eol; i++) {
        if (b[i] < 32 && b[i] != '\t' || b[i] == 127) {
          throw Refusal.field(
              "validation_failed",
              where,
              "header fields must be ASCII without control characters (non-ASCII text needs"
                  + " RFC 2047 encoded words; SMTPUTF8 is not supported)");
        }
      }
      if (b[pos] == ' ' || b[pos] == '\t') {
        if (fieldStart < 0) {
          throw Refusal.field(
              "validation_failed", where, "starts with a continuation line instead of a field");
        }
      } else {
        if (fieldStart >= 0) {
          fields.add(new Field(name, fieldStart, lastEol));
        }
        name = fieldName(b, pos, eol);
        if (name == null) {
          throw Refusal.field(
              "validation_failed",
              where,
              "has a header line that is not a field (a name, then a colon), at line "
                  + (fields.size() + 1));
        }
        if (fields.size() >= MAX_HEADER_FIELDS) {
          throw Refusal.field(
              "validation_failed", where, "has over " + MAX_HEADER_FIELDS + " header fields");
        }
        fieldStart = pos;
      }
      lastEol = eol;
      pos = eol + 2;
    }
    if (fieldStart >= 0) {
      fields.add(new Field(name, fieldStart, lastEol));
    }
    // past the blank line that ends the header, if there is one
    return new Header(fields, pos < limit ? Math.min(pos + 2, limit) : limit);
  }

  /** RFC 5322 §3.6.8: printable ASCII but colon, then optional WSP (obsolete syntax), then ':'. */
  private static String fieldName(byte[] b, int pos, int eol) {
    int i = pos;
    while (i < eol && b[i] > 32 && b[i] < 127 && b[i] != ':') {
      i++;
    }
    int nameEnd = i;
    while (i < eol && (b[i] == ' ' || b[i] == '\t')) {
      i++;
    }
    if (nameEnd == pos || i >= eol || b[i] != ':') {
      return null;
    }
    return new String(b, pos, nameEnd - pos, StandardCharsets.US_ASCII);
  }

  private static int lineEnd(byte[] b, int pos) {
    int i = pos;
    while (i + 1 < b.length && !(b[i] == '\r' && b[i + 1] == '\n')) {
      i++;
    }
    return i + 1 < b.length ? i : b.length;
  }

  /** A re-encoded body and its new Content-Transfer-Encoding. */
  record Encoded(byte[] bytes, String encoding) {}

  /** Walks the MIME structure, counting parts across the whole message. */
  private static final class Parts {
    private int count;

    /**
     * The body at {@code [start, end)} re-encoded when it needs to be, or null when it can go as it
     * is.
     */
    Encoded body(byte[] b, int start, int end, String contentType, String cte, int depth) {
      if (++count > MAX_PARTS) {
        throw Refusal.field("validation_failed", "raw", "has over " + MAX_PARTS + " parts");
      }
      if (depth > MAX_DEPTH) {
        throw Refusal.field(
            "validation_failed", "raw", "nests parts deeper than " + MAX_DEPTH + " levels");
      }
      ContentType type = contentType(contentType);
      String encoding = cte == null ? "7bit" : cte.trim().toLowerCase(Locale.ROOT);
      if (type.match("multipart/*") && type.getParameter("boundary") != null) {
        byte[] multipart = multipart(b, start, end, type.getParameter("boundary"), depth);
        return multipart == null ? null : new Encoded(multipart, "7bit");
      }
      if (type.match("message/rfc822") || type.match("message/global")) {
        byte[] enclosed = entity(b, start, end, depth + 1);
        return enclosed == null ? null : new Encoded(enclosed, "7bit");
      }
      if (!needsEncoding(b, start, end)) {
        return null;
      }
      if (encoding.equals("quoted-printable") || encoding.equals("base64")) {
        throw Refusal.field(
            "validation_failed",
            "raw",
            "a part declared " + encoding + " holds 8-bit octets or over-long lines");
      }
      boolean text = type.getPrimaryType().equalsIgnoreCase("text");
      return text
          ? new Encoded(quotedPrintable(b, start, end), "quoted-printable")
          : new Encoded(base64(b, start, end), "base64");
    }

    /** A whole entity (header and body) re-encoded, or null when unchanged. */
    private byte[] entity(byte[] b, int start, int end, int depth) {
      Header header = header(b, start, end, "raw");
      int bodyStart = header.bodyStart();
      Encoded body =
          body(
              b,
              bodyStart,
              end,
              header.first(b, "content-type"),
              header.first(b, "content-transfer-encoding"),
              depth);
      if (body == null) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(end - start + 64);
      for (Field f : header.fields()) {
        if (!f.is("content-transfer-encoding")) {
          out.write(b, f.start(), f.end() - f.start());
          out.writeBytes(CRLF);
        }
      }
      ascii(out, "Content-Transfer-Encoding: " + body.encoding() + "\r\n\r\n");
      out.writeBytes(body.bytes());
      return out.toByteArray();
    }

    /**
     * A multipart body with its parts re-encoded where needed, or null when nothing changed. RFC
     * 2046 §5.1.1: a delimiter is a line {@code --boundary}, the CRLF before it belongs to it; the
     * close delimiter is {@code --boundary--}. A preamble or epilogue that is not 7-bit is dropped
     * (no reader shows them).
     */
    private byte[] multipart(byte[] b, int start, int end, String boundary, int depth) {
      byte[] dash = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
      List<int[]> delimiters = new ArrayList<>(); // {lineStart, lineEnd, close ? 1 : 0}
      int pos = start;
      while (pos < end) {
        int eol = Math.min(lineEnd(b, pos), end);
        if (startsWith(b, pos, eol, dash)) {
          int after = pos + dash.length;
          boolean close = after + 1 < eol && b[after] == '-' && b[after + 1] == '-';
          int rest = close ? after + 2 : after;
          if (blank(b, rest, eol)) {
            delimiters.add(new int[] {pos, eol, close ? 1 : 0});
            if (close) {
              break;
            }
          }
        }
        pos = eol + 2;
      }
      if (delimiters.isEmpty()) {
        // not really a multipart: treat as one opaque text body
        return needsEncoding(b, start, end) ? quotedPrintable(b, start, end) : null;
      }
      int[] last = delimiters.get(delimiters.size() - 1);
      boolean closed = last[2] == 1;
      // each part runs from after its delimiter line to the CRLF before the next delimiter (or,
      // when the close delimiter is missing, to the end)
      List<int[]> ranges = new ArrayList<>();
      for (int i = 0; i < delimiters.size() && delimiters.get(i)[2] == 0; i++) {
        int partStart = Math.min(delimiters.get(i)[1] + 2, end);
        int partEnd =
            i + 1 < delimiters.size() ? Math.max(partStart, delimiters.get(i + 1)[0] - 2) : end;
        ranges.add(new int[] {partStart, partEnd});
      }
      boolean changed = false;
      List<byte[]> parts = new ArrayList<>();
      for (int[] range : ranges) {
        byte[] part = entity(b, range[0], range[1], depth + 1);
        changed |= part != null;
        parts.add(part);
      }
      int firstDelimiter = delimiters.get(0)[0];
      int epilogue = closed ? Math.min(last[1] + 2, end) : end;
      boolean preambleDirty = needsEncoding(b, start, firstDelimiter);
      boolean epilogueDirty = epilogue < end && needsEncoding(b, epilogue, end);
      if (!changed && !preambleDirty && !epilogueDirty) {
        return null;
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream(end - start + 1024);
      if (!preambleDirty) {
        out.write(b, start, firstDelimiter - start);
      }
      for (int i = 0; i < ranges.size(); i++) {
        int[] delimiter = delimiters.get(i);
        out.write(b, delimiter[0], delimiter[1] - delimiter[0]);
        out.writeBytes(CRLF);
        int[] range = ranges.get(i);
        if (parts.get(i) != null) {
          out.writeBytes(parts.get(i));
        } else {
          out.write(b, range[0], range[1] - range[0]);
        }
        if (i + 1 < ranges.size() || closed) {
          out.writeBytes(CRLF);
        }
      }
      if (closed) {
        out.write(b, last[0], last[1] - last[0]);
        out.writeBytes(CRLF);
        if (!epilogueDirty && epilogue < end) {
          out.write(b, epilogue, end - epilogue);
        }
      }
      return out.toByteArray();
    }
  }

  private static ContentType contentType(String value) {
    if (value != null) {
      try {
        return new ContentType(value.trim());
      } catch (ParseException e) {
        // RFC 2045 §5.2: an unreadable Content-Type is text/plain; charset=us-ascii
      }
    }
    return new ContentType("text", "plain", null);
  }

  /** 8-bit octets, NUL or a line over 998 octets: what 7bit transport cannot carry. */
  static boolean needsEncoding(byte[] b, int start, int end) {
    int line = 0;
    for (int i = start; i < end; i++) {
      byte c = b[i];
      if (c <= 0) {
        return true;
      }
      if (c == '\n') {
        line = 0;
      } else if (c != '\r' && ++line > MAX_LINE) {
        return true;
      }
    }
    return false;
  }

  private static byte[] quotedPrintable(byte[] b, int start, int end) {
    ByteArrayOutputStream out = new ByteArrayOutputStream((end - start) * 3 / 2 + 16);
    try (OutputStream qp = MimeUtility.encode(out, "quoted-printable")) {
      qp.write(b, start, end - start);
    } catch (IOException | MessagingException e) {
      throw new IllegalStateException("quoted-printable encoding failed", e);
    }
    return out.toByteArray();
  }

  private static byte[] base64(byte[] b, int start, int end) {
    byte[] slice = Arrays.copyOfRange(b, start, end);
    // the CRLF that ends a top-level body, or is ignored as whitespace inside a part
    byte[] encoded = Base64.getMimeEncoder(76, CRLF).encode(slice);
    byte[] withEnd = Arrays.copyOf(encoded, encoded.length + 2);
    withEnd[encoded.length] = '\r';
    withEnd[encoded.length + 1] = '\n';
    return withEnd;
  }

  private static boolean startsWith(byte[] b, int pos, int eol, byte[] prefix) {
    if (eol - pos < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[pos + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean blank(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != ' ' && b[i] != '\t') {
        return false;
      }
    }
    return true;
  }

  private static void ascii(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static String decodeForParsing(String header) {
    try {
      return MimeUtility.decodeText(header);
    } catch (UnsupportedEncodingException e) {
      return header;
    }
  }
}
