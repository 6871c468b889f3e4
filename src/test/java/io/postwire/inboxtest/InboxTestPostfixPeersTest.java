package io.postwire.inboxtest;

import static io.postwire.testing.Api.admin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.dkim.DkimAlgorithm;
import io.postwire.dkim.DkimKeys;
import io.postwire.inbound.InboundListener;
import io.postwire.testing.MailPeers;
import io.postwire.testing.PeerProcess;
import io.postwire.testing.dns.TestDnsServer;
import io.postwire.testing.smtp.PostfixServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An inbox test receiving mail from a real Postfix (Debian's {@code postfix}) relaying to the
 * inbound listener: the message is signed by dkimpy with a key that is not the one published in DNS
 * (a broken key), and its envelope sender is on another organization's domain whose SPF passes, so
 * DKIM fails, SPF passes unaligned, and DMARC fails. A missing Postfix or python3-dkim fails.
 */
@Tag("peers")
@QuarkusTest
@TestProfile(InboxTestSmtpProfile.class)
class InboxTestPostfixPeersTest {

  /** Signs stdin with dkimpy and submits it to Postfix over SMTP. */
  static final String SIGN_AND_SUBMIT =
      String.join(
          "\n",
          "import sys, smtplib, dkim",
          "port, keyfile, sel, dom, sender, rcpt = sys.argv[1:7]",
          "msg = sys.stdin.buffer.read()",
          "sig = dkim.sign(msg, sel.encode(), dom.encode(), open(keyfile, 'rb').read(),",
          "    canonicalize=(b'relaxed', b'simple'))",
          "with smtplib.SMTP('127.0.0.1', int(port), timeout=30) as s:",
          "    s.sendmail(sender, [rcpt], sig + msg)",
          "print('sent')",
          "");

  TestDnsServer dns;

  @Inject InboundListener listener;

  @Test
  void aPostfixRelayedMessageSignedWithABrokenKeyFailsDkimAndDmarc() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String from = "brk-" + run + ".example.org";
    String bounce = "esp-" + run + ".example.net";
    KeyPair signing = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    KeyPair published = DkimKeys.generate(DkimAlgorithm.RSA_SHA256);
    dns.longTxt(
            "s1._domainkey." + from,
            DkimKeys.dnsRecordValue(DkimAlgorithm.RSA_SHA256, published.getPublic()))
        .txt("_dmarc." + from, "v=DMARC1; p=reject")
        .txt(bounce, "v=spf1 ip4:127.0.0.1 -all");
    JsonPath created = admin().post("/v1/inbox-tests").then().statusCode(201).extract().jsonPath();
    String address = created.getString("address");

    Path key = Files.createTempFile("broken-key", ".pem");
    try (PostfixServer postfix = PostfixServer.startPlainRelay(listener.port())) {
      Files.writeString(
          key,
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(signing.getPrivate().getEncoded())
              + "\n-----END PRIVATE KEY-----\n");
      byte[] message =
          ("From: Alice <alice@"
                  + from
                  + ">\r\nTo: "
                  + address
                  + "\r\nSubject: Broken key\r\nDate: Sat, 05 Dec 2026 04:00:00 +0000\r\n"
                  + "Message-ID: <"
                  + run
                  + "@"
                  + from
                  + ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
                  + "Signed with a key DNS does not have.\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      assertThat(Files.isExecutable(MailPeers.PYTHON)).as("/usr/bin/python3 is required").isTrue();
      PeerProcess.Result sent =
          PeerProcess.run(
              "dkimpy-submit",
              List.of(
                  MailPeers.PYTHON.toString(),
                  "-c",
                  SIGN_AND_SUBMIT,
                  Integer.toString(postfix.port()),
                  key.toString(),
                  "s1",
                  from,
                  "bounce@" + bounce,
                  address),
              Map.of(),
              message,
              Duration.ofSeconds(60));
      assertThat(sent.exitCode()).as(sent.stdout() + sent.stderr()).isZero();
      String id = created.getString("id");
      try {
        await()
            .atMost(Duration.ofSeconds(40))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () ->
                    "received"
                        .equals(
                            admin().get("/v1/inbox-tests/" + id).then().extract().path("status")));
      } catch (RuntimeException e) {
        throw new AssertionError("no report; Postfix said:\n" + postfix.log(), e);
      }
      JsonPath shown =
          admin().get("/v1/inbox-tests/" + id).then().statusCode(200).extract().jsonPath();
      assertThat(shown.getMap("report.spf"))
          .containsEntry("result", "pass")
          .containsEntry("domain", bounce);
      assertThat(shown.getList("report.dkim.result", String.class)).containsExactly("fail");
      assertThat(shown.getList("report.dkim.domain", String.class)).containsExactly(from);
      assertThat(shown.getString("report.dmarc.result")).isEqualTo("fail");
      assertThat(shown.getString("report.dmarc.policy")).isEqualTo("reject");
      assertThat(shown.getMap("report.dmarc.alignment"))
          .containsEntry("spf", false)
          .containsEntry("dkim", false);
      assertThat(shown.getString("report.tls")).isNull();
    } finally {
      Files.deleteIfExists(key);
    }
  }
}
