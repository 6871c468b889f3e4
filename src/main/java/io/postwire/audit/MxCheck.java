package io.postwire.audit;

import io.postwire.dns.Dns;
import io.postwire.dns.MxHost;
import io.postwire.dns.MxResult;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The MX check (RFC 5321 §5.1, RFC 7505): where replies and bounces to the domain go. */
final class MxCheck {

  private final Dns dns;

  MxCheck(Dns dns) {
    this.dns = dns;
  }

  Uni<CheckResult> run(String domain) {
    return run(domain, null, List.of());
  }

  /**
   * The MX check, and when the domain has its own return-path domain, whether that domain's MX
   * names the inbound listener ({@code expected}, its MX host names): otherwise asynchronous
   * bounces and complaints for the domain's mail go elsewhere (finding {@code return_path_mx}).
   */
  Uni<CheckResult> run(String domain, String returnPath, List<String> expected) {
    CheckResult.Builder check = new CheckResult.Builder("mx");
    return domainMx(domain, check)
        .chain(() -> returnPathMx(returnPath, expected, check))
        .map(v -> check.build());
  }

  private Uni<Void> returnPathMx(
      String returnPath, List<String> expected, CheckResult.Builder check) {
    if (returnPath == null || expected.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    return dns.mx(returnPath)
        .invoke(
            mx -> {
              List<String> hosts = new ArrayList<>();
              if (mx instanceof MxResult.Hosts h) {
                for (MxHost host : h.hosts()) {
                  String name = host.host().toLowerCase(Locale.ROOT);
                  hosts.add(name.endsWith(".") ? name.substring(0, name.length() - 1) : name);
                }
              }
              check.detail("returnPath", returnPath);
              check.detail("returnPathMx", hosts);
              if (hosts.isEmpty() || !hosts.stream().allMatch(expected::contains)) {
                check.error(
                    "return_path_mx",
                    "The return path "
                        + returnPath
                        + " must have an MX naming the inbound listener ("
                        + String.join(", ", expected)
                        + "); it has "
                        + (hosts.isEmpty() ? "none" : String.join(", ", hosts))
                        + ": bounces and complaints for this domain would not reach Postwire");
              }
            })
        .replaceWithVoid();
  }

  private Uni<Void> domainMx(String domain, CheckResult.Builder check) {
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
            });
  }
}
