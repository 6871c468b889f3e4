package io.postwire.message;

import io.postwire.platform.ApiException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Messages the caller built ({@code /v1/messages/raw}): decoded, checked to be 7-bit with lines of
 * at most 998 octets (RFC 5322 §2.1.1; no 8BITMIME or SMTPUTF8 yet), line ends made CRLF, and given
 * a Message-ID and Date when they lack one.
 */
public final class RawMessages {

  private RawMessages() {}

  /** A parsed raw message. */
  public record Raw(
      byte[] bytes, Mailbox from, String fromHeader, String subject, String messageId) {}

  public static Raw parse(String base64, String domainForId, java.time.Instant now) {
    if (base64 == null || base64.isBlank()) {
      throw ApiException.field("validation_failed", "raw", "is required (base64)");
    }
    byte[] decoded;
    try {
      decoded = Base64.getMimeDecoder().decode(base64.replaceAll("[\\r\\n\\t ]", ""));
    } catch (IllegalArgumentException e) {
      throw ApiException.field("validation_failed", "raw", "is not valid base64");
    }
    byte[] crlf = crlf(decoded);
    int headerEnd = indexOf(crlf, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    String headerBlock =
        new String(crlf, 0, headerEnd < 0 ? crlf.length : headerEnd + 2, StandardCharsets.US_ASCII);
    List<String[]> fields = fields(headerBlock);
    List<String> froms = values(fields, "from");
    if (froms.size() != 1) {
      throw ApiException.field("validation_failed", "raw", "needs exactly one From header field");
    }
    String fromHeader = froms.get(0).trim();
    Mailbox from = Mailbox.parse(decodeForParsing(fromHeader), "raw.From");
    List<String> subjects = values(fields, "subject");
    String subject = subjects.isEmpty() ? null : subjects.get(0).trim();
    List<String> ids = values(fields, "message-id");
    StringBuilder prefix = new StringBuilder();
    String messageId;
    if (ids.isEmpty()) {
      messageId = "<" + UUID.randomUUID() + "@" + domainForId + ">";
      prefix.append("Message-ID: ").append(messageId).append("\r\n");
    } else {
      messageId = ids.get(0).trim();
    }
    if (values(fields, "date").isEmpty()) {
      prefix
          .append("Date: ")
          .append(
              DateTimeFormatter.RFC_1123_DATE_TIME.format(
                  ZonedDateTime.ofInstant(now, java.time.ZoneOffset.UTC)))
          .append("\r\n");
    }
    byte[] bytes = crlf;
    if (prefix.length() > 0) {
      byte[] head = prefix.toString().getBytes(StandardCharsets.US_ASCII);
      bytes = new byte[head.length + crlf.length];
      System.arraycopy(head, 0, bytes, 0, head.length);
      System.arraycopy(crlf, 0, bytes, head.length, crlf.length);
    }
    return new Raw(bytes, from, fromHeader, subject, messageId);
  }

  /** LF or lone CR become CRLF; refuses 8-bit bytes, NUL and lines over 998 octets. */
  static byte[] crlf(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + in.length / 40);
    int lineLength = 0;
    for (int i = 0; i < in.length; i++) {
      int b = in[i] & 0xff;
      if (b >= 128 || b == 0) {
        throw ApiException.field(
            "validation_failed", "raw", "must be 7-bit (8BITMIME and SMTPUTF8 are not supported)");
      }
      if (b == '\r' || b == '\n') {
        if (b == '\r' && i + 1 < in.length && in[i + 1] == '\n') {
          i++;
        }
        out.write('\r');
        out.write('\n');
        lineLength = 0;
        continue;
      }
      if (++lineLength > 998) {
        throw ApiException.field("validation_failed", "raw", "has a line over 998 octets");
      }
      out.write(b);
    }
    if (lineLength > 0) {
      out.write('\r');
      out.write('\n');
    }
    return out.toByteArray();
  }

  /** Unfolded header fields as {name, value}. */
  static List<String[]> fields(String headerBlock) {
    List<String[]> fields = new ArrayList<>();
    String unfolded = headerBlock.replace("\r\n ", " ").replace("\r\n\t", "\t");
    for (String line : unfolded.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        fields.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1)});
      }
    }
    return fields;
  }

  private static List<String> values(List<String[]> fields, String name) {
    List<String> values = new ArrayList<>();
    for (String[] f : fields) {
      if (f[0].toLowerCase(Locale.ROOT).equals(name)) {
        values.add(f[1]);
      }
    }
    return values;
  }

  private static String decodeForParsing(String header) {
    try {
      return jakarta.mail.internet.MimeUtility.decodeText(header);
    } catch (java.io.UnsupportedEncodingException e) {
      return header;
    }
  }

  static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= data.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
