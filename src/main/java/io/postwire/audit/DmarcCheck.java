package io.postwire.audit;

import com.google.common.net.InternetDomainName;
import io.postwire.dns.DmarcRecord;
import io.postwire.dns.Dns;
import io.postwire.dns.RecordSyntaxException;
import io.smallrye.mutiny.Uni;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The DMARC check (RFC 7489): the policy at {@code _dmarc.<domain>} or the organizational domain
 * (§6.6.3, Public Suffix List), its tags, alignment and external report destinations (§7.1).
 */
final class DmarcCheck {

  private final Dns dns;

  DmarcCheck(Dns dns) {
    this.dns = dns;
  }

  /** The organizational domain (RFC 7489 §3.2): one label under the public suffix. */
  static String organizationalDomain(String domain) {
    try {
      InternetDomainName name = InternetDomainName.from(domain);
      if (name.isUnderPublicSuffix()) {
        return name.topPrivateDomain().toString().toLowerCase(Locale.ROOT);
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      // not a domain name the list knows: it is its own organization
    }
    return domain.toLowerCase(Locale.ROOT);
  }

  Uni<CheckResult> run(String domain) {
    CheckResult.Builder check = new CheckResult.Builder("dmarc");
    String org = organizationalDomain(domain);
    return policies(domain)
        .chain(
            found -> {
              if (found.isEmpty() && !org.equals(domain.toLowerCase(Locale.ROOT))) {
                return policies(org).map(atOrg -> new Found(org, atOrg));
              }
              return Uni.createFrom().item(new Found(domain, found));
            })
        .chain(found -> evaluate(domain, org, found, check))
        .map(v -> check.build());
  }

  private record Found(String at, List<String> records) {}

  private Uni<List<String>> policies(String name) {
    return dns.txt("_dmarc." + name)
        .map(
            texts -> {
              List<String> records = new ArrayList<>();
              for (String text : texts) {
                if (text.strip().regionMatches(true, 0, "v=DMARC1", 0, 8)) {
                  records.add(text);
                }
              }
              return records;
            });
  }

  private Uni<Void> evaluate(String domain, String org, Found found, CheckResult.Builder check) {
    if (found.records().isEmpty()) {
      check.error("dmarc_missing", "no DMARC record at _dmarc." + domain + " nor at _dmarc." + org);
      return Uni.createFrom().voidItem();
    }
    check.record(found.records().get(0));
    check.detail("publishedAt", "_dmarc." + found.at());
    if (found.records().size() > 1) {
      check.error(
          "dmarc_multiple_records",
          "_dmarc." + found.at() + " has " + found.records().size() + " DMARC records (§6.6.3)");
      return Uni.createFrom().voidItem();
    }
    DmarcRecord record;
    try {
      record = DmarcRecord.parse(found.records().get(0));
    } catch (RecordSyntaxException e) {
      check.error("dmarc_syntax_error", e.getMessage());
      return Uni.createFrom().voidItem();
    }
    for (String problem : record.problems()) {
      check.error("dmarc_invalid_tag", problem);
    }
    if (record.policy().equals("none")) {
      check.warning(
          "dmarc_policy_none", "p=none only monitors: receivers act on no failure (§6.3)");
    }
    if (record.aggregateReports().isEmpty()) {
      check.warning("dmarc_no_rua", "no rua=: no aggregate reports will tell how mail fares");
    }
    check.info(
        "dmarc_aligned",
        "we sign with d="
            + domain
            + " and use a bounce address at "
            + domain
            + ", the From domain: aligned under adkim="
            + record.dkimAlignment()
            + " and aspf="
            + record.spfAlignment());
    Set<String> destinations = new LinkedHashSet<>();
    for (URI uri : record.aggregateReports()) {
      destination(uri, destinations);
    }
    for (URI uri : record.failureReports()) {
      destination(uri, destinations);
    }
    Uni<Void> steps = Uni.createFrom().voidItem();
    for (String destination : destinations) {
      if (organizationalDomain(destination).equals(org)) {
        continue;
      }
      String authorization = found.at() + "._report._dmarc." + destination;
      steps =
          steps.chain(
              () ->
                  dns.txt(authorization)
                      .invoke(
                          texts -> {
                            boolean authorized =
                                texts.stream()
                                    .anyMatch(
                                        t -> t.strip().regionMatches(true, 0, "v=DMARC1", 0, 8));
                            if (!authorized) {
                              check.warning(
                                  "dmarc_external_report_unauthorized",
                                  destination
                                      + " has not agreed to receive "
                                      + found.at()
                                      + "'s reports: no v=DMARC1 at "
                                      + authorization
                                      + " (RFC 7489 §7.1); they will be dropped");
                            }
                          })
                      .replaceWithVoid());
    }
    return steps;
  }

  private static void destination(URI uri, Set<String> into) {
    if (!"mailto".equalsIgnoreCase(uri.getScheme())) {
      return;
    }
    String address = uri.getSchemeSpecificPart();
    int bang = address.indexOf('!');
    if (bang >= 0) {
      address = address.substring(0, bang); // §6.2 size limit
    }
    int at = address.lastIndexOf('@');
    if (at >= 0) {
      into.add(address.substring(at + 1).toLowerCase(Locale.ROOT));
    }
  }
}
