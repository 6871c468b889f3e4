package io.postwire.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.postwire.egress.EgressPolicy;
import io.postwire.testing.smtp.TestCertificates;
import io.vertx.mutiny.core.Vertx;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Policy fetches (RFC 8461 §3.3) from an HTTPS server on 127.0.0.1, with addresses on which nothing
 * listens (127.0.0.3, 127.0.0.4) standing in for a policy host's dead web servers, and hostile
 * policy hosts that stream forever or drip their body byte by byte.
 */
class MtaStsFetcherTest {

  static final String HOST = "mta-sts.example.test";
  static final String POLICY = "version: STSv1\r\nmode: enforce\r\nmx: *.example.test\r\n";

  /** Streams a body without end, as fast as it is read. */
  static final String ENDLESS = "mta-sts.endless.example.test";

  /** Sends one byte every 100 ms, forever: never idle, never done. */
  static final String DRIP = "mta-sts.drip.example.test";

  /** Declares a body of 100,000 bytes. */
  static final String LARGE = "mta-sts.large.example.test";

  /** Bytes the hostile handlers wrote, and whether they are still writing. */
  static final AtomicLong written = new AtomicLong();

  static final AtomicInteger writing = new AtomicInteger();

  static Vertx vertx;
  static HttpsServer https;
  static MtaStsFetcher fetcher;

  /** A fetcher whose egress policy allows 127.0.0.1 only. */
  static MtaStsFetcher onlyMain;

  @BeforeAll
  static void start() throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    https.setHttpsConfigurator(new HttpsConfigurator(ca.serverContext(HOST, ENDLESS, DRIP, LARGE)));
    https.setExecutor(Executors.newCachedThreadPool());
    https.createContext(
        "/.well-known/mta-sts.txt",
        exchange -> {
          String host = exchange.getRequestHeaders().getFirst("Host").replaceFirst(":\\d+$", "");
          switch (host) {
            case ENDLESS -> endless(exchange, new byte[8192], 0);
            case DRIP -> endless(exchange, new byte[1], 100);
            case LARGE -> {
              exchange.sendResponseHeaders(200, 100_000);
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(new byte[100_000]);
              } catch (IOException e) {
                // the client hung up, as it should
              }
            }
            default -> {
              byte[] body = POLICY.getBytes(StandardCharsets.UTF_8);
              exchange.sendResponseHeaders(200, body.length);
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
              }
            }
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
            Optional.empty(),
            EgressPolicy.allowing(List.of("127.0.0.0/8")));
    onlyMain =
        new MtaStsFetcher(
            vertx,
            https.getAddress().getPort(),
            Duration.ofSeconds(2),
            Optional.of(pem.toString()),
            Optional.empty(),
            EgressPolicy.allowing(List.of("127.0.0.1/32")));
  }

  /**
   * A chunked 200 whose body never ends: {@code chunk} after {@code chunk}, {@code pauseMillis}
   * apart, until the client hangs up (or 30 s pass, so a broken test cannot leave it running).
   */
  static void endless(HttpExchange exchange, byte[] chunk, long pauseMillis) throws IOException {
    writing.incrementAndGet();
    Arrays.fill(chunk, (byte) 'x');
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    exchange.sendResponseHeaders(200, 0);
    try (OutputStream out = exchange.getResponseBody()) {
      while (System.nanoTime() < end) {
        out.write(chunk);
        out.flush();
        written.addAndGet(chunk.length);
        if (pauseMillis > 0) {
          Thread.sleep(pauseMillis);
        }
      }
    } catch (IOException e) {
      // the client hung up
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      writing.decrementAndGet();
    }
  }

  @AfterAll
  static void stop() {
    fetcher.close();
    onlyMain.close();
    https.stop(0);
    vertx.closeAndAwait();
  }

  /** An address from its literal (no lookup). */
  static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  static String fetch(List<InetAddress> addresses) {
    return fetch(HOST, addresses);
  }

  static String fetch(String host, List<InetAddress> addresses) {
    return fetcher.fetch(host, addresses).await().atMost(Duration.ofSeconds(20));
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

  @Test
  void stopsReadingAnEndlessBodyAt64KiB() throws Exception {
    long before = written.get();
    long started = System.nanoTime();
    // RFC 8461 §3.3: a sender may refuse a policy over 64 KiB; it must not buffer what follows
    assertThatThrownBy(() -> fetch(ENDLESS, List.of(ip("127.0.0.1"))))
        .hasMessageContaining("over 64 KiB")
        .hasMessageNotContaining("within");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
    // the connection is closed: the server's writes fail and it stops
    await().atMost(Duration.ofSeconds(10)).until(() -> writing.get() == 0);
    assertThat(written.get() - before).isLessThan(16L * 1024 * 1024);
  }

  @Test
  void refusesADeclaredBodyOver64KiBWithoutReadingIt() throws Exception {
    assertThatThrownBy(() -> fetch(LARGE, List.of(ip("127.0.0.1"))))
        .hasMessageContaining("over 64 KiB");
  }

  @Test
  void givesUpOnADrippingBodyAtTheDeadline() throws Exception {
    long started = System.nanoTime();
    // a byte every 100 ms keeps the connection from ever being idle; only the deadline ends it
    assertThatThrownBy(() -> fetch(DRIP, List.of(ip("127.0.0.1"))))
        .hasRootCauseInstanceOf(TimeoutException.class)
        .hasMessageContaining("within 2000 ms");
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
    assertThat(took).isLessThan(Duration.ofSeconds(6));
    await().atMost(Duration.ofSeconds(10)).until(() -> writing.get() == 0);
  }

  @Test
  void neverConnectsToAnAddressTheEgressPolicyRefuses() throws Exception {
    try (ServerSocketChannel listener = ServerSocketChannel.open()) {
      listener.bind(new InetSocketAddress("127.0.0.2", https.getAddress().getPort()));
      listener.configureBlocking(false);
      assertThatThrownBy(
              () ->
                  onlyMain
                      .fetch(HOST, List.of(ip("127.0.0.2")))
                      .await()
                      .atMost(Duration.ofSeconds(20)))
          .hasMessageContaining(HOST + ": destination not allowed by egress policy")
          .hasMessageNotContaining("127.0.0.2");
      assertThatThrownBy(
              () -> onlyMain.fetch(HOST, ip("127.0.0.2")).await().atMost(Duration.ofSeconds(20)))
          .hasMessageContaining("destination not allowed by egress policy");
      // a refused address is skipped, not counted among the four tried
      assertThat(
              onlyMain
                  .fetch(HOST, List.of(ip("127.0.0.2"), ip("127.0.0.1")))
                  .await()
                  .atMost(Duration.ofSeconds(20)))
          .isEqualTo(POLICY);
      assertThat(listener.accept()).as("no connection reached 127.0.0.2").isNull();
    }
  }
}
