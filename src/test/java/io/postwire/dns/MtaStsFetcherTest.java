package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.postwire.testing.smtp.TestCertificates;
import io.vertx.mutiny.core.Vertx;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Policy fetches (RFC 8461 §3.3) from an HTTPS server on 127.0.0.1, with addresses on which nothing
 * listens (127.0.0.3, 127.0.0.4) standing in for a policy host's dead web servers.
 */
class MtaStsFetcherTest {

  static final String HOST = "mta-sts.example.test";
  static final String POLICY = "version: STSv1\r\nmode: enforce\r\nmx: *.example.test\r\n";

  static Vertx vertx;
  static HttpsServer https;
  static MtaStsFetcher fetcher;

  @BeforeAll
  static void start() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    https.setHttpsConfigurator(new HttpsConfigurator(ca.serverContext(HOST)));
    https.createContext(
        "/.well-known/mta-sts.txt",
        exchange -> {
          byte[] body = POLICY.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    https.start();
    Path pem = Files.createTempFile("mta-sts-ca", ".pem");
    pem.toFile().deleteOnExit();
    Files.writeString(
        pem,
        "-----BEGIN CERTIFICATE-----\n"
            + Base64.getMimeEncoder().encodeToString(ca.caCertificate().getEncoded())
            + "\n-----END CERTIFICATE-----\n");
    vertx = Vertx.vertx();
    fetcher =
        new MtaStsFetcher(
            vertx,
            https.getAddress().getPort(),
            Duration.ofSeconds(2),
            Optional.of(pem.toString()),
            Optional.empty());
  }

  @AfterAll
  static void stop() {
    fetcher.close();
    https.stop(0);
    vertx.closeAndAwait();
  }

  /** An address from its literal (no lookup). */
  static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  static String fetch(List<InetAddress> addresses) {
    return fetcher.fetch(HOST, addresses).await().atMost(Duration.ofSeconds(20));
  }

  @Test
  void fetchesThePolicyFromTheOneAddress() throws Exception {
    assertThat(fetch(List.of(ip("127.0.0.1")))).isEqualTo(POLICY);
  }

  @Test
  void triesTheNextAddressWhenOneDoesNotAnswer() throws Exception {
    assertThat(fetch(List.of(ip("127.0.0.3"), ip("127.0.0.4"), ip("127.0.0.1")))).isEqualTo(POLICY);
  }

  @Test
  void failsWithTheFirstAddresssFailureWhenNoneAnswers() throws Exception {
    assertThatThrownBy(() -> fetch(List.of(ip("127.0.0.3"), ip("127.0.0.4"))))
        .hasMessageContaining("127.0.0.3");
  }

  @Test
  void triesNoMoreThanFourAddresses() throws Exception {
    // the live address comes fifth
    List<InetAddress> withLive =
        List.of(
            ip("127.0.0.3"), ip("127.0.0.4"), ip("127.0.0.5"), ip("127.0.0.6"), ip("127.0.0.1"));
    assertThatThrownBy(() -> fetch(withLive)).hasMessageContaining("127.0.0.3");
  }

  @Test
  void aHostWithoutAddressesFails() {
    assertThatThrownBy(() -> fetch(List.of())).hasMessageContaining("has no address");
  }
}
