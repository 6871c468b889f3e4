package io.postwire.dns;

import java.nio.charset.StandardCharsets;

/**
 * Records as a zone file (RFC 1035 §5.1) writes them. A TXT record's text is one or more
 * character-strings of at most 255 octets each (RFC 1035 §3.3.14); whoever publishes a longer text,
 * such as an RSA-2048 DKIM key, must split it, and verifiers join the strings again (RFC 6376
 * §3.6.2.2, RFC 7208 §3.3).
 */
public final class ZoneFile {

  /** The longest character-string (RFC 1035 §3.3). */
  public static final int MAX_STRING_OCTETS = 255;

  /** The TTL the suggested lines carry. */
  public static final int TTL = 3600;

  private ZoneFile() {}

  /** {@code name. 3600 IN TXT "…" "…"}: the whole line to paste into a zone. */
  public static String txtLine(String name, String text) {
    String owner = name.endsWith(".") ? name : name + ".";
    return owner + " " + TTL + " IN TXT " + quotedStrings(text);
  }

  /**
   * The text as quoted character-strings of at most 255 octets (of its UTF-8 bytes), separated by
   * spaces; quotes and backslashes are escaped, other octets outside printable ASCII are written as
   * {@code \DDD}.
   */
  public static String quotedStrings(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder();
    int start = 0;
    do {
      int end = Math.min(bytes.length, start + MAX_STRING_OCTETS);
      if (start > 0) {
        out.append(' ');
      }
      out.append('"');
      for (int i = start; i < end; i++) {
        int octet = bytes[i] & 0xff;
        if (octet == '"' || octet == '\\') {
          out.append('\\').append((char) octet);
        } else if (octet < 0x20 || octet > 0x7e) {
          out.append('\\').append(String.format("%03d", octet));
        } else {
          out.append((char) octet);
        }
      }
      out.append('"');
      start = end;
    } while (start < bytes.length);
    return out.toString();
  }
}
