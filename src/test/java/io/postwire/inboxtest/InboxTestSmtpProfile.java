package io.postwire.inboxtest;

import io.postwire.testing.Ports;
import io.postwire.testing.dns.TestDnsServer;
import io.postwire.testing.smtp.TestCertificates;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Inbox tests over SMTP: MX delivery and the inbound listener on the same free loopback port, so
 * Postwire delivers to its own inbound domain; the in-JVM DNS server holds the inbound domain's MX
 * and SPF records (and the tests publish their sending domains' records in it). The listener offers
 * STARTTLS with a self-signed certificate, which opportunistic MX delivery takes.
 */
public class InboxTestSmtpProfile implements QuarkusTestProfile {

  static final String INBOUND_DOMAIN = "inbox.postwire.test";

  @Override
  public List<TestResourceEntry> testResources() {
    return List.of(new TestResourceEntry(Peers.class));
  }

  /** DNS and the shared port. */
  public static class Peers implements QuarkusTestResourceLifecycleManager {

    private TestDnsServer dns;

    @Override
    public Map<String, String> start() {
      dns = TestDnsServer.start();
      dns.mx(INBOUND_DOMAIN, 10, "mx." + INBOUND_DOMAIN)
          .a("mx." + INBOUND_DOMAIN, "127.0.0.1")
          .txt(INBOUND_DOMAIN, "v=spf1 ip4:127.0.0.1 -all");
      String port = Integer.toString(Ports.free());
      Path tls;
      try {
        tls = Files.createTempDirectory("inbound-tls");
        TestCertificates.selfSignedPem("mx." + INBOUND_DOMAIN, tls);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return Map.ofEntries(
          // STARTTLS on the listener: delivery uses it, and the report says which TLS it was
          Map.entry("postwire.inbound.tls.cert", tls.resolve("cert.pem").toString()),
          Map.entry("postwire.inbound.tls.key", tls.resolve("key.pem").toString()),
          Map.entry("postwire.dns.servers", "127.0.0.1:" + dns.port()),
          Map.entry("postwire.dns.cache-size", "0"),
          Map.entry("postwire.delivery.mode", "mx"),
          Map.entry("postwire.delivery.smtp-port", port),
          Map.entry("postwire.delivery.retry.initial", "1s"),
          Map.entry("postwire.delivery.poll-interval", "300ms"),
          Map.entry("postwire.inbound.port", port),
          Map.entry("postwire.inbound.host", "127.0.0.1"),
          Map.entry("postwire.inbound.domain", INBOUND_DOMAIN),
          Map.entry("postwire.inbound.hostname", "mx." + INBOUND_DOMAIN),
          Map.entry("postwire.audit.egress-ips", "127.0.0.1"));
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
