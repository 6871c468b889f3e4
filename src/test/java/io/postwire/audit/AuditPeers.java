package io.postwire.audit;

import io.postwire.testing.dns.TestDnsServer;
import java.util.Map;

/**
 * What {@link AuditTestResource} runs, injected into the tests: the DNS server, the policies the
 * HTTPS server serves (by host), and the two domains its certificate covers.
 */
public final class AuditPeers {

  public final TestDnsServer dns;
  public final Map<String, String> policies;
  public final String stsGood;
  public final String stsUncovered;

  AuditPeers(TestDnsServer dns, Map<String, String> policies, String stsGood, String stsUncovered) {
    this.dns = dns;
    this.policies = policies;
    this.stsGood = stsGood;
    this.stsUncovered = stsUncovered;
  }
}
