package io.postwire.webhook;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.postwire.testing.Api;
import io.postwire.testing.dns.TestDnsServer;
import io.postwire.testing.smtp.TestCertificates;
import io.postwire.webhook.WebhookReceiver.Call;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Webhook URLs by name: resolved through the service's DNS (an in-JVM server here), https with the
 * endpoint's certificate verified against {@code postwire.webhooks.trust-store}, and the next
 * address of a name tried when one does not take the connection.
 */
@QuarkusTest
@TestProfile(WebhookEndpointTests.Named.class)
class WebhookEndpointTests {

  static final String TLS_HOST = "hooks.webhook.test";
  static final String MULTI_HOST = "multi.webhook.test";
  static final String UNTRUSTED_HOST = "untrusted.webhook.test";

  /** The test DNS server and an https receiver on 127.0.0.1 for names of webhook.test. */
  public static class Named implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(Endpoints.class));
    }
  }

  /** Starts the DNS server and two https receivers: one the trust store vouches for, one not. */
  public static class Endpoints implements QuarkusTestResourceLifecycleManager {
    static volatile TestDnsServer dns;
    static volatile HttpsServer trusted;
    static volatile HttpsServer untrusted;
    static final Map<String, List<Call>> calls = new ConcurrentHashMap<>();

    @Override
    public Map<String, String> start() {
      dns = TestDnsServer.start();
      TestCertificates ca = TestCertificates.newAuthority();
      trusted = https(ca, TLS_HOST, MULTI_HOST);
      // issued by another authority: not in the trust store
      untrusted = https(TestCertificates.newAuthority(), UNTRUSTED_HOST);
      dns.a(TLS_HOST, "127.0.0.1");
      dns.a(UNTRUSTED_HOST, "127.0.0.1");
      // nothing listens on the first three: each refuses the connection
      dns.a(MULTI_HOST, "127.0.0.2").a(MULTI_HOST, "127.0.0.3").a(MULTI_HOST, "127.0.0.4");
      dns.a(MULTI_HOST, "127.0.0.1");
      return Map.of(
          "postwire.dns.servers",
          "127.0.0.1:" + dns.port(),
          "postwire.webhooks.timeout", // the first https handshakes on a busy machine take seconds
          "5s",
          "postwire.dns.cache-size",
          "0",
          "postwire.webhooks.trust-store",
          pem(ca));
    }

    static HttpsServer https(TestCertificates ca, String name, String... more) {
      try {
        HttpsServer server =
            HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(ca.serverContext(name, more)));
        server.createContext(
            "/",
            exchange -> {
              try (exchange;
                  InputStream in = exchange.getRequestBody()) {
                String body = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
                var headers = exchange.getRequestHeaders();
                calls
                    .computeIfAbsent(
                        exchange.getRequestURI().getPath(), k -> new CopyOnWriteArrayList<>())
                    .add(
                        new Call(
                            headers.getFirst("webhook-id"),
                            Long.parseLong(headers.getFirst("webhook-timestamp")),
                            headers.getFirst("webhook-signature"),
                            body,
                            System.currentTimeMillis()));
                exchange.sendResponseHeaders(204, -1);
              }
            });
        server.start();
        return server;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    static String pem(TestCertificates ca) {
      try {
        Path file = Files.createTempFile("webhook-test-ca", ".pem");
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

    @Override
    public void stop() {
      if (trusted != null) {
        trusted.stop(0);
        untrusted.stop(0);
      }
      if (dns != null) {
        dns.close();
      }
    }
  }

  private static JsonPath create(String url, String domain) {
    return admin()
        .body(Map.of("url", url, "events", List.of("message.queued"), "domains", List.of(domain)))
        .post("/v1/webhooks")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  private static List<Call> calls(String path) {
    return Endpoints.calls.getOrDefault(path, List.of());
  }

  private static List<Map<String, Object>> attempts(String webhook) {
    return admin()
        .get("/v1/webhooks/" + webhook + "/deliveries")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("items");
  }

  @Test
  void anHttpsEndpointGetsSignedEventsWhenItsCertificateVerifies() {
    String domain = Api.registerDomain();
    String path = "/hook-" + UUID.randomUUID();
    int port = Endpoints.trusted.getAddress().getPort();
    String secret = create("https://" + TLS_HOST + ":" + port + path, domain).getString("secret");
    Api.send(Api.message(domain, "t@example.org")).then().statusCode(202);
    await().atMost(Duration.ofSeconds(15)).until(() -> calls(path).size() >= 1);
    assertThat(calls(path)).hasSize(1).allMatch(c -> c.signedWith(secret));
  }

  @Test
  void anHttpsEndpointWhoseCertificateDoesNotVerifyGetsNothing() {
    String domain = Api.registerDomain();
    String path = "/hook-" + UUID.randomUUID();
    int port = Endpoints.untrusted.getAddress().getPort();
    String webhook =
        create("https://" + UNTRUSTED_HOST + ":" + port + path, domain).getString("id");
    Api.send(Api.message(domain, "u@example.org")).then().statusCode(202);
    await().atMost(Duration.ofSeconds(15)).until(() -> !attempts(webhook).isEmpty());
    assertThat(attempts(webhook).get(0).get("status")).isEqualTo("retrying");
    assertThat(attempts(webhook).get(0).get("httpStatus")).isNull();
    assertThat(calls(path)).isEmpty();
  }

  @Test
  void whenAnAddressOfTheNameRefusesTheNextOneIsTried() {
    String domain = Api.registerDomain();
    String path = "/hook-" + UUID.randomUUID();
    int port = Endpoints.trusted.getAddress().getPort();
    String webhook = create("https://" + MULTI_HOST + ":" + port + path, domain).getString("id");
    for (int i = 0; i < 3; i++) {
      Api.send(Api.message(domain, "m" + i + "@example.org")).then().statusCode(202);
    }
    await().atMost(Duration.ofSeconds(15)).until(() -> calls(path).size() >= 3);
    // each at its first try: three of the four addresses refuse, the fourth answers (one try may
    // run out of time on a busy machine; with only the first address, nearly every try fails)
    List<Map<String, Object>> log = attempts(webhook);
    assertThat(log.stream().filter(a -> "delivered".equals(a.get("status")))).hasSize(3);
    assertThat(log).hasSizeLessThanOrEqualTo(4);
  }
}
