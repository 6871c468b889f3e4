package io.postwire.delivery.smtp;

import static io.postwire.delivery.smtp.SmtpTestSupport.fastOptions;
import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DirectSmtpTransport} against Postfix's {@code smtp-sink} (Debian package {@code postfix}),
 * started here on a free loopback port: an independent RFC 5321 server with PIPELINING.
 */
@Tag("peers")
class DirectSmtpTransportSmtpSinkTest {

  private static final Path SMTP_SINK = Path.of("/usr/sbin/smtp-sink");

  @TempDir Path dir;

  @Test
  void deliversTwoTransactionsOverOneConnectionToSmtpSink() throws Exception {
    assertThat(SMTP_SINK).as("smtp-sink from the Debian postfix package").isExecutable();
    // smtp-sink drops root privileges to -u, which must be able to write the dump
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path dump = dir.resolve("dump");
    int port = Ports.free();
    List<String> command =
        new ArrayList<>(List.of(SMTP_SINK.toString(), "-c", "-D", dump.toString()));
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("-u", "nobody"));
    }
    command.addAll(List.of("127.0.0.1:" + port, "10"));
    Path output = dir.resolve("output");
    PeerProcess sink = PeerProcess.start("smtp-sink", command, Map.of(), output);
    Vertx vertx = Vertx.vertx();
    try (DirectSmtpTransport transport = new DirectSmtpTransport(vertx, fastOptions())) {
      sink.awaitPort(port, Duration.ofSeconds(10));
      String message =
          "From: sender@example.test\r\nTo: a@example.test\r\nSubject: sink\r\n\r\n"
              + "Body\r\n.a line starting with a dot\r\n";
      for (int i = 0; i < 2; i++) {
        SmtpTransaction tx =
            new SmtpTransaction(
                "sink.example.test",
                "127.0.0.1",
                port,
                TlsPolicy.OPPORTUNISTIC,
                "bounce@example.test",
                List.of("a" + i + "@example.test", "b" + i + "@example.test"),
                message.getBytes(StandardCharsets.US_ASCII));

        SmtpResult result = transport.send(tx).await().atMost(Duration.ofSeconds(20));

        assertThat(result.recipients().values())
            .allSatisfy(r -> assertThat(r).isEqualTo(new SmtpReply(250, "2.0.0", "Ok")));
      }
      assertThat(transport.openConnections("sink.example.test")).isEqualTo(1);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      sink.close();
    }
    String counters = Files.readString(output, StandardCharsets.ISO_8859_1);
    String dumped = Files.readString(dump, StandardCharsets.ISO_8859_1);
    // two messages (-c prints "sess=… quit=… mesg=…"; the readiness probe is a session too,
    // so connection reuse is checked on our side above)
    assertThat(counters).contains("mesg=2").doesNotContain("mesg=3");
    assertThat(dumped.split("X-Client-Addr: 127.0.0.1", -1)).hasSize(3);
    assertThat(dumped)
        .contains("X-Rcpt-Args: <a0@example.test>", "X-Rcpt-Args: <b1@example.test>")
        .contains("X-Mail-Args: <bounce@example.test>")
        // dot-stuffing undone by the server: the original line comes back (RFC 5321 §4.5.2)
        .contains("Subject: sink\n\nBody\n.a line starting with a dot\n");
  }
}
