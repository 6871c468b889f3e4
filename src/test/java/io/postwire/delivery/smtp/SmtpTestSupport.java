package io.postwire.delivery.smtp;

import io.postwire.delivery.smtp.SmtpTransaction.TlsPolicy;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** Shared message and transaction builders for the transport tests. */
final class SmtpTestSupport {

  static final String HOST = "mx.example.test";

  static final String MESSAGE =
      "From: Sender <sender@example.test>\r\n"
          + "To: rcpt@example.test\r\n"
          + "Subject: dot stuffing\r\n"
          + "DKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=s1;\r\n"
          + "\th=from:to:subject; bh=abc=; b=xyz=\r\n"
          + "\r\n"
          + "First line\r\n"
          + ".a line starting with a dot\r\n"
          + "..two dots\r\n"
          + ".\r\n"
          + "last line\r\n";

  private SmtpTestSupport() {}

  static SmtpTransaction tx(ScriptedSmtpServer server, TlsPolicy tls, String... recipients) {
    return new SmtpTransaction(
        HOST,
        server.address(),
        server.port(),
        tls,
        "bounce@example.test",
        List.of(recipients),
        MESSAGE.getBytes(StandardCharsets.US_ASCII));
  }

  static SmtpResult send(SmtpTransport transport, SmtpTransaction tx) {
    return transport.send(tx).await().atMost(Duration.ofSeconds(30));
  }

  static SmtpClientOptions fastOptions() {
    return SmtpClientOptions.defaults("client.example.test").withTimeouts(Duration.ofSeconds(2));
  }
}
