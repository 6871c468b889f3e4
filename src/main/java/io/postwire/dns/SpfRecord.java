package io.postwire.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed SPF record (RFC 7208 §4.6, ABNF in §12): directives in order and modifiers.
 *
 * @param terms the directives and modifiers in the order they appear
 */
public record SpfRecord(List<Term> terms) {

  public SpfRecord {
    terms = List.copyOf(terms);
  }

  /** A directive or a modifier. */
  public sealed interface Term {}

  /** The result a matching directive gives (RFC 7208 §4.6.2). */
  public enum Qualifier {
    PASS,
    FAIL,
    SOFTFAIL,
    NEUTRAL
  }

  /** The mechanisms of RFC 7208 §5. */
  public enum Mechanism {
    ALL,
    INCLUDE,
    A,
    MX,
    PTR,
    IP4,
    IP6,
    EXISTS
  }

  /**
   * A qualified mechanism.
   *
   * @param qualifier the result when it matches
   * @param mechanism which mechanism
   * @param domain the domain-spec, or null when the mechanism has none (the current domain is used)
   * @param network the ip4/ip6 network address, null for other mechanisms
   * @param cidr4 the IPv4 prefix length (32 when not given)
   * @param cidr6 the IPv6 prefix length (128 when not given)
   */
  public record Directive(
      Qualifier qualifier,
      Mechanism mechanism,
      MacroString domain,
      InetAddress network,
      int cidr4,
      int cidr6)
      implements Term {}

  /**
   * A modifier {@code name=value}; {@code redirect} and {@code exp} have meaning (§6), others are
   * ignored.
   *
   * @param name the modifier name, lower case
   * @param value the macro-string value
   */
  public record Modifier(String name, MacroString value) implements Term {}

  private static final Pattern MODIFIER_NAME = Pattern.compile("^([A-Za-z][A-Za-z0-9._-]*)=");
  private static final Pattern DUAL_CIDR6 = Pattern.compile("//(0|[1-9][0-9]*)$");
  private static final Pattern CIDR4 = Pattern.compile("/(0|[1-9][0-9]*)$");
  private static final Pattern QNUM =
      Pattern.compile("25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]");
  private static final Pattern IP4 =
      Pattern.compile("(" + QNUM + ")\\.(" + QNUM + ")\\.(" + QNUM + ")\\.(" + QNUM + ")");

  /**
   * Whether a TXT string is an SPF record: {@code v=spf1} followed by a space or nothing (§4.5),
   * case-insensitively.
   */
  public static boolean isSpf(String text) {
    return text.regionMatches(true, 0, "v=spf1", 0, 6)
        && (text.length() == 6 || text.charAt(6) == ' ');
  }

  /** The directives in order. */
  public List<Directive> directives() {
    List<Directive> directives = new ArrayList<>();
    for (Term term : terms) {
      if (term instanceof Directive directive) {
        directives.add(directive);
      }
    }
    return directives;
  }

  /** The {@code redirect=} modifier's domain-spec. */
  public Optional<MacroString> redirect() {
    return modifier("redirect");
  }

  /** The {@code exp=} modifier's domain-spec. */
  public Optional<MacroString> explanation() {
    return modifier("exp");
  }

  private Optional<MacroString> modifier(String name) {
    for (Term term : terms) {
      if (term instanceof Modifier modifier && modifier.name().equals(name)) {
        return Optional.of(modifier.value());
      }
    }
    return Optional.empty();
  }

  /**
   * Parses an SPF record. Any syntax error anywhere makes the whole record invalid (§4.6), so the
   * first one found is thrown with its 1-based position.
   */
  public static SpfRecord parse(String text) {
    if (!isSpf(text)) {
      throw new RecordSyntaxException(1, "an SPF record must start with 'v=spf1'");
    }
    List<Term> terms = new ArrayList<>();
    boolean redirect = false;
    boolean exp = false;
    int i = 6;
    while (i < text.length()) {
      if (text.charAt(i) != ' ') {
        throw new RecordSyntaxException(i + 1, "terms are separated by spaces");
      }
      while (i < text.length() && text.charAt(i) == ' ') {
        i++;
      }
      if (i >= text.length()) {
        break;
      }
      int end = text.indexOf(' ', i);
      if (end < 0) {
        end = text.length();
      }
      String term = text.substring(i, end);
      Term parsed = term(term, i + 1);
      if (parsed instanceof Modifier modifier) {
        // §6: redirect and exp may each appear at most once.
        if (modifier.name().equals("redirect")) {
          if (redirect) {
            throw new RecordSyntaxException(i + 1, "more than one redirect modifier");
          }
          redirect = true;
        } else if (modifier.name().equals("exp")) {
          if (exp) {
            throw new RecordSyntaxException(i + 1, "more than one exp modifier");
          }
          exp = true;
        }
      }
      terms.add(parsed);
      i = end;
    }
    return new SpfRecord(terms);
  }

  private static Term term(String term, int position) {
    Matcher modifier = MODIFIER_NAME.matcher(term);
    if (modifier.find()) {
      String name = modifier.group(1).toLowerCase(Locale.ROOT);
      String value = term.substring(modifier.end());
      int valuePosition = position + modifier.end();
      if (name.equals("redirect") || name.equals("exp")) {
        return new Modifier(name, domainSpec(value, valuePosition));
      }
      return new Modifier(
          name, MacroString.parse(value, valuePosition, MacroString.ALL_LETTERS, true));
    }
    Qualifier qualifier = Qualifier.PASS;
    int i = 0;
    char first = term.charAt(0);
    if ("+-~?".indexOf(first) >= 0) {
      qualifier =
          switch (first) {
            case '-' -> Qualifier.FAIL;
            case '~' -> Qualifier.SOFTFAIL;
            case '?' -> Qualifier.NEUTRAL;
            default -> Qualifier.PASS;
          };
      i = 1;
    }
    int nameEnd = i;
    while (nameEnd < term.length() && Character.isLetterOrDigit(term.charAt(nameEnd))) {
      nameEnd++;
    }
    String name = term.substring(i, nameEnd).toLowerCase(Locale.ROOT);
    String rest = term.substring(nameEnd);
    int restPosition = position + nameEnd;
    Mechanism mechanism =
        switch (name) {
          case "all" -> Mechanism.ALL;
          case "include" -> Mechanism.INCLUDE;
          case "a" -> Mechanism.A;
          case "mx" -> Mechanism.MX;
          case "ptr" -> Mechanism.PTR;
          case "ip4" -> Mechanism.IP4;
          case "ip6" -> Mechanism.IP6;
          case "exists" -> Mechanism.EXISTS;
          default ->
              throw new RecordSyntaxException(
                  position + i, "unknown mechanism '" + term.substring(i) + "'");
        };
    return switch (mechanism) {
      case ALL -> {
        if (!rest.isEmpty()) {
          throw new RecordSyntaxException(restPosition, "'all' takes no argument");
        }
        yield new Directive(qualifier, mechanism, null, null, 32, 128);
      }
      case INCLUDE, EXISTS -> {
        if (!rest.startsWith(":") || rest.length() == 1) {
          throw new RecordSyntaxException(
              restPosition, "'" + name + "' needs ':' and a domain-spec");
        }
        yield new Directive(
            qualifier, mechanism, domainSpec(rest.substring(1), restPosition + 1), null, 32, 128);
      }
      case PTR ->
          new Directive(
              qualifier, mechanism, optionalDomain(rest, restPosition, name), null, 32, 128);
      case A, MX -> {
        int cidr6 = 128;
        int cidr4 = 32;
        Matcher dual = DUAL_CIDR6.matcher(rest);
        if (dual.find()) {
          cidr6 = prefix(dual.group(1), 128, restPosition + dual.start());
          rest = rest.substring(0, dual.start());
        }
        Matcher single = CIDR4.matcher(rest);
        if (single.find()) {
          cidr4 = prefix(single.group(1), 32, restPosition + single.start());
          rest = rest.substring(0, single.start());
        }
        yield new Directive(
            qualifier, mechanism, optionalDomain(rest, restPosition, name), null, cidr4, cidr6);
      }
      case IP4 -> {
        if (!rest.startsWith(":")) {
          throw new RecordSyntaxException(restPosition, "'ip4' needs ':' and a network");
        }
        String network = rest.substring(1);
        int cidr = 32;
        Matcher single = CIDR4.matcher(network);
        if (single.find()) {
          cidr = prefix(single.group(1), 32, restPosition + 1 + single.start());
          network = network.substring(0, single.start());
        }
        if (!IP4.matcher(network).matches()) {
          throw new RecordSyntaxException(
              restPosition + 1, "invalid ip4 network '" + network + "'");
        }
        yield new Directive(qualifier, mechanism, null, ipv4(network), cidr, 128);
      }
      case IP6 -> {
        if (!rest.startsWith(":")) {
          throw new RecordSyntaxException(restPosition, "'ip6' needs ':' and a network");
        }
        String network = rest.substring(1);
        int cidr = 128;
        Matcher single = CIDR4.matcher(network);
        if (single.find()) {
          cidr = prefix(single.group(1), 128, restPosition + 1 + single.start());
          network = network.substring(0, single.start());
        }
        yield new Directive(qualifier, mechanism, null, ipv6(network, restPosition + 1), 32, cidr);
      }
    };
  }

  private static MacroString optionalDomain(String rest, int position, String name) {
    if (rest.isEmpty()) {
      return null;
    }
    if (!rest.startsWith(":") || rest.length() == 1) {
      throw new RecordSyntaxException(position, "'" + name + "' followed by '" + rest + "'");
    }
    return domainSpec(rest.substring(1), position + 1);
  }

  /** domain-spec = macro-string domain-end (§7.1): it must end in a top label or a macro. */
  private static MacroString domainSpec(String text, int position) {
    if (text.isEmpty()) {
      throw new RecordSyntaxException(position, "empty domain-spec");
    }
    MacroString spec = MacroString.parse(text, position, MacroString.DOMAIN_LETTERS, true);
    if (!spec.endsWithMacro() && !endsInTopLabel(spec.trailingLiteral())) {
      throw new RecordSyntaxException(
          position, "domain-spec '" + text + "' must end in a top-level label or a macro");
    }
    return spec;
  }

  /**
   * domain-end = "." toplabel ["."] (§7.1), with toplabel = ( *alphanum ALPHA *alphanum ) / (
   * 1*alphanum "-" *( alphanum / "-" ) alphanum ). Checked in one pass: a regular expression for it
   * backtracks quadratically on a long label, and records reach 64 KB.
   */
  static boolean endsInTopLabel(String text) {
    int end = text.endsWith(".") ? text.length() - 1 : text.length();
    int dot = text.lastIndexOf('.', end - 1);
    if (dot < 0 || dot + 1 >= end) {
      return false;
    }
    boolean letter = false;
    boolean hyphen = false;
    for (int i = dot + 1; i < end; i++) {
      char c = text.charAt(i);
      if (c == '-') {
        hyphen = true;
      } else if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
        letter = true;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    if (!hyphen) {
      return letter;
    }
    return text.charAt(dot + 1) != '-' && text.charAt(end - 1) != '-';
  }

  private static int prefix(String digits, int max, int position) {
    if (digits.length() > 3 || Integer.parseInt(digits) > max) {
      throw new RecordSyntaxException(position, "prefix length /" + digits + " above " + max);
    }
    return Integer.parseInt(digits);
  }

  private static InetAddress ipv4(String network) {
    String[] octets = network.split("\\.");
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      bytes[i] = (byte) Integer.parseInt(octets[i]);
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static InetAddress ipv6(String network, int position) {
    byte[] bytes = Ipv6.parse(network);
    if (bytes == null) {
      throw new RecordSyntaxException(position, "invalid ip6 network '" + network + "'");
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
