package io.postwire.audit;

import io.postwire.dns.Dns;
import io.postwire.dns.MxHost;
import io.postwire.dns.MxResult;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.List;

/** The MX check (RFC 5321 §5.1, RFC 7505): where replies and bounces to the domain go. */
final class MxCheck {

  private final Dns dns;

  MxCheck(Dns dns) {
    this.dns = dns;
  }

  Uni<CheckResult> run(String domain) {
    CheckResult.Builder check = new CheckResult.Builder("mx");
    return dns.mx(domain)
        .chain(
            mx -> {
              if (mx instanceof MxResult.NullMx) {
                check.record("0 .");
                check.warning(
                    "mx_null",
                    domain
                        + " publishes the null MX (RFC 7505): it cannot receive bounces or"
                        + " replies");
                return Uni.createFrom().voidItem();
              }
              if (!(mx instanceof MxResult.Hosts hosts)) {
                check.warning(
                    "mx_missing",
                    domain + " has no MX record: bounces and replies may not reach it");
                return Uni.createFrom().voidItem();
              }
              List<String> lines = new ArrayList<>();
              for (MxHost host : hosts.hosts()) {
                lines.add(host.preference() + " " + host.host());
              }
              check.record(String.join("\n", lines));
              // One host after another as a flat stream: an answer of thousands of MX records
              // must not become thousands of nested Unis.
              return Multi.createFrom()
                  .iterable(hosts.hosts())
                  .onItem()
                  .transformToUniAndConcatenate(
                      host ->
                          dns.addresses(host.host())
                              .invoke(
                                  addresses -> {
                                    if (addresses.isEmpty()) {
                                      check.error(
                                          "mx_host_unresolvable",
                                          "MX host " + host.host() + " has no A or AAAA record");
                                    }
                                  }))
                  .collect()
                  .last()
                  .replaceWithVoid();
            })
        .map(v -> check.build());
  }
}
