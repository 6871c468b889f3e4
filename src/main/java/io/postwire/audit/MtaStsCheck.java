package io.postwire.audit;

import io.postwire.dns.Dns;
import io.postwire.dns.MtaStsPolicy;
import io.postwire.dns.MtaStsRecord;
import io.postwire.dns.MxHost;
import io.postwire.dns.RecordSyntaxException;
import io.postwire.dns.TlsRptRecord;
import io.postwire.mtasts.MtaStsFetcher;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) checks. The policy host is resolved through our
 * {@link Dns}, never the system resolver, and fetched over HTTPS with the certificate verified for
 * {@code mta-sts.<domain>}, from addresses the egress policy permits only. The policy is fetched
 * afresh each time (what is published now), never taken from the cache delivery uses.
 */
final class MtaStsCheck {

  private final Dns dns;
  private final MtaStsFetcher fetcher;

  MtaStsCheck(Dns dns, MtaStsFetcher fetcher) {
    this.dns = dns;
    this.fetcher = fetcher;
  }

  Uni<CheckResult> mtaSts(String domain) {
    CheckResult.Builder check = new CheckResult.Builder("mta-sts");
    return dns.txt("_mta-sts." + domain)
        .chain(
            texts -> {
              List<String> records = texts.stream().filter(t -> t.startsWith("v=STSv1")).toList();
              if (records.isEmpty()) {
                check.warning(
                    "mta_sts_missing",
                    "no MTA-STS record at _mta-sts."
                        + domain
                        + ": senders to "
                        + domain
                        + " may deliver without TLS");
                return Uni.createFrom().voidItem();
              }
              check.record(records.get(0));
              if (records.size() > 1) {
                check.error(
                    "mta_sts_multiple_records",
                    "_mta-sts." + domain + " has " + records.size() + " records (RFC 8461 §3.1)");
                return Uni.createFrom().voidItem();
              }
              try {
                MtaStsRecord.parse(records.get(0));
              } catch (RecordSyntaxException e) {
                check.error("mta_sts_syntax_error", e.getMessage());
                return Uni.createFrom().voidItem();
              }
              return policy(domain, check);
            })
        .map(v -> check.build());
  }

  private Uni<Void> policy(String domain, CheckResult.Builder check) {
    String host = "mta-sts." + domain;
    return dns.addresses(host)
        .chain(
            addresses -> {
              if (addresses.isEmpty()) {
                check.error(
                    "mta_sts_policy_unreachable",
                    host + " has no address: the policy is unreachable");
                return Uni.createFrom().<String>nullItem();
              }
              return fetcher
                  .fetch(host, addresses)
                  .onFailure()
                  .recoverWithItem(
                      failure -> {
                        check.error(
                            "mta_sts_policy_unreachable",
                            "cannot fetch https://"
                                + host
                                + "/.well-known/mta-sts.txt: "
                                + describe(failure));
                        return null;
                      });
            })
        .chain(
            text -> {
              if (text == null) {
                return Uni.createFrom().voidItem();
              }
              check.detail("policy", text);
              MtaStsPolicy policy;
              try {
                policy = MtaStsPolicy.parse(text);
              } catch (RecordSyntaxException e) {
                check.error("mta_sts_policy_invalid", e.getMessage());
                return Uni.createFrom().voidItem();
              }
              check.detail("mode", policy.mode().name().toLowerCase(Locale.ROOT));
              if (policy.mode() == MtaStsPolicy.Mode.NONE) {
                check.warning(
                    "mta_sts_mode_none", "the policy is in mode none: it protects nothing");
                return Uni.createFrom().voidItem();
              }
              if (policy.mode() == MtaStsPolicy.Mode.TESTING) {
                check.info(
                    "mta_sts_mode_testing", "the policy is in mode testing: it only reports");
              }
              return dns.mx(domain)
                  .invoke(
                      mx -> {
                        for (MxHost mxHost : mx.hosts()) {
                          if (!policy.matches(mxHost.host())) {
                            check.error(
                                "mta_sts_mx_not_covered",
                                "MX host "
                                    + mxHost.host()
                                    + " matches no mx pattern of the policy "
                                    + policy.mx()
                                    + ": senders enforcing it will not deliver there");
                          }
                        }
                      })
                  .replaceWithVoid();
            });
  }

  private static String describe(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  Uni<CheckResult> tlsRpt(String domain) {
    CheckResult.Builder check = new CheckResult.Builder("tls-rpt");
    return dns.txt("_smtp._tls." + domain)
        .map(
            texts -> {
              List<String> records = new ArrayList<>();
              for (String text : texts) {
                if (text.startsWith("v=TLSRPTv1")) {
                  records.add(text);
                }
              }
              if (records.isEmpty()) {
                check.warning(
                    "tls_rpt_missing",
                    "no TLS-RPT record at _smtp._tls." + domain + ": no reports of TLS failures");
              } else if (records.size() > 1) {
                check.record(records.get(0));
                check.error(
                    "tls_rpt_multiple_records",
                    "_smtp._tls." + domain + " has " + records.size() + " records (RFC 8460 §3)");
              } else {
                check.record(records.get(0));
                try {
                  TlsRptRecord.parse(records.get(0));
                } catch (RecordSyntaxException e) {
                  check.error("tls_rpt_syntax_error", e.getMessage());
                }
              }
              return check.build();
            });
  }
}
