package io.postwire.domain;

import io.postwire.platform.Refusal;
import java.net.IDN;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Domain name syntax (RFC 1035 §2.3.1 as relaxed by RFC 1123 §2.1), IDNs as A-labels: the one place
 * where a domain or address the caller gives becomes the form it is stored, scoped and looked up
 * in, so {@code bücher.example} and {@code xn--bcher-kva.example} are the same name everywhere.
 */
public final class DomainNames {

  private static final Pattern LABEL = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?");

  private DomainNames() {}

  /** The A-label, lower-case form of a domain name, or {@code null} when it is not one. */
  public static String normalize(String name) {
    if (name == null) {
      return null;
    }
    String candidate = name.trim();
    if (candidate.endsWith(".")) {
      candidate = candidate.substring(0, candidate.length() - 1);
    }
    if (candidate.isEmpty() || candidate.length() > 253) {
      return null;
    }
    try {
      candidate = IDN.toASCII(candidate, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return null;
    }
    String[] labels = candidate.split("\\.", -1);
    if (labels.length < 2 || candidate.length() > 253) {
      return null;
    }
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        return null;
      }
    }
    return candidate;
  }

  /** Like {@link #normalize} but refuses (invalid) naming {@code field}. */
  public static String require(String name, String field) {
    String normalized = normalize(name);
    if (normalized == null) {
      throw Refusal.field("validation_failed", field, "is not a valid domain name");
    }
    return normalized;
  }

  /**
   * The form an address is stored and looked up in (suppressions, recipients): lower case, the
   * domain as an A-label. Text that is no address comes back trimmed and in lower case, so it finds
   * nothing rather than failing.
   */
  public static String address(String text) {
    if (text == null) {
      return null;
    }
    String trimmed = text.trim();
    int at = trimmed.lastIndexOf('@');
    String domain = at > 0 ? normalize(trimmed.substring(at + 1)) : null;
    String local = at > 0 ? trimmed.substring(0, at) : trimmed;
    return domain == null
        ? trimmed.toLowerCase(Locale.ROOT)
        : local.toLowerCase(Locale.ROOT) + "@" + domain;
  }
}
