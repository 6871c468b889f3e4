package io.postwire.delivery;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.postwire.testing.PendingDeliveries;
import io.postwire.testing.dns.TestDnsServer;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.postwire.testing.smtp.TestCertificates;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * MX mode against loopback: an in-JVM authoritative DNS server as the service's only resolver and
 * scripted SMTP servers on 127.0.0.1, 127.0.0.2, … that all listen on the one SMTP port the service
 * is configured with, so MX records can point at distinct hosts. 127.0.0.3 has no listener (a
 * refused connection).
 */
public class MxDeliveryResource implements QuarkusTestResourceLifecycleManager {

  /** The loopback address of each scripted MX host. */
  public static final String MAIN = "127.0.0.1";

  public static final String BACKUP = "127.0.0.2";
  public static final String REFUSING = "127.0.0.3";
  public static final String BUSY = "127.0.0.4";
  public static final String STALLED = "127.0.0.5";
  public static final String EQUAL_A = "127.0.0.6";
  public static final String EQUAL_B = "127.0.0.7";
  public static final String UNTOUCHED = "127.0.0.8";
  public static final String BACKED_OFF = "127.0.0.9";
  public static final String SHAPED = "127.0.0.10";
  public static final String RATED = "127.0.0.11";
  public static final String STS_MX = "127.0.0.12";
  public static final String STS_ROGUE = "127.0.0.13";

  /** Recipient domains with MTA-STS policies served over HTTPS on loopback. */
  public static final String STS_ENFORCE = "enforce.sts.example.net";

  public static final String STS_MISMATCH = "mismatch.sts.example.net";
  public static final String STS_NO_TLS = "notls.sts.example.net";
  public static final String STS_TESTING = "testing.sts.example.net";
  public static final String STS_ROTATED = "rotated.sts.example.net";
  public static final String STS_STORED = "stored.sts.example.net";

  /** Policy text by policy host ({@code mta-sts.<domain>}); other hosts get 404. */
  public static final Map<String, String> policies = new ConcurrentHashMap<>();

  /** Policy fetches served, by policy host. */
  public static final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();

  private HttpsServer https;

  /** Recipient domains under these suffixes get the shaping rules of the profile. */
  public static final String SHAPED_SUFFIX = ".shaped.example.net";

  public static final String RATED_SUFFIX = ".rated.example.net";

  public static volatile TestDnsServer dns;
  public static final Map<String, ScriptedSmtpServer> servers = new ConcurrentHashMap<>();

  /** The server listening on {@code ip}. */
  public static ScriptedSmtpServer server(String ip) {
    return servers.get(ip);
  }

  @Override
  public Map<String, String> start() {
    PendingDeliveries.retire();
    dns = TestDnsServer.start();
    ScriptedSmtpServer main = ScriptedSmtpServer.start(loopback(MAIN));
    servers.put(MAIN, main);
    int port = main.port();
    for (String ip :
        new String[] {
          BACKUP,
          BUSY,
          STALLED,
          EQUAL_A,
          EQUAL_B,
          UNTOUCHED,
          BACKED_OFF,
          SHAPED,
          RATED,
          STS_MX,
          STS_ROGUE
        }) {
      servers.put(ip, ScriptedSmtpServer.start(loopback(ip), port));
    }
    server(BUSY)
        .reply(ScriptedSmtpServer.Phase.GREETING, "421 4.3.2 Service busy, come back later");
    server(BACKED_OFF).reply(ScriptedSmtpServer.Phase.GREETING, "421 4.3.2 Too many connections");
    server(STALLED).stall(ScriptedSmtpServer.Phase.MAIL);
    TestCertificates ca = TestCertificates.newAuthority();
    String[] domains = {
      STS_ENFORCE, STS_MISMATCH, STS_NO_TLS, STS_TESTING, STS_ROTATED, STS_STORED
    };
    server(STS_MX)
        .starttls(ca.serverContext("mx." + STS_ENFORCE, "mx." + STS_ROTATED, "mx." + STS_STORED));
    String caFile = pem(ca);
    String[] policyHosts = Arrays.stream(domains).map(d -> "mta-sts." + d).toArray(String[]::new);
    try {
      https = HttpsServer.create(new InetSocketAddress(loopback(MAIN), 0), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    https.setHttpsConfigurator(
        new HttpsConfigurator(
            ca.serverContext(
                policyHosts[0], Arrays.copyOfRange(policyHosts, 1, policyHosts.length))));
    https.createContext(
        "/.well-known/mta-sts.txt",
        exchange -> {
          String host = exchange.getRequestHeaders().getFirst("Host");
          String name = host == null ? "" : host.replaceFirst(":\\d+$", "");
          fetches.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
          String policy = policies.get(name);
          byte[] body = (policy == null ? "not found" : policy).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(policy == null ? 404 : 200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    https.start();
    for (String d : domains) {
      dns.a("mta-sts." + d, MAIN);
    }
    return Map.ofEntries(
        Map.entry("postwire.delivery.mode", "mx"),
        Map.entry("postwire.delivery.smtp-port", Integer.toString(port)),
        Map.entry("postwire.dns.servers", "127.0.0.1:" + dns.port()),
        Map.entry("postwire.dns.timeout", "2s"),
        // records change during the tests (the MTA-STS id): nothing may be cached
        Map.entry("postwire.dns.cache-size", "0"),
        Map.entry("postwire.delivery.retry.initial", "1s"),
        Map.entry("postwire.delivery.command-timeout", "2s"),
        Map.entry("postwire.delivery.poll-interval", "300ms"),
        Map.entry("postwire.delivery.shutdown-grace", "3s"),
        Map.entry("postwire.delivery.shaping.rules[0].pattern", "*" + SHAPED_SUFFIX),
        Map.entry("postwire.delivery.shaping.rules[0].max-connections", "2"),
        Map.entry("postwire.delivery.shaping.rules[0].max-messages-per-connection", "3"),
        Map.entry("postwire.delivery.shaping.rules[1].pattern", "*" + RATED_SUFFIX),
        Map.entry("postwire.delivery.shaping.rules[1].rate-per-minute", "2"),
        Map.entry("postwire.delivery.mta-sts.port", Integer.toString(https.getAddress().getPort())),
        Map.entry("postwire.delivery.mta-sts.trust-store", caFile),
        Map.entry("postwire.delivery.mta-sts.timeout", "3s"));
  }

  static String pem(TestCertificates ca) {
    try {
      Path file = Files.createTempFile("mx-test-ca", ".pem");
      file.toFile().deleteOnExit();
      Files.writeString(
          file,
          "-----BEGIN CERTIFICATE-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(ca.caCertificate().getEncoded())
              + "\n-----END CERTIFICATE-----\n");
      return file.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static InetAddress loopback(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(ip, e);
    }
  }

  @Override
  public void stop() {
    if (https != null) {
      https.stop(0);
    }
    servers.values().forEach(ScriptedSmtpServer::close);
    servers.clear();
    if (dns != null) {
      dns.close();
    }
  }
}
