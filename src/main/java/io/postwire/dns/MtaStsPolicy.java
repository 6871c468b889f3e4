package io.postwire.dns;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An MTA-STS policy file, as served at {@code https://mta-sts.domain/.well-known/mta-sts.txt} (RFC
 * 8461 §3.2).
 *
 * @param mode enforce, testing or none
 * @param mx the MX host patterns, each a host name or {@code *.} followed by one
 * @param maxAge how long the policy may be cached, in seconds (at most 31557600)
 */
public record MtaStsPolicy(Mode mode, List<String> mx, long maxAge) {

  /** What a sender does when an MX does not match or its certificate does not verify. */
  public enum Mode {
    ENFORCE,
    TESTING,
    NONE
  }

  /** RFC 8461 §3.2: max_age is at most 31557600 (about a year). */
  public static final long MAX_AGE_LIMIT = 31_557_600L;

  public MtaStsPolicy {
    mx = List.copyOf(mx);
  }

  /**
   * Parses the policy text: {@code key: value} lines ended by LF or CRLF. Unknown keys are ignored;
   * version, mode and max_age are required, and so is at least one mx unless the mode is none.
   */
  public static MtaStsPolicy parse(String text) {
    String version = null;
    Mode mode = null;
    Long maxAge = null;
    List<String> mx = new ArrayList<>();
    int position = 1;
    for (String rawLine : text.split("\n", -1)) {
      String line = rawLine.endsWith("\r") ? rawLine.substring(0, rawLine.length() - 1) : rawLine;
      int linePosition = position;
      position += rawLine.length() + 1;
      if (line.isBlank()) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new RecordSyntaxException(linePosition, "policy line without 'key:': '" + line + "'");
      }
      String key = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      int valuePosition = linePosition + colon + 1;
      switch (key) {
        case "version" -> {
          if (!value.equals("STSv1")) {
            throw new RecordSyntaxException(valuePosition, "version must be STSv1");
          }
          version = value;
        }
        case "mode" -> {
          try {
            mode = Mode.valueOf(value.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw new RecordSyntaxException(
                valuePosition, "mode must be enforce, testing or none, got '" + value + "'");
          }
          if (!value.equals(value.toLowerCase(Locale.ROOT))) {
            throw new RecordSyntaxException(valuePosition, "mode is lower case: '" + value + "'");
          }
        }
        case "max_age" -> {
          if (!value.matches("\\d{1,10}") || Long.parseLong(value) > MAX_AGE_LIMIT) {
            throw new RecordSyntaxException(
                valuePosition,
                "max_age must be 0-" + MAX_AGE_LIMIT + " seconds, got '" + value + "'");
          }
          maxAge = Long.parseLong(value);
        }
        case "mx" -> {
          String pattern = value.toLowerCase(Locale.ROOT);
          String host = pattern.startsWith("*.") ? pattern.substring(2) : pattern;
          if (!host.matches(
              "[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+\\.?")) {
            throw new RecordSyntaxException(valuePosition, "invalid mx pattern '" + value + "'");
          }
          mx.add(pattern.endsWith(".") ? pattern.substring(0, pattern.length() - 1) : pattern);
        }
        default -> {
          // §3.2: unknown fields are for future extensions and are ignored.
        }
      }
    }
    if (version == null) {
      throw new RecordSyntaxException(1, "required field version is missing");
    }
    if (mode == null) {
      throw new RecordSyntaxException(1, "required field mode is missing");
    }
    if (maxAge == null) {
      throw new RecordSyntaxException(1, "required field max_age is missing");
    }
    if (mx.isEmpty() && mode != Mode.NONE) {
      throw new RecordSyntaxException(1, "a policy in mode " + mode + " needs at least one mx");
    }
    return new MtaStsPolicy(mode, mx, maxAge);
  }

  /**
   * Whether an MX host name matches one of the patterns (RFC 8461 §4.1): exactly, or for {@code
   * *.example.com} any name with exactly one more label on the left.
   */
  public boolean matches(String mxHost) {
    String host = mxHost.toLowerCase(Locale.ROOT);
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    for (String pattern : mx) {
      if (pattern.startsWith("*.")) {
        int dot = host.indexOf('.');
        if (dot > 0 && host.substring(dot + 1).equals(pattern.substring(2))) {
          return true;
        }
      } else if (pattern.equals(host)) {
        return true;
      }
    }
    return false;
  }
}
