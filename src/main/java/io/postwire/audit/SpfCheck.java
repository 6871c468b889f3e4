package io.postwire.audit;

import com.google.common.net.InetAddresses;
import io.postwire.dns.Dns;
import io.postwire.dns.LookupOutcome;
import io.postwire.dns.MacroString;
import io.postwire.dns.RecordSyntaxException;
import io.postwire.dns.SpfEvaluator;
import io.postwire.dns.SpfLimits;
import io.postwire.dns.SpfRecord;
import io.postwire.dns.SpfResult;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The SPF check (RFC 7208): one record, its syntax, its lookup budget walked through include and
 * redirect, risky terms, and {@code check_host()} of every egress IP.
 */
final class SpfCheck {

  /** Walking stops here: the record is already far over budget. */
  private static final int WALK_LIMIT = 25;

  /** §3.4: records over 450 octets may not fit a UDP answer. */
  static final int MAX_RECORD_OCTETS = 450;

  private final Dns dns;
  private final SpfEvaluator evaluator;
  private final List<String> egressIps;

  SpfCheck(Dns dns, SpfEvaluator evaluator, List<String> egressIps) {
    this.dns = dns;
    this.evaluator = evaluator;
    this.egressIps = egressIps;
  }

  /** The §4.6.4 counts of a walk. */
  private static final class Walk {
    final SpfLimits limits = new SpfLimits();
    final CheckResult.Builder check;

    Walk(CheckResult.Builder check) {
      this.check = check;
    }
  }

  Uni<CheckResult> run(String domain) {
    CheckResult.Builder check = new CheckResult.Builder("spf");
    return dns.lookup(domain, Type.TXT)
        .chain(
            outcome -> {
              if (outcome instanceof LookupOutcome.TempError failure) {
                check.temporaryFailure("TXT lookup of " + domain + ": " + failure.reason());
                return Uni.createFrom().item(check.build());
              }
              List<List<byte[]>> spf = new ArrayList<>();
              for (Record record : outcome.recordsOrEmpty()) {
                if (record instanceof TXTRecord txt) {
                  List<byte[]> strings = txt.getStringsAsByteArrays();
                  if (SpfRecord.isSpf(joined(strings))) {
                    spf.add(strings);
                  }
                }
              }
              if (spf.isEmpty()) {
                check.error("spf_missing", domain + " publishes no v=spf1 TXT record");
                return evaluate(domain, check).map(v -> check.build());
              }
              if (spf.size() > 1) {
                check.record(joined(spf.get(0)));
                check.error(
                    "spf_multiple_records",
                    domain
                        + " publishes "
                        + spf.size()
                        + " v=spf1 records; RFC 7208 §4.5 makes that a permerror");
                return evaluate(domain, check).map(v -> check.build());
              }
              String text = joined(spf.get(0));
              check.record(text);
              quality(spf.get(0), text, check);
              SpfRecord record;
              try {
                record = SpfRecord.parse(text);
              } catch (RecordSyntaxException e) {
                check.error(
                    "spf_syntax_error",
                    "syntax error at position " + e.position() + ": " + e.getMessage());
                return evaluate(domain, check).map(v -> check.build());
              }
              for (SpfRecord.Directive directive : record.directives()) {
                if (directive.mechanism() == SpfRecord.Mechanism.ALL
                    && (directive.qualifier() == SpfRecord.Qualifier.PASS
                        || directive.qualifier() == SpfRecord.Qualifier.NEUTRAL)) {
                  String qualifier =
                      directive.qualifier() == SpfRecord.Qualifier.PASS ? "+all" : "?all";
                  check.warning(
                      "spf_permissive_all",
                      qualifier + " lets any host send as " + domain + "; end with -all or ~all");
                }
              }
              Walk walk = new Walk(check);
              List<String> chain = new ArrayList<>(List.of(domain.toLowerCase(Locale.ROOT)));
              return walk(domain, record, chain, walk)
                  .chain(
                      () -> {
                        check.detail("lookups", walk.limits.terms());
                        check.detail("voidLookups", walk.limits.voids());
                        if (walk.limits.tooManyTerms()) {
                          check.error(
                              "spf_too_many_lookups",
                              walk.limits.terms()
                                  + " DNS-querying terms counted through include and redirect;"
                                  + " RFC 7208 §4.6.4 allows "
                                  + SpfLimits.MAX_DNS_TERMS);
                        }
                        if (walk.limits.tooManyVoids()) {
                          check.error(
                              "spf_too_many_void_lookups",
                              walk.limits.voids()
                                  + " lookups return no answer; RFC 7208 §4.6.4 allows "
                                  + SpfLimits.MAX_VOID_LOOKUPS);
                        }
                        return evaluate(domain, check);
                      })
                  .map(v -> check.build());
            });
  }

  private static void quality(List<byte[]> strings, String text, CheckResult.Builder check) {
    for (byte[] string : strings) {
      if (string.length > 255) {
        check.warning(
            "spf_string_too_long", "a character-string is over 255 octets (RFC 7208 §3.3)");
      }
    }
    int octets = text.getBytes(StandardCharsets.UTF_8).length;
    if (octets > MAX_RECORD_OCTETS) {
      check.warning(
          "spf_record_too_long",
          "the record is "
              + octets
              + " octets; over "
              + MAX_RECORD_OCTETS
              + " it may not fit a DNS answer over UDP (RFC 7208 §3.4)");
    }
  }

  /**
   * Counts the DNS-querying terms of a record, walking include and redirect (§4.6.4). The redirect
   * obeys the same walk limit as the terms: a server answering each name with a redirect to a new
   * one would otherwise be walked forever. The terms are a flat stream, not one nested Uni per
   * term, so a record of thousands of terms cannot overflow the stack.
   */
  private Uni<Void> walk(String domain, SpfRecord record, List<String> chain, Walk walk) {
    List<SpfRecord.Directive> querying = new ArrayList<>();
    boolean hasAll = false;
    for (SpfRecord.Directive directive : record.directives()) {
      if (directive.mechanism() == SpfRecord.Mechanism.ALL) {
        hasAll = true;
      } else if (SpfLimits.queriesDns(directive.mechanism())) {
        querying.add(directive);
      }
    }
    Uni<Void> steps =
        Multi.createFrom()
            .iterable(querying)
            .onItem()
            .transformToUniAndConcatenate(directive -> step(domain, directive, chain, walk))
            .collect()
            .last()
            .replaceWithVoid();
    // §6.1: redirect is ignored when the record has an "all" mechanism.
    if (!hasAll && record.redirect().isPresent()) {
      MacroString target = record.redirect().get();
      steps =
          steps.chain(
              () -> {
                if (walk.limits.terms() > WALK_LIMIT) {
                  return Uni.createFrom().voidItem();
                }
                walk.limits.countTerm();
                String name = literal(target);
                return name == null ? Uni.createFrom().voidItem() : follow(name, chain, walk);
              });
    }
    return steps;
  }

  private Uni<Void> step(
      String domain, SpfRecord.Directive directive, List<String> chain, Walk walk) {
    if (walk.limits.terms() > WALK_LIMIT) {
      return Uni.createFrom().voidItem();
    }
    walk.limits.countTerm();
    String target = directive.domain() == null ? domain : literal(directive.domain());
    switch (directive.mechanism()) {
      case INCLUDE:
        return target == null ? Uni.createFrom().voidItem() : follow(target, chain, walk);
      case PTR:
        walk.check.warning(
            "spf_ptr",
            "the ptr mechanism is slow and unreliable; RFC 7208 §5.5 says not to use it");
        return Uni.createFrom().voidItem();
      case A:
        return target == null ? Uni.createFrom().voidItem() : countVoid(target, Type.A, walk);
      case MX:
        return target == null ? Uni.createFrom().voidItem() : countVoid(target, Type.MX, walk);
      case EXISTS:
        return target == null ? Uni.createFrom().voidItem() : countVoid(target, Type.A, walk);
      default:
        return Uni.createFrom().voidItem();
    }
  }

  private Uni<Void> countVoid(String name, int type, Walk walk) {
    return dns.lookup(name, type)
        .invoke(
            outcome -> {
              if (SpfLimits.isVoid(outcome)) {
                walk.limits.countVoid();
              } else if (outcome instanceof LookupOutcome.TempError failure) {
                // the void lookups cannot be counted: the budget verdict is unknown
                walk.check.temporaryFailure(
                    Type.string(type) + " lookup of " + name + ": " + failure.reason());
              }
            })
        .replaceWithVoid();
  }

  /** Follows an include or redirect to the record of {@code target}. */
  private Uni<Void> follow(String target, List<String> chain, Walk walk) {
    String key = target.toLowerCase(Locale.ROOT);
    if (chain.contains(key)) {
      walk.check.error(
          "spf_loop", "include/redirect loop: " + String.join(" -> ", chain) + " -> " + key);
      return Uni.createFrom().voidItem();
    }
    return dns.lookup(target, Type.TXT)
        .chain(
            outcome -> {
              if (outcome instanceof LookupOutcome.TempError failure) {
                walk.check.temporaryFailure("TXT lookup of " + target + ": " + failure.reason());
                return Uni.createFrom().voidItem();
              }
              if (SpfLimits.isVoid(outcome)) {
                walk.limits.countVoid();
              }
              List<String> spf = new ArrayList<>();
              for (String text : Dns.texts(outcome)) {
                if (SpfRecord.isSpf(text)) {
                  spf.add(text);
                }
              }
              if (spf.size() != 1) {
                walk.check.error(
                    "spf_include_invalid",
                    target
                        + " (included or redirected to) has "
                        + spf.size()
                        + " SPF records; evaluation gives permerror");
                return Uni.createFrom().voidItem();
              }
              SpfRecord record;
              try {
                record = SpfRecord.parse(spf.get(0));
              } catch (RecordSyntaxException e) {
                walk.check.error(
                    "spf_include_syntax_error",
                    "the SPF record of "
                        + target
                        + " has a syntax error at position "
                        + e.position()
                        + ": "
                        + e.getMessage());
                return Uni.createFrom().voidItem();
              }
              List<String> deeper = new ArrayList<>(chain);
              deeper.add(key);
              return walk(target, record, deeper, walk);
            });
  }

  /** {@code check_host()} of every egress IP; anything but pass (or temperror) fails. */
  private Uni<Void> evaluate(String domain, CheckResult.Builder check) {
    Map<String, String> results = new LinkedHashMap<>();
    check.detail("results", results);
    if (egressIps.isEmpty()) {
      check.info(
          "spf_no_egress_ips",
          "no egress IP is configured (postwire.audit.egress-ips): none was evaluated");
      return Uni.createFrom().voidItem();
    }
    Uni<Void> steps = Uni.createFrom().voidItem();
    for (String ip : egressIps) {
      InetAddress address = InetAddresses.forString(ip);
      steps =
          steps.chain(
              () ->
                  evaluator
                      .checkHost(address, domain, "postmaster@" + domain, domain)
                      .invoke(
                          result -> {
                            results.put(ip, result.result().wireName());
                            if (result.result() == SpfResult.Result.TEMPERROR) {
                              // RFC 7208 §2.6.6: a transient DNS error, not a verdict
                              check.temporaryFailure(
                                  "check_host("
                                      + ip
                                      + ") gives temperror: "
                                      + result.explanation());
                            } else if (result.result() != SpfResult.Result.PASS) {
                              check.error(
                                  "spf_egress_not_authorized",
                                  "check_host("
                                      + ip
                                      + ") gives "
                                      + result.result().wireName()
                                      + (result.explanation().isEmpty()
                                          ? ""
                                          : ": " + result.explanation()));
                            }
                          })
                      .replaceWithVoid());
    }
    return steps;
  }

  private static String literal(MacroString spec) {
    StringBuilder text = new StringBuilder();
    for (MacroString.Part part : spec.parts()) {
      if (part instanceof MacroString.Literal literal) {
        text.append(literal.text());
      } else {
        return null; // depends on the sender or IP: not walked
      }
    }
    return text.toString();
  }

  private static String joined(List<byte[]> strings) {
    StringBuilder text = new StringBuilder();
    for (byte[] bytes : strings) {
      text.append(new String(bytes, StandardCharsets.UTF_8));
    }
    return text.toString();
  }
}
