package io.postwire.inboxtest;

import io.postwire.testing.dns.TestDnsServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * Inbox tests' profile: the service resolves through an in-JVM DNS server (injected into the tests'
 * {@code TestDnsServer} field) and has an inbound domain.
 */
public class InboxTestProfile implements QuarkusTestProfile {

  /** The inbound domain of the profile; inbox-test addresses end in it. */
  static final String INBOUND_DOMAIN = "inbound.postwire.test";

  @Override
  public List<TestResourceEntry> testResources() {
    return List.of(new TestResourceEntry(Dns.class));
  }

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("postwire.inbound.domain", INBOUND_DOMAIN);
  }

  /** The DNS server of the profile. */
  public static class Dns implements QuarkusTestResourceLifecycleManager {

    private TestDnsServer dns;

    @Override
    public Map<String, String> start() {
      dns = TestDnsServer.start();
      return Map.of("postwire.dns.servers", "127.0.0.1:" + dns.port());
    }

    @Override
    public void inject(TestInjector injector) {
      injector.injectIntoFields(dns, new TestInjector.MatchesType(TestDnsServer.class));
    }

    @Override
    public void stop() {
      if (dns != null) {
        dns.close();
      }
    }
  }
}
