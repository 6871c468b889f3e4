package io.postwire.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.testing.Ports;
import io.postwire.testing.TestVertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The spamd client against an in-JVM fake spamd for the protocol's edge cases (a real spamd is in
 * {@code SpamdPeersTests}): what it sends, a complete answer, and the answers that count as none
 * (too slow, too large, garbled, refused, no server).
 */
class SpamdTest {

  @RegisterExtension static final TestVertx VERTX = new TestVertx();

  static final byte[] MESSAGE =
      "From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  static final String REPORT =
      """
      Spam detection software, running on the system "mx",
      has identified this incoming email as possible spam.

      Content preview:  Hello
         more preview

      Content analysis details:   (6.1 points, 5.0 required)

       pts rule name              description
      ---- ---------------------- --------------------------------------------------
       3.5 MISSING_DATE           Missing Date: header
      -0.0 NO_RELAYS              Informational: message was not relayed via SMTP
       2.6 HTML_SHORT_LINK_IMG_1  HTML is very short with a linked image
                                  [score: 0.5000]
      1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email

      """
          .replace("\n", "\r\n");

  FakeSpamd fake;

  @AfterEach
  void stop() throws IOException {
    if (fake != null) {
      fake.close();
    }
  }

  /** A spamd that reads one request and then does what the test says. */
  static final class FakeSpamd implements AutoCloseable {
    interface Behaviour {
      void answer(byte[] request, OutputStream out) throws IOException, InterruptedException;
    }

    final ServerSocket server;
    final CompletableFuture<byte[]> request = new CompletableFuture<>();
    final CountDownLatch release = new CountDownLatch(1);

    FakeSpamd(Behaviour behaviour) throws IOException {
      server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
      Thread t =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  s.setSoTimeout(10_000);
                  byte[] req = read(s.getInputStream());
                  request.complete(req);
                  behaviour.answer(req, s.getOutputStream());
                  s.getOutputStream().flush();
                } catch (IOException | InterruptedException e) {
                  request.completeExceptionally(e);
                }
              },
              "fake-spamd");
      t.setDaemon(true);
      t.start();
    }

    /** The request: its header, then as many octets as its Content-length says. */
    static byte[] read(InputStream in) throws IOException {
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      int length = -1;
      for (int i = 0; i < 1_000_000; i++) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        got.write(b);
        String text = got.toString(StandardCharsets.ISO_8859_1);
        if (length < 0 && text.endsWith("\r\n\r\n")) {
          for (String line : text.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
              length = Integer.parseInt(line.substring(15).trim());
            }
          }
          got.write(in.readNBytes(length));
          break;
        }
      }
      return got.toByteArray();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      release.countDown();
      server.close();
    }
  }

  static CheckConfig config(int port, Duration timeout, int maxReply) {
    return new CheckConfig() {
      @Override
      public Optional<String> spamd() {
        return Optional.of("127.0.0.1:" + port);
      }

      @Override
      public Duration spamdConnectTimeout() {
        return Duration.ofSeconds(2);
      }

      @Override
      public Duration spamdTimeout() {
        return timeout;
      }

      @Override
      public int spamdMaxReply() {
        return maxReply;
      }

      @Override
      public int spamdMaxSize() {
        return 512_000;
      }
    };
  }

  Spamd client(int port) {
    return new Spamd(VERTX.get(), config(port, Duration.ofSeconds(10), 64 * 1024));
  }

  static SpamReport await(Spamd spamd) {
    return spamd.check(MESSAGE).await().atMost(Duration.ofSeconds(30));
  }

  static String answer(String head, String body) {
    return "SPAMD/1.1 0 EX_OK\r\nContent-length: "
        + body.getBytes(StandardCharsets.UTF_8).length
        + "\r\n"
        + head
        + "\r\n"
        + body;
  }

  @Test
  void sendsAReportRequestWithTheMessageAndReadsScoreThresholdAndRules() throws Exception {
    fake =
        new FakeSpamd(
            (req, out) ->
                out.write(
                    answer("Spam: True ; 1006.1 / 5.0\r\n", REPORT)
                        .getBytes(StandardCharsets.UTF_8)));
    SpamReport report = await(client(fake.port()));
    String request = new String(fake.request.get(5, TimeUnit.SECONDS), StandardCharsets.US_ASCII);
    assertThat(request)
        .startsWith("REPORT SPAMC/1.5\r\nContent-length: " + MESSAGE.length + "\r\n")
        .endsWith("\r\n\r\n" + new String(MESSAGE, StandardCharsets.US_ASCII));
    assertThat(report.engine()).isEqualTo("spamassassin");
    assertThat(report.flagged()).isTrue();
    assertThat(report.score()).isEqualTo(1006.1);
    assertThat(report.threshold()).isEqualTo(5.0);
    assertThat(report.rules())
        .containsExactly(
            new SpamReport.Rule("MISSING_DATE", 3.5, "Missing Date: header"),
            new SpamReport.Rule(
                "NO_RELAYS", -0.0, "Informational: message was not relayed via SMTP"),
            new SpamReport.Rule(
                "HTML_SHORT_LINK_IMG_1",
                2.6,
                "HTML is very short with a linked image [score: 0.5000]"),
            new SpamReport.Rule("GTUBE", 1000, "BODY: Generic Test for Unsolicited Bulk Email"));
  }

  @Test
  void readsAnAnswerThatArrivesInPiecesAndWithoutRules() throws Exception {
    fake =
        new FakeSpamd(
            (req, out) -> {
              byte[] whole =
                  answer("Spam: False ; 1.2 / 5.0\r\n", "").getBytes(StandardCharsets.UTF_8);
              for (byte b : whole) {
                out.write(b);
                out.flush();
              }
            });
    SpamReport report = await(client(fake.port()));
    assertThat(report.flagged()).isFalse();
    assertThat(report.score()).isEqualTo(1.2);
    assertThat(report.rules()).isEmpty();
  }

  @Test
  void aSpamdThatDoesNotAnswerInTimeCountsAsNoAnswer() throws Exception {
    fake = new FakeSpamd((req, out) -> fake.release.await(20, TimeUnit.SECONDS));
    Spamd slow = new Spamd(VERTX.get(), config(fake.port(), Duration.ofMillis(300), 64 * 1024));
    assertThatThrownBy(() -> await(slow))
        .isInstanceOf(Spamd.SpamdUnavailable.class)
        .hasMessageContaining("did not answer within");
  }

  @Test
  void anAnswerOverTheCapIsCutOff() throws Exception {
    fake =
        new FakeSpamd(
            (req, out) -> {
              byte[] chunk = new byte[8192];
              java.util.Arrays.fill(chunk, (byte) 'x');
              out.write("SPAMD/1.1 0 EX_OK\r\n".getBytes(StandardCharsets.US_ASCII));
              // endless header: far over the cap, then the fake gives up
              for (int i = 0; i < 200; i++) {
                out.write(chunk);
              }
            });
    assertThatThrownBy(() -> await(client(fake.port())))
        .isInstanceOf(Spamd.SpamdUnavailable.class)
        .hasMessageContaining("spamd-max-reply");
  }

  @Test
  void garbageIsNoAnswer() throws Exception {
    fake =
        new FakeSpamd(
            (req, out) ->
                out.write(
                    "HTTP/1.1 200 OK\r\nContent-length: 0\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII)));
    assertThatThrownBy(() -> await(client(fake.port())))
        .isInstanceOf(Spamd.SpamdUnavailable.class)
        .hasMessageContaining("no SPAMD status line");
  }

  @Test
  void aRefusalIsNoAnswer() throws Exception {
    fake =
        new FakeSpamd(
            (req, out) ->
                out.write(
                    "SPAMD/1.0 76 Bad header line: x\r\n".getBytes(StandardCharsets.US_ASCII)));
    assertThatThrownBy(() -> await(client(fake.port())))
        .isInstanceOf(Spamd.SpamdUnavailable.class)
        .hasMessageContaining("refused the message: 76");
  }

  @Test
  void anAnswerWithoutAVerdictIsNoAnswer() throws Exception {
    fake =
        new FakeSpamd(
            (req, out) ->
                out.write(answer("Spam: maybe\r\n", "").getBytes(StandardCharsets.US_ASCII)));
    assertThatThrownBy(() -> await(client(fake.port())))
        .isInstanceOf(Spamd.SpamdUnavailable.class)
        .hasMessageContaining("garbled");
  }

  @Test
  void aClosedPortIsUnreachable() {
    int port = Ports.free();
    assertThatThrownBy(() -> await(client(port)))
        .isInstanceOf(Spamd.SpamdUnavailable.class)
        .hasMessageContaining("unreachable");
  }

  @Test
  void withoutASpamdTheReportIsNull() {
    Spamd none =
        new Spamd(
            VERTX.get(),
            new CheckConfig() {
              @Override
              public Optional<String> spamd() {
                return Optional.empty();
              }

              @Override
              public Duration spamdConnectTimeout() {
                return Duration.ofSeconds(1);
              }

              @Override
              public Duration spamdTimeout() {
                return Duration.ofSeconds(1);
              }

              @Override
              public int spamdMaxReply() {
                return 1;
              }

              @Override
              public int spamdMaxSize() {
                return 1;
              }
            });
    assertThat(none.configured()).isFalse();
    assertThat(await(none)).isNull();
  }
}
