package io.postwire.audit;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.postwire.testing.dns.TestDnsServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The audit tests' peers, all on loopback: an authoritative {@link TestDnsServer} the service
 * resolves through, and an HTTPS server for MTA-STS policies with a certificate from a test CA that
 * the service trusts (through {@code postwire.audit.mta-sts.trust-store}).
 */
public class AuditTestResource implements QuarkusTestResourceLifecycleManager {

  /** The egress IP the test profile configures; SPF must authorize it. */
  static final String EGRESS_IP = "192.0.2.10";

  /** Audits kept per domain in the tests. */
  static final int HISTORY = 3;

  /**
   * Domains whose policy host has a certificate (a fresh label per run, never registered twice).
   */
  static final String RUN = UUID.randomUUID().toString().substring(0, 8);

  static final String STS_GOOD = "stsgood-" + RUN + ".example.org";
  static final String STS_UNCOVERED = "stsmx-" + RUN + ".example.org";

  private TestDnsServer dns;

  /** Policy text by Host header ({@code mta-sts.<domain>}); unknown hosts get 404. */
  private final Map<String, String> policies = new ConcurrentHashMap<>();

  private HttpsServer https;

  @Override
  public Map<String, String> start() {
    dns = TestDnsServer.start();
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair caKeys = generator.generateKeyPair();
      KeyPair serverKeys = generator.generateKeyPair();
      X509Certificate ca =
          certificate("CN=Postwire Test CA", caKeys, "CN=Postwire Test CA", caKeys, true);
      X509Certificate server =
          certificate("CN=mta-sts test", serverKeys, "CN=Postwire Test CA", caKeys, false);
      Path caFile = Files.createTempFile("audit-test-ca", ".pem");
      caFile.toFile().deleteOnExit();
      Files.writeString(
          caFile,
          "-----BEGIN CERTIFICATE-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(ca.getEncoded())
              + "\n-----END CERTIFICATE-----\n");
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(
          "server", serverKeys.getPrivate(), "test".toCharArray(), new Certificate[] {server, ca});
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, "test".toCharArray());
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(keys.getKeyManagers(), null, null);
      https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      https.createContext(
          "/.well-known/mta-sts.txt",
          exchange -> {
            String host = exchange.getRequestHeaders().getFirst("Host");
            String name = host == null ? "" : host.replaceFirst(":\\d+$", "");
            String policy = policies.get(name);
            byte[] body = (policy == null ? "not found" : policy).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(policy == null ? 404 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      https.start();
      return Map.of(
          "postwire.dns.servers",
          "127.0.0.1:" + dns.port(),
          "postwire.dns.cache-size",
          "0",
          "postwire.dns.timeout",
          "1s",
          "postwire.audit.egress-ips",
          EGRESS_IP,
          "postwire.audit.mta-sts.port",
          String.valueOf(https.getAddress().getPort()),
          "postwire.audit.mta-sts.trust-store",
          caFile.toString(),
          "postwire.audit.mta-sts.timeout",
          "3s",
          "postwire.audit.history",
          String.valueOf(HISTORY),
          "postwire.audit.metrics-refresh",
          "1s");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate certificate(
      String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, boolean ca)
      throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            new X500Name(issuer),
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minus(1, ChronoUnit.DAYS)),
            Date.from(now.plus(2, ChronoUnit.DAYS)),
            new X500Name(subject),
            subjectKeys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (ca) {
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "mta-sts." + STS_GOOD),
                new GeneralName(GeneralName.dNSName, "mta-sts." + STS_UNCOVERED)
              }));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(
                new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
  }

  @Override
  public void inject(TestInjector injector) {
    injector.injectIntoFields(
        new AuditPeers(dns, policies, STS_GOOD, STS_UNCOVERED),
        new TestInjector.MatchesType(AuditPeers.class));
  }

  @Override
  public void stop() {
    if (https != null) {
      https.stop(0);
    }
    if (dns != null) {
      dns.close();
    }
  }
}
