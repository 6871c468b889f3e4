package io.postwire.smtp.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine on its own, with a handler that is not Postwire's: plaintext AUTH where allowed, what
 * the handler receives, its failures, the DATA deadline, the command and connection limits.
 */
class SmtpServerTest {

  private Vertx vertx;
  private SmtpServer server;
  private final List<SmtpHandler.Transaction> received = new CopyOnWriteArrayList<>();
  private volatile boolean failMessages;

  private final SmtpHandler handler =
      new SmtpHandler() {
        @Override
        public Uni<Authentication> authenticate(SessionInfo s, String user, String password) {
          return Uni.createFrom()
              .item(
                  password.equals("secret")
                      ? new Authentication(new Reply(235, "2.7.0", "OK"), user)
                      : new Authentication(new Reply(535, "5.7.8", "No"), null));
        }

        @Override
        public Uni<Reply> recipient(SessionInfo s, String address) {
          return Uni.createFrom().item(new Reply(250, "2.1.5", "OK"));
        }

        @Override
        public Uni<Reply> message(Transaction t) {
          if (failMessages) {
            return Uni.createFrom().failure(new IllegalStateException("store down"));
          }
          received.add(t);
          return Uni.createFrom().item(new Reply(250, "2.0.0", "queued as 1"));
        }
      };

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    SmtpSettings settings =
        new SmtpSettings(
            "test.example",
            1000,
            5,
            10,
            4,
            Duration.ofSeconds(30),
            Duration.ofSeconds(2),
            true,
            true);
    server =
        new SmtpServer(
            vertx,
            settings,
            handler,
            new SmtpServer.Listen("127.0.0.1", 0, false, null, 2, 10),
            new SimpleMeterRegistry(),
            "test.smtp",
            new AtomicInteger(),
            SmtpServer.newClientCounts());
    server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A tiny client: one line out, one reply (all its lines) in. */
  final class Client implements AutoCloseable {
    final Socket socket;
    final BufferedReader in;
    final OutputStream out;

    Client() throws Exception {
      socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
      socket.setSoTimeout(10_000);
      in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      out = socket.getOutputStream();
    }

    String reply() throws Exception {
      List<String> lines = new ArrayList<>();
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
        if (line.length() < 4 || line.charAt(3) != '-') {
          break;
        }
      }
      return lines.isEmpty() ? null : String.join("\n", lines);
    }

    String command(String line) throws Exception {
      out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return reply();
    }

    void write(String text) throws Exception {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    @Override
    public void close() throws Exception {
      socket.close();
    }
  }

  @Test
  void plaintextAuthWhenAllowedAndTheTransactionReachesTheHandler() throws Exception {
    try (Client c = new Client()) {
      assertThat(c.reply()).startsWith("220 test.example");
      String ehlo = c.command("EHLO me");
      assertThat(ehlo)
          .contains("250-PIPELINING", "250-SIZE 1000", "250-8BITMIME", "250-ENHANCEDSTATUSCODES")
          .contains("AUTH PLAIN LOGIN")
          .doesNotContain("STARTTLS");
      String plain =
          Base64.getEncoder().encodeToString("\0bob\0secret".getBytes(StandardCharsets.UTF_8));
      assertThat(c.command("AUTH PLAIN")).isEqualTo("334 ");
      assertThat(c.command(plain)).startsWith("235 2.7.0");
      assertThat(c.command("MAIL FROM:<> BODY=8BITMIME")).startsWith("250 2.1.0");
      assertThat(c.command("RCPT TO:<x@example.org>")).startsWith("250 2.1.5");
      assertThat(c.command("DATA")).startsWith("354");
      assertThat(c.command("Subject: hi\r\n\r\n..dot\nbare LF\r\n.")).startsWith("250 2.0.0");
    }
    assertThat(received).hasSize(1);
    SmtpHandler.Transaction t = received.get(0);
    assertThat(t.mailFrom()).isEmpty();
    assertThat(t.recipients()).containsExactly("x@example.org");
    assertThat(t.eightBit()).isTrue();
    assertThat(t.session().identity()).isEqualTo("bob");
    assertThat(new String(t.data(), StandardCharsets.ISO_8859_1))
        .isEqualTo("Subject: hi\r\n\r\n.dot\nbare LF\r\n");
  }

  @Test
  void aFailingHandlerIsATemporaryRefusalAndTheSessionGoesOn() throws Exception {
    failMessages = true;
    try (Client c = new Client()) {
      c.reply();
      c.command("EHLO me");
      c.command("AUTH PLAIN " + Base64.getEncoder().encodeToString("\0u\0secret".getBytes()));
      c.command("MAIL FROM:<a@example.com>");
      c.command("RCPT TO:<x@example.org>");
      c.command("DATA");
      assertThat(c.command("x\r\n.")).startsWith("451 4.3.0");
      assertThat(c.command("NOOP")).startsWith("250");
    }
  }

  @Test
  void dataPastItsDeadlineIs421() throws Exception {
    try (Client c = new Client()) {
      c.reply();
      c.command("EHLO me");
      c.command("AUTH PLAIN " + Base64.getEncoder().encodeToString("\0u\0secret".getBytes()));
      c.command("MAIL FROM:<a@example.com>");
      c.command("RCPT TO:<x@example.org>");
      c.command("DATA");
      long start = System.nanoTime();
      // a client trickling data keeps the idle timer away but not the DATA deadline
      String reply = null;
      for (int i = 0; i < 20 && reply == null; i++) {
        c.write("more\r\n");
        Thread.sleep(200);
        if (c.in.ready()) {
          reply = c.reply();
        }
      }
      assertThat(reply).startsWith("421 4.4.2");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }
    assertThat(received).isEmpty();
  }

  @Test
  void tooManyCommandsOutsideTransactions() throws Exception {
    try (Client c = new Client()) {
      c.reply();
      for (int i = 0; i < 4; i++) {
        assertThat(c.command("NOOP")).startsWith("250");
      }
      assertThat(c.command("NOOP")).startsWith("421 4.7.0");
    }
  }

  @Test
  void anAcceptedMessageStartsTheCommandCountAgain() throws Exception {
    try (Client c = new Client()) {
      c.reply();
      c.command("EHLO me");
      c.command("AUTH PLAIN " + Base64.getEncoder().encodeToString("\0u\0secret".getBytes()));
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 3; i++) {
          assertThat(c.command("RSET")).startsWith("250");
        }
        c.command("MAIL FROM:<a@example.com>");
        c.command("RCPT TO:<x@example.org>");
        c.command("DATA");
        assertThat(c.command("x\r\n.")).startsWith("250 2.0.0");
      }
    }
    assertThat(received).hasSize(3);
  }

  @Test
  void connectionsBeyondTheTotalAreRefused() throws Exception {
    try (Client a = new Client();
        Client b = new Client();
        Client third = new Client()) {
      assertThat(a.reply()).startsWith("220");
      assertThat(b.reply()).startsWith("220");
      assertThat(third.reply()).startsWith("421 4.7.0");
    }
  }

  @Test
  void mailNeedsAuthAndHelloFirst() throws Exception {
    try (Client c = new Client()) {
      c.reply();
      assertThat(c.command("MAIL FROM:<a@example.com>")).startsWith("503 5.5.1");
      c.command("EHLO me");
      assertThat(c.command("MAIL FROM:<a@example.com>")).startsWith("530 5.7.0");
      assertThat(c.command("AUTH CRAM-MD5")).startsWith("504 5.5.4");
      assertThat(
              c.command("AUTH PLAIN " + Base64.getEncoder().encodeToString("\0u\0bad".getBytes())))
          .startsWith("535 5.7.8");
      assertThat(c.command("MAIL FROM:<a@example.com> SIZE=1001")).startsWith("530 5.7.0");
    }
  }
}
