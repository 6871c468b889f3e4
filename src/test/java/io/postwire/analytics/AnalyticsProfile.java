package io.postwire.analytics;

import io.postwire.testing.dns.TestDnsServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * Analytics tests: an in-JVM DNS server as the only resolver, with the MX records that make
 * recipient domains Gmail, Microsoft, Apple or other; a reputation guard small enough to reach (10
 * recipients, 20 % bounces, 10 % complaints); folds and gauges every few hundred milliseconds.
 */
public class AnalyticsProfile implements QuarkusTestProfile {

  /** Recipient domains by the provider their MX names. */
  public static final String GMAIL = "gm.analytics.test";

  public static final String MICROSOFT = "ms.analytics.test";
  public static final String APPLE = "ic.analytics.test";
  public static final String OTHER = "plain.analytics.test";

  /** A recipient domain whose MX lookups time out. */
  public static final String SLOW = "slow.analytics.test";

  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of(
        "postwire.reputation.min-volume", "10",
        "postwire.reputation.max-bounce-rate", "0.2",
        "postwire.reputation.max-complaint-rate", "0.1",
        "postwire.reputation.metrics-interval", "300ms",
        "postwire.analytics.fold-interval", "100ms");
  }

  @Override
  public List<TestResourceEntry> testResources() {
    return List.of(new TestResourceEntry(Dns.class));
  }

  /** The DNS server of the profile. */
  public static class Dns implements QuarkusTestResourceLifecycleManager {

    static volatile TestDnsServer dns;

    @Override
    public Map<String, String> start() {
      dns = TestDnsServer.start();
      dns.mx(GMAIL, 5, "aspmx.l.google.com")
          .mx(GMAIL, 10, "alt1.aspmx.l.google.com")
          .mx(MICROSOFT, 0, "ms-analytics-test.mail.protection.outlook.com")
          .mx(APPLE, 10, "mx01.mail.icloud.com")
          .mx(OTHER, 10, "mx." + OTHER)
          .timeout(SLOW);
      return Map.of(
          "postwire.dns.servers", "127.0.0.1:" + dns.port(), "postwire.dns.timeout", "2s");
    }

    @Override
    public void stop() {
      if (dns != null) {
        dns.close();
      }
    }
  }
}
