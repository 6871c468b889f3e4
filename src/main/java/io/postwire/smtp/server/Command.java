package io.postwire.smtp.server;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One command line (RFC 5321 §4.1): its verb in upper case and the argument after it, with the
 * parsing of MAIL and RCPT paths and their ESMTP parameters.
 */
public record Command(String verb, String argument) {

  /** Splits a command line (without its line end) into verb and argument. */
  public static Command parse(String line) {
    int space = line.indexOf(' ');
    String verb = space < 0 ? line : line.substring(0, space);
    String argument = space < 0 ? "" : line.substring(space + 1).strip();
    return new Command(verb.toUpperCase(Locale.ROOT), argument);
  }

  /** A path with its parameters: {@code <address> KEY=value KEY}; address empty for {@code <>}. */
  public record Path(String address, Map<String, String> parameters) {}

  /**
   * Reads {@code FROM:<path> params} or {@code TO:<path> params} (after {@code keyword}, case
   * insensitive, spaces allowed before the path), or null when it is not one.
   */
  public Path path(String keyword) {
    String a = argument;
    if (!a.regionMatches(true, 0, keyword, 0, keyword.length())) {
      return null;
    }
    a = a.substring(keyword.length()).stripLeading();
    if (!a.startsWith("<")) {
      return null;
    }
    int close = a.indexOf('>');
    if (close < 0) {
      return null;
    }
    String address = a.substring(1, close);
    // a source route (RFC 5321 §4.1.2, obsolete) is accepted and ignored
    if (address.startsWith("@")) {
      int colon = address.indexOf(':');
      if (colon < 0) {
        return null;
      }
      address = address.substring(colon + 1);
    }
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      if (c <= ' ' || c == 127 || c == '<') {
        return null;
      }
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    String rest = a.substring(close + 1);
    if (!rest.isEmpty() && rest.charAt(0) != ' ') {
      return null;
    }
    for (String p : rest.strip().split(" +")) {
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.indexOf('=');
      String name = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
      parameters.put(name, eq < 0 ? null : p.substring(eq + 1));
    }
    return new Path(address, parameters);
  }

  /** Whether {@code address} is a mailbox {@code local@domain} with both parts present. */
  public static boolean mailbox(String address) {
    int at = address.lastIndexOf('@');
    return at > 0 && at < address.length() - 1;
  }
}
