package io.postwire.domain;

import io.postwire.platform.Refusal;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.io.UnsupportedEncodingException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An RFC 5322 mailbox as the API accepts it: {@code alice@example.com} or {@code Alice Doe
 * <alice@example.com>}. Display names may be any Unicode; the domain is kept as an A-label; a
 * quoted ASCII local part ({@code "bob smith"@example.org}) is kept quoted; a non-ASCII local part
 * (no SMTPUTF8) and an address literal ({@code bob@[127.0.0.1]}) are refused.
 *
 * @param displayName the display name, or {@code null}
 * @param localPart the ASCII local part, a quoted-string with its quotes
 * @param domain the domain, lower case, A-label form
 */
public record Mailbox(String displayName, String localPart, String domain) {

  /** The addr-spec, as used in the SMTP envelope. */
  public String address() {
    return localPart + "@" + domain;
  }

  /** The address for header fields, display name RFC 2047-encoded where needed. */
  public InternetAddress toInternetAddress() {
    try {
      return displayName == null
          ? new InternetAddress(address())
          : new InternetAddress(address(), displayName, StandardCharsets.UTF_8.name());
    } catch (AddressException | UnsupportedEncodingException e) {
      throw new IllegalStateException("A validated mailbox failed to render: " + address(), e);
    }
  }

  /**
   * Parses one mailbox, refusing with the API.md codes: {@code header_injection} for CR or LF,
   * {@code unsupported_address} for a non-ASCII local part, {@code invalid_address} otherwise.
   */
  public static Mailbox parse(String text, String field) {
    if (text == null || text.isBlank()) {
      throw Refusal.field("invalid_address", field, "is required");
    }
    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
      throw Refusal.field("header_injection", field, "must not contain CR or LF");
    }
    if (text.length() > 998) {
      throw Refusal.field("invalid_address", field, "is too long");
    }
    InternetAddress[] parsed;
    try {
      parsed = InternetAddress.parseHeader(text, true);
    } catch (AddressException e) {
      throw Refusal.field("invalid_address", field, "is not an RFC 5322 mailbox");
    }
    if (parsed.length != 1 || parsed[0].isGroup()) {
      throw Refusal.field("invalid_address", field, "must be exactly one mailbox");
    }
    String addrSpec = parsed[0].getAddress();
    int at = addrSpec == null ? -1 : addrSpec.lastIndexOf('@');
    if (at <= 0 || at == addrSpec.length() - 1) {
      throw Refusal.field("invalid_address", field, "needs a local part and a domain");
    }
    String local = addrSpec.substring(0, at);
    String domain = addrSpec.substring(at + 1);
    if (!local.chars().allMatch(c -> c < 127)) {
      throw Refusal.field(
          "unsupported_address", field, "a non-ASCII local part needs SMTPUTF8, not supported");
    }
    // RFC 5322 §3.4.1: a dot-atom, or a quoted-string ("bob smith"), kept quoted as given
    boolean quoted = local.length() >= 2 && local.startsWith("\"") && local.endsWith("\"");
    if (!local.chars().allMatch(c -> c > 32 || quoted && c == ' ')) {
      throw Refusal.field("invalid_address", field, "is not an RFC 5322 mailbox");
    }
    if (local.length() > 64) {
      throw Refusal.field("invalid_address", field, "local part over 64 octets");
    }
    if (domain.startsWith("[")) {
      throw Refusal.field(
          "unsupported_address", field, "address literals ([127.0.0.1]) are not supported");
    }
    String asciiDomain = DomainNames.normalize(domain);
    if (asciiDomain == null) {
      throw Refusal.field("invalid_address", field, "has no valid domain");
    }
    try {
      new InternetAddress(local + "@" + asciiDomain, true).validate();
    } catch (AddressException e) {
      throw Refusal.field("invalid_address", field, "is not an RFC 5322 mailbox");
    }
    String personal = parsed[0].getPersonal();
    if (personal != null && personal.isBlank()) {
      personal = null;
    }
    return new Mailbox(personal, local, asciiDomain.toLowerCase(Locale.ROOT));
  }

  /** The Unicode form of the domain, for display. */
  public String unicodeDomain() {
    return IDN.toUnicode(domain);
  }
}
