package io.postwire.dns;

import io.postwire.dns.SpfRecord.Directive;
import io.postwire.dns.SpfResult.Result;
import io.smallrye.mutiny.Uni;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * RFC 7208's {@code check_host()}, asynchronous over {@link Dns}: record selection (§4.4, §4.5),
 * all mechanisms (§5), redirect and exp (§6), macros (§7) and the processing limits (§4.6.4).
 */
public final class SpfEvaluator {

  /**
   * The longest macro expansion built (§7.3): a domain name is at most 253 characters, so anything
   * past a few KB comes from a hostile sender or record; it is a permerror, not a 2 GB string.
   */
  static final int MAX_EXPANSION = 4096;

  private final Dns dns;
  private final String receiver;
  private final MacroString defaultExplanation;
  private final Clock clock;

  /**
   * @param dns the resolver
   * @param receiver this host's name, for the {@code %{r}} macro in explanations
   * @param defaultExplanation the explanation for a fail whose record gives none, a macro-string
   *     such as {@code "%{d} does not authorize %{i} to send mail"}
   */
  public SpfEvaluator(Dns dns, String receiver, String defaultExplanation) {
    this(dns, receiver, defaultExplanation, Clock.systemUTC());
  }

  SpfEvaluator(Dns dns, String receiver, String defaultExplanation, Clock clock) {
    this.dns = dns;
    this.receiver = receiver;
    this.defaultExplanation =
        MacroString.parse(defaultExplanation, 1, MacroString.ALL_LETTERS, false);
    this.clock = clock;
  }

  /**
   * Checks the MAIL FROM identity as RFC 7208 §2.4 describes: the sender's domain, or {@code
   * postmaster@helo} when the reverse path is empty.
   */
  public Uni<SpfResult> checkMailFrom(InetAddress ip, String mailFrom, String helo) {
    String sender = mailFrom == null || mailFrom.isEmpty() ? "postmaster@" + helo : mailFrom;
    int at = sender.lastIndexOf('@');
    String domain = at >= 0 ? sender.substring(at + 1) : sender;
    return checkHost(ip, domain, sender, helo);
  }

  /**
   * {@code check_host(ip, domain, sender)} of RFC 7208 §4.
   *
   * @param ip the SMTP client's address (IPv4-mapped IPv6 addresses count as IPv4, §5)
   * @param domain the domain whose policy is checked
   * @param sender the MAIL FROM address or {@code postmaster@helo}
   * @param helo the HELO/EHLO name, for the {@code %{h}} macro
   */
  public Uni<SpfResult> checkHost(InetAddress ip, String domain, String sender, String helo) {
    String local;
    String senderDomain;
    int at = sender.lastIndexOf('@');
    if (at >= 0) {
      local = sender.substring(0, at);
      senderDomain = sender.substring(at + 1);
    } else {
      local = "postmaster";
      senderDomain = sender;
    }
    if (local.isEmpty()) {
      local = "postmaster"; // §4.3
    }
    Check check = new Check(ip, local, senderDomain, helo == null ? "" : helo);
    String target = stripDot(domain);
    // §4.3: a malformed or single-label domain gives "none" before any lookup.
    if (!wellFormed(target)) {
      return Uni.createFrom().item(new SpfResult(Result.NONE, "", 0));
    }
    return evaluate(check, target, true)
        .onFailure(Abort.class)
        .recoverWithItem(failure -> ((Abort) failure).outcome)
        .onItem()
        .transform(
            outcome ->
                new SpfResult(
                    outcome.result(),
                    outcome.explanation(),
                    Math.min(check.limits.terms(), SpfLimits.MAX_DNS_TERMS)));
  }

  /** One result on its way up, with the explanation when it is a fail. */
  private record Outcome(Result result, String explanation) {}

  /** Ends evaluation at once with a temperror or permerror (§4.6.4, §5.2). */
  private static final class Abort extends RuntimeException {
    final Outcome outcome;

    Abort(Result result, String reason) {
      super(reason, null, false, false);
      this.outcome = new Outcome(result, reason);
    }
  }

  /** State shared by every record evaluated in one check: the inputs and the limits' counters. */
  private static final class Check {
    final InetAddress ip;
    final String local;
    final String senderDomain;
    final String helo;
    final SpfLimits limits = new SpfLimits();
    String pName;

    Check(InetAddress ip, String local, String senderDomain, String helo) {
      this.ip = ip;
      this.local = local;
      this.senderDomain = senderDomain;
      this.helo = helo;
    }

    String sender() {
      return local + "@" + senderDomain;
    }

    void countTerm() {
      if (!limits.countTerm()) {
        throw new Abort(Result.PERMERROR, SpfLimits.termsExceeded());
      }
    }

    void countVoid() {
      if (!limits.countVoid()) {
        throw new Abort(Result.PERMERROR, SpfLimits.voidsExceeded());
      }
    }
  }

  /** check_host for one domain: find the record (§4.4, §4.5), then run it (§4.6). */
  private Uni<Outcome> evaluate(Check check, String domain, boolean topLevel) {
    return dns.lookup(domain, Type.TXT)
        .onItem()
        .transformToUni(
            outcome -> {
              if (outcome instanceof LookupOutcome.TempError failure) {
                throw new Abort(
                    Result.TEMPERROR, "TXT lookup for " + domain + ": " + failure.reason());
              }
              List<String> spf = new ArrayList<>();
              for (String text : Dns.texts(outcome)) {
                if (SpfRecord.isSpf(text)) {
                  spf.add(text);
                }
              }
              if (spf.isEmpty()) {
                return Uni.createFrom()
                    .item(new Outcome(Result.NONE, "no SPF record at " + domain));
              }
              if (spf.size() > 1) {
                throw new Abort(Result.PERMERROR, "more than one SPF record at " + domain);
              }
              SpfRecord record;
              try {
                record = SpfRecord.parse(spf.get(0));
              } catch (RecordSyntaxException e) {
                throw new Abort(
                    Result.PERMERROR, "SPF record at " + domain + ": " + e.getMessage());
              }
              return run(check, domain, record, 0);
            });
  }

  /** Evaluates directives from {@code index} on, then redirect (§6.1), then the default. */
  private Uni<Outcome> run(Check check, String domain, SpfRecord record, int index) {
    List<Directive> directives = record.directives();
    // Terms that need no DNS are tried in a loop: a record of thousands of ip4 terms would
    // otherwise nest one Uni per term and overflow the stack. Only DNS-querying terms recurse,
    // and there are at most 10 of those (§4.6.4).
    while (index < directives.size()) {
      Directive directive = directives.get(index);
      if (!queriesDns(directive)) {
        if (matchesWithoutDns(check, directive)) {
          return finish(check, domain, record, resultOf(directive.qualifier()));
        }
        index++;
        continue;
      }
      int next = index + 1;
      return matches(check, domain, directive)
          .onItem()
          .transformToUni(
              matched ->
                  matched
                      ? finish(check, domain, record, resultOf(directive.qualifier()))
                      : run(check, domain, record, next));
    }
    Optional<MacroString> redirect = record.redirect();
    if (redirect.isPresent()) {
      check.countTerm();
      return expandDomainAsync(check, domain, redirect.get())
          .onItem()
          .transformToUni(
              target -> {
                if (target == null) {
                  throw new Abort(Result.PERMERROR, "redirect to an invalid domain");
                }
                return evaluate(check, target, false)
                    .onItem()
                    .transform(
                        outcome -> {
                          if (outcome.result() == Result.NONE) {
                            // §6.1: a redirect to a domain without a record is a permerror.
                            throw new Abort(
                                Result.PERMERROR, "redirect to " + target + " finds no SPF record");
                          }
                          return outcome;
                        });
              });
    }
    return Uni.createFrom().item(new Outcome(Result.NEUTRAL, "")); // §4.7
  }

  /** A matched directive's result, with the explanation a fail carries (§6.2). */
  private Uni<Outcome> finish(Check check, String domain, SpfRecord record, Result result) {
    if (result != Result.FAIL) {
      return Uni.createFrom().item(new Outcome(result, ""));
    }
    Optional<MacroString> exp = record.explanation();
    if (exp.isEmpty()) {
      return defaultOutcome(check, domain, result);
    }
    return expandDomainAsync(check, domain, exp.get())
        .onFailure(Abort.class)
        .recoverWithItem((String) null)
        .onItem()
        .transformToUni(
            target -> {
              if (target == null) {
                return defaultOutcome(check, domain, result);
              }
              return dns.lookup(target, Type.TXT)
                  .onItem()
                  .transformToUni(
                      outcome -> {
                        // §6.2: any trouble fetching or expanding the explanation gives the
                        // default.
                        if (!(outcome instanceof LookupOutcome.Records)) {
                          return defaultOutcome(check, domain, result);
                        }
                        List<String> texts = Dns.texts(outcome);
                        if (texts.size() != 1) {
                          return defaultOutcome(check, domain, result);
                        }
                        MacroString text;
                        try {
                          text = MacroString.parse(texts.get(0), 1, MacroString.ALL_LETTERS, false);
                        } catch (RecordSyntaxException e) {
                          return defaultOutcome(check, domain, result);
                        }
                        return expandTextAsync(check, domain, text)
                            .onItem()
                            .transform(explanation -> new Outcome(result, explanation));
                      });
            });
  }

  private Uni<Outcome> defaultOutcome(Check check, String domain, Result result) {
    return expandTextAsync(check, domain, defaultExplanation)
        .onItem()
        .transform(explanation -> new Outcome(result, explanation));
  }

  private static Result resultOf(SpfRecord.Qualifier qualifier) {
    return switch (qualifier) {
      case PASS -> Result.PASS;
      case FAIL -> Result.FAIL;
      case SOFTFAIL -> Result.SOFTFAIL;
      case NEUTRAL -> Result.NEUTRAL;
    };
  }

  private static boolean queriesDns(Directive directive) {
    return SpfLimits.queriesDns(directive.mechanism());
  }

  /** Whether {@code all}, {@code ip4} or {@code ip6} matches (§5.1, §5.6). */
  private static boolean matchesWithoutDns(Check check, Directive directive) {
    return directive.mechanism() == SpfRecord.Mechanism.ALL || ipMatches(check.ip, directive);
  }

  /** Whether one DNS-querying mechanism matches (§5). */
  private Uni<Boolean> matches(Check check, String domain, Directive directive) {
    check.countTerm();
    Uni<String> target =
        directive.domain() == null
            ? Uni.createFrom().item(domain)
            : expandDomainAsync(check, domain, directive.domain());
    return target.onItem().transformToUni(name -> matchesAt(check, name, directive));
  }

  private Uni<Boolean> matchesAt(Check check, String target, Directive directive) {
    if (target == null) {
      // An expansion that is no domain name matches nothing (§4.8).
      return Uni.createFrom().item(false);
    }
    switch (directive.mechanism()) {
      case INCLUDE:
        return evaluate(check, target, false)
            .onItem()
            .transform(
                outcome ->
                    switch (outcome.result()) {
                      // §5.2: the included result only says whether this mechanism matches.
                      case PASS -> true;
                      case FAIL, SOFTFAIL, NEUTRAL -> false;
                      case TEMPERROR -> throw new Abort(Result.TEMPERROR, outcome.explanation());
                      case PERMERROR -> throw new Abort(Result.PERMERROR, outcome.explanation());
                      case NONE ->
                          throw new Abort(
                              Result.PERMERROR, "include:" + target + " has no SPF record");
                    });
      case A:
        return addressLookup(check, target, true)
            .onItem()
            .transform(addresses -> anyInNetwork(check.ip, addresses, directive));
      case MX:
        return mxMatches(check, target, directive);
      case PTR:
        return validatedNames(check, check.ip, target)
            .onItem()
            .transform(names -> names.stream().anyMatch(name -> isSubdomainOrEqual(name, target)));
      case EXISTS:
        // §5.7: always an A query, whatever the client's address family.
        return dns.lookup(target, Type.A)
            .onItem()
            .transform(
                outcome -> {
                  List<Record> records = records(check, target, outcome, true);
                  return !records.isEmpty();
                });
      default:
        throw new IllegalStateException("unhandled mechanism " + directive.mechanism());
    }
  }

  private Uni<Boolean> mxMatches(Check check, String target, Directive directive) {
    return dns.lookup(target, Type.MX)
        .onItem()
        .transformToUni(
            outcome -> {
              List<String> hosts = new ArrayList<>();
              for (Record record : records(check, target, outcome, true)) {
                if (record instanceof MXRecord mx) {
                  hosts.add(stripDot(mx.getTarget().toString()));
                }
              }
              if (hosts.size() > SpfLimits.MAX_MX_NAMES) {
                throw new Abort(
                    Result.PERMERROR,
                    "mx:" + target + " has more than " + SpfLimits.MAX_MX_NAMES + " names");
              }
              return anyHostMatches(check, hosts, 0, directive);
            });
  }

  private Uni<Boolean> anyHostMatches(Check check, List<String> hosts, int index, Directive d) {
    if (index >= hosts.size()) {
      return Uni.createFrom().item(false);
    }
    return addressLookup(check, hosts.get(index), false)
        .onItem()
        .transformToUni(
            addresses ->
                anyInNetwork(check.ip, addresses, d)
                    ? Uni.createFrom().item(true)
                    : anyHostMatches(check, hosts, index + 1, d));
  }

  /** A or AAAA records of {@code name}, whichever matches the client's address family. */
  private Uni<List<InetAddress>> addressLookup(Check check, String name, boolean countVoid) {
    int type = check.ip instanceof Inet4Address ? Type.A : Type.AAAA;
    return dns.lookup(name, type)
        .onItem()
        .transform(
            outcome -> {
              List<InetAddress> addresses = new ArrayList<>();
              for (Record record : records(check, name, outcome, countVoid)) {
                if (record instanceof ARecord a) {
                  addresses.add(a.getAddress());
                } else if (record instanceof AAAARecord aaaa) {
                  addresses.add(aaaa.getAddress());
                }
              }
              return addresses;
            });
  }

  /** The records of an outcome; a temporary failure aborts with temperror (§5). */
  private static List<Record> records(
      Check check, String name, LookupOutcome outcome, boolean countVoid) {
    if (outcome instanceof LookupOutcome.TempError failure) {
      throw new Abort(Result.TEMPERROR, "lookup of " + name + ": " + failure.reason());
    }
    if (outcome instanceof LookupOutcome.Records found) {
      return found.records();
    }
    if (countVoid) {
      check.countVoid();
    }
    return List.of();
  }

  /**
   * The names of {@code ip} that resolve back to it (§5.5): PTR names, the first 10, each checked
   * by a forward lookup; DNS errors leave a name out. Names equal to or under {@code preferred}
   * come first.
   */
  private Uni<List<String>> validatedNames(Check check, InetAddress ip, String preferred) {
    String reverse = reverseName(ip);
    return dns.lookup(reverse, Type.PTR)
        .onItem()
        .transformToUni(
            outcome -> {
              if (!(outcome instanceof LookupOutcome.Records found)) {
                if (check != null && !(outcome instanceof LookupOutcome.TempError)) {
                  check.countVoid();
                }
                return Uni.createFrom().item(List.<String>of());
              }
              List<String> names = new ArrayList<>();
              for (Record record : found.records()) {
                if (record instanceof PTRRecord ptr && names.size() < SpfLimits.MAX_PTR_NAMES) {
                  names.add(stripDot(ptr.getTarget().toString()));
                }
              }
              List<String> ordered = new ArrayList<>();
              for (String name : names) {
                if (isSubdomainOrEqual(name, preferred)) {
                  ordered.add(name);
                }
              }
              for (String name : names) {
                if (!ordered.contains(name)) {
                  ordered.add(name);
                }
              }
              return validate(ip, ordered, 0, new ArrayList<>());
            });
  }

  private Uni<List<String>> validate(
      InetAddress ip, List<String> names, int index, List<String> valid) {
    if (index >= names.size()) {
      return Uni.createFrom().item(valid);
    }
    String name = names.get(index);
    int type = ip instanceof Inet4Address ? Type.A : Type.AAAA;
    return dns.lookup(name, type)
        .onItem()
        .transformToUni(
            outcome -> {
              if (outcome instanceof LookupOutcome.Records found) {
                for (Record record : found.records()) {
                  InetAddress address =
                      record instanceof ARecord a
                          ? a.getAddress()
                          : record instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
                  if (address != null && Arrays.equals(address.getAddress(), ip.getAddress())) {
                    valid.add(name);
                    break;
                  }
                }
              }
              return validate(ip, names, index + 1, valid);
            });
  }

  private static boolean anyInNetwork(
      InetAddress ip, List<InetAddress> addresses, Directive directive) {
    int prefix = ip instanceof Inet4Address ? directive.cidr4() : directive.cidr6();
    for (InetAddress address : addresses) {
      if (inNetwork(ip, address, prefix)) {
        return true;
      }
    }
    return false;
  }

  private static boolean ipMatches(InetAddress ip, Directive directive) {
    InetAddress network = directive.network();
    if (directive.mechanism() == SpfRecord.Mechanism.IP4) {
      return ip instanceof Inet4Address && inNetwork(ip, network, directive.cidr4());
    }
    if (!(ip instanceof Inet6Address)) {
      return false;
    }
    byte[] bytes = network.getAddress();
    if (bytes.length == 4) {
      // Java reads ::ffff:a.b.c.d as IPv4; an ip6 network is compared as 16 bytes.
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      bytes = mapped;
    }
    return prefixEquals(ip.getAddress(), bytes, directive.cidr6());
  }

  private static boolean inNetwork(InetAddress ip, InetAddress network, int prefix) {
    byte[] a = ip.getAddress();
    byte[] b = network.getAddress();
    return a.length == b.length && prefixEquals(a, b, prefix);
  }

  private static boolean prefixEquals(byte[] a, byte[] b, int prefix) {
    if (a.length != b.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != b[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (b[full] & mask);
  }

  /**
   * Expands a domain-spec (§7.3) and shortens it to 253 characters by dropping labels on the left;
   * null when the result is no usable domain name.
   */
  private String expandDomain(Check check, String domain, MacroString spec) {
    String expanded = stripDot(expand(check, domain, spec, false));
    if (expanded.length() > 253) {
      // Dropping labels one at a time until 253 remain keeps the text after the first dot at
      // or past length - 254: found in one step, not one copy per label.
      int dot = expanded.indexOf('.', expanded.length() - 254);
      if (dot < 0) {
        return null;
      }
      expanded = expanded.substring(dot + 1);
    }
    if (expanded.isEmpty()) {
      return null;
    }
    for (String label : expanded.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63) {
        return null;
      }
    }
    return expanded;
  }

  /** Expands macros (§7.3, §7.4); {@code p} is resolved only when used, and not counted. */
  private String expand(Check check, String domain, MacroString spec, boolean explanation) {
    StringBuilder out = new StringBuilder();
    for (MacroString.Part part : spec.parts()) {
      if (part instanceof MacroString.Literal literal) {
        out.append(literal.text());
        continue;
      }
      MacroString.Macro macro = (MacroString.Macro) part;
      String value =
          switch (macro.letter()) {
            case 's' -> check.sender();
            case 'l' -> check.local;
            case 'o' -> check.senderDomain;
            case 'd' -> domain;
            case 'i' -> dotted(check.ip);
            case 'p' -> check.pName == null ? "unknown" : check.pName;
            case 'v' -> check.ip instanceof Inet4Address ? "in-addr" : "ip6";
            case 'h' -> check.helo;
            case 'c' -> readable(check.ip);
            case 'r' -> receiver;
            case 't' -> Long.toString(clock.instant().getEpochSecond());
            default -> throw new IllegalStateException("macro letter " + macro.letter());
          };
      if (value.length() > MAX_EXPANSION) {
        throw tooLong();
      }
      String transformed = transform(value, macro);
      out.append(macro.urlEscape() ? urlEscape(transformed) : transformed);
      if (out.length() > MAX_EXPANSION) {
        throw tooLong();
      }
    }
    return out.toString();
  }

  private static Abort tooLong() {
    return new Abort(
        Result.PERMERROR, "macro expansion longer than " + MAX_EXPANSION + " characters");
  }

  /**
   * Resolves the client's validated name once per check when {@code spec} uses the {@code p} macro
   * (§7.3: "unknown" when there is none); a lookup for it counts toward no limit.
   */
  private Uni<Void> resolvePIfUsed(Check check, String domain, MacroString spec) {
    boolean usesP =
        spec.parts().stream()
            .anyMatch(part -> part instanceof MacroString.Macro m && m.letter() == 'p');
    if (!usesP || check.pName != null) {
      return Uni.createFrom().voidItem();
    }
    return validatedNames(null, check.ip, domain)
        .onItem()
        .transform(
            names -> {
              check.pName = names.isEmpty() ? "unknown" : names.get(0);
              return null;
            });
  }

  /** Expands a domain-spec once the {@code p} macro, if used, is known; null when unusable. */
  private Uni<String> expandDomainAsync(Check check, String domain, MacroString spec) {
    return resolvePIfUsed(check, domain, spec)
        .onItem()
        .transform(ignored -> expandDomain(check, domain, spec));
  }

  /** Expands explanation text once the {@code p} macro, if used, is known. */
  private Uni<String> expandTextAsync(Check check, String domain, MacroString text) {
    return resolvePIfUsed(check, domain, text)
        .onItem()
        .transform(ignored -> expand(check, domain, text, true))
        // §6.2: trouble with the explanation never changes the result; it only loses the text.
        .onFailure(Abort.class)
        .recoverWithItem("");
  }

  private static String transform(String value, MacroString.Macro macro) {
    List<String> parts = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (char c : value.toCharArray()) {
      if (macro.delimiters().indexOf(c) >= 0) {
        parts.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    parts.add(current.toString());
    if (macro.reverse()) {
      Collections.reverse(parts);
    }
    if (macro.keep() > 0 && macro.keep() < parts.size()) {
      parts = parts.subList(parts.size() - macro.keep(), parts.size());
    }
    return String.join(".", parts);
  }

  /** §7.3: upper-case macros are URL-escaped, keeping only the unreserved characters. */
  private static String urlEscape(String text) {
    StringBuilder out = new StringBuilder();
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0)) {
        out.append(c);
      } else {
        out.append(String.format("%%%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  /** §7.3: IPv4 dotted quad; IPv6 as dot-separated nibbles. */
  private static String dotted(InetAddress ip) {
    if (ip instanceof Inet4Address) {
      return ip.getHostAddress();
    }
    StringBuilder out = new StringBuilder();
    for (byte b : ip.getAddress()) {
      if (out.length() > 0) {
        out.append('.');
      }
      out.append(Character.forDigit((b >> 4) & 0xf, 16))
          .append('.')
          .append(Character.forDigit(b & 0xf, 16));
    }
    return out.toString();
  }

  /** §7.3 {@code c}: the address as people write it (RFC 5952 for IPv6). */
  private static String readable(InetAddress ip) {
    if (ip instanceof Inet4Address) {
      return ip.getHostAddress();
    }
    byte[] b = ip.getAddress();
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 0;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength && j - i > 1) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        out.append("::");
        i += bestLength - 1;
        continue;
      }
      if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
        out.append(':');
      }
      out.append(Integer.toHexString(groups[i]));
    }
    return out.toString();
  }

  private static String reverseName(InetAddress ip) {
    byte[] b = ip.getAddress();
    StringBuilder out = new StringBuilder();
    if (ip instanceof Inet4Address) {
      for (int i = 3; i >= 0; i--) {
        out.append(b[i] & 0xff).append('.');
      }
      return out.append("in-addr.arpa").toString();
    }
    for (int i = 15; i >= 0; i--) {
      out.append(Character.forDigit(b[i] & 0xf, 16)).append('.');
      out.append(Character.forDigit((b[i] >> 4) & 0xf, 16)).append('.');
    }
    return out.append("ip6.arpa").toString();
  }

  private static boolean isSubdomainOrEqual(String name, String domain) {
    String n = name.toLowerCase(Locale.ROOT);
    String d = domain.toLowerCase(Locale.ROOT);
    return n.equals(d) || n.endsWith("." + d);
  }

  /** §4.3: labels of 1-63 characters, at least two of them, no domain literal. */
  private static boolean wellFormed(String domain) {
    if (domain.isEmpty() || domain.length() > 253 || domain.startsWith("[")) {
      return false;
    }
    String[] labels = domain.split("\\.", -1);
    if (labels.length < 2) {
      return false;
    }
    for (String label : labels) {
      if (label.isEmpty() || label.length() > 63) {
        return false;
      }
    }
    return true;
  }

  private static String stripDot(String name) {
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }

  static InetAddress parseAddress(String text) {
    try {
      if (text.contains(":")) {
        byte[] bytes = Ipv6.parse(text);
        if (bytes == null) {
          throw new IllegalArgumentException("not an IP address: " + text);
        }
        return InetAddress.getByAddress(bytes);
      }
      if (!text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
        throw new IllegalArgumentException("not an IP address: " + text);
      }
      return InetAddress.getByName(text); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + text, e);
    }
  }
}
