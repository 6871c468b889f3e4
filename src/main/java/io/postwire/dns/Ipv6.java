package io.postwire.dns;

/** Strict IPv6 text parsing (RFC 4291 §2.2) to 16 bytes, without any name lookup. */
final class Ipv6 {

  private Ipv6() {}

  /** The 16 address bytes, or null when {@code text} is not an IPv6 address. */
  static byte[] parse(String text) {
    if (text.isEmpty() || !text.matches("[0-9A-Fa-f:.]+")) {
      return null;
    }
    int doubleColon = text.indexOf("::");
    if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0) {
      return null;
    }
    String head = doubleColon >= 0 ? text.substring(0, doubleColon) : text;
    String tail = doubleColon >= 0 ? text.substring(doubleColon + 2) : "";
    int[] headGroups = groups(head, doubleColon < 0);
    int[] tailGroups = groups(tail, true);
    if (headGroups == null || tailGroups == null) {
      return null;
    }
    int total = headGroups.length + tailGroups.length;
    if (doubleColon < 0 ? total != 8 : total > 7) {
      return null;
    }
    int[] all = new int[8];
    System.arraycopy(headGroups, 0, all, 0, headGroups.length);
    System.arraycopy(tailGroups, 0, all, 8 - tailGroups.length, tailGroups.length);
    byte[] bytes = new byte[16];
    for (int i = 0; i < 8; i++) {
      bytes[2 * i] = (byte) (all[i] >> 8);
      bytes[2 * i + 1] = (byte) all[i];
    }
    return bytes;
  }

  /** 16-bit groups; an embedded IPv4 address is allowed as the last part when {@code last}. */
  private static int[] groups(String part, boolean last) {
    if (part.isEmpty()) {
      return new int[0];
    }
    String[] pieces = part.split(":", -1);
    int count = pieces.length;
    boolean v4 = last && pieces[count - 1].contains(".");
    int[] groups = new int[v4 ? count + 1 : count];
    for (int i = 0; i < count; i++) {
      String piece = pieces[i];
      if (v4 && i == count - 1) {
        String[] octets = piece.split("\\.", -1);
        if (octets.length != 4) {
          return null;
        }
        int[] value = new int[4];
        for (int j = 0; j < 4; j++) {
          if (!octets[j].matches("25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]")) {
            return null;
          }
          value[j] = Integer.parseInt(octets[j]);
        }
        groups[i] = value[0] << 8 | value[1];
        groups[i + 1] = value[2] << 8 | value[3];
      } else {
        if (piece.isEmpty() || piece.length() > 4 || piece.contains(".")) {
          return null;
        }
        groups[i] = Integer.parseInt(piece, 16);
      }
    }
    return groups;
  }
}
