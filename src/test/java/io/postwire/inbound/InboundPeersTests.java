package io.postwire.inbound;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.testing.Db;
import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import io.postwire.testing.dns.NsdServer;
import io.postwire.testing.smtp.PostfixServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Inbound mail against real peers: NSD serves the recipient domain's MX, Postfix accepts the
 * message (the recipient is {@code delivered}) and then bounces it with an RFC 3464 DSN to the VERP
 * envelope sender, which reaches the inbound listener: the recipient becomes {@code bounced} with
 * the DSN's status. swaks sends an ARF complaint and an auto-reply as other senders' software
 * would.
 */
@Tag("peers")
@QuarkusTest
@TestProfile(InboundPeersTests.Peers.class)
class InboundPeersTests {

  static final String DOMAIN = "bouncing.example.net";
  static final String KEPT = "kept.example.net";
  static final String RETURN_PATH = "bounces.postwire.test";
  static final String FEEDBACK = "fbl@" + RETURN_PATH;

  /** NSD, Postfix that bounces after accepting, and the inbound listener on a known port. */
  public static class Peers implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(Resource.class));
    }
  }

  /** Starts the listener's port first, so Postfix knows where to send its bounces. */
  public static class Resource implements QuarkusTestResourceLifecycleManager {
    static volatile NsdServer nsd;
    static volatile PostfixServer postfix;
    static volatile int inboundPort;

    @Override
    public Map<String, String> start() {
      inboundPort = Ports.free();
      postfix = PostfixServer.startBouncing(DOMAIN, "5.1.1", KEPT, RETURN_PATH, inboundPort);
      nsd =
          NsdServer.start(
              Map.of(
                  KEPT,
                  "$TTL 300\n"
                      + "@ SOA ns.kept.example.net. hostmaster.kept.example.net. 1 3600"
                      + " 600 86400 60\n"
                      + "@ NS ns\n"
                      + "ns A 127.0.0.1\n"
                      + "@ IN MX 10 mx\n"
                      + "mx IN A 127.0.0.1\n",
                  DOMAIN,
                  "$TTL 300\n"
                      + "@ SOA ns.bouncing.example.net. hostmaster.bouncing.example.net. 1 3600"
                      + " 600 86400 60\n"
                      + "@ NS ns\n"
                      + "ns A 127.0.0.1\n"
                      + "@ IN MX 10 mx\n"
                      + "mx IN A 127.0.0.1\n"));
      return Map.ofEntries(
          Map.entry("postwire.delivery.mode", "mx"),
          Map.entry("postwire.delivery.smtp-port", Integer.toString(postfix.port())),
          Map.entry("postwire.dns.servers", "127.0.0.1:" + nsd.port()),
          Map.entry("postwire.delivery.retry.initial", "1s"),
          Map.entry("postwire.delivery.command-timeout", "5s"),
          Map.entry("postwire.delivery.poll-interval", "300ms"),
          Map.entry("postwire.delivery.mta-sts.enabled", "false"),
          Map.entry("postwire.inbound.port", Integer.toString(inboundPort)),
          Map.entry("postwire.inbound.host", "127.0.0.1"),
          Map.entry("postwire.inbound.domain", RETURN_PATH),
          Map.entry("postwire.inbound.feedback-address", FEEDBACK));
    }

    @Override
    public void stop() {
      if (nsd != null) {
        nsd.close();
      }
      if (postfix != null) {
        postfix.close();
      }
    }
  }

  static String send(String from, String to) {
    return admin()
        .body(Map.of("from", "sender@" + from, "to", List.of(to), "subject", "Hi", "text", "hi"))
        .post("/v1/messages")
        .then()
        .statusCode(202)
        .extract()
        .path("id");
  }

  static String status(String id) {
    return admin().get("/v1/messages/" + id).then().extract().path("recipients[0].status");
  }

  static List<String> eventTypes(String id) {
    return admin().get("/v1/messages/" + id).then().extract().path("events.type");
  }

  @Test
  void postfixAcceptsThenBouncesAndItsDsnBouncesTheDeliveredRecipient() {
    String from = registerDomain();
    String id = send(from, "nobody@" + DOMAIN);

    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(300))
        .until(() -> "bounced".equals(status(id)));

    assertThat(eventTypes(id))
        .as("postfix log:\n%s", Resource.postfix.log())
        .containsSubsequence("delivered", "bounced");
    assertThat(
            admin()
                .get("/v1/messages/" + id)
                .then()
                .extract()
                .<String>path("events.find { it.type == 'bounced' }.detail.dsn.status"))
        .isEqualTo("5.1.1");
    assertThat(
            admin()
                .get("/v1/messages/" + id)
                .then()
                .extract()
                .<String>path("recipients[0].bounceCategory"))
        .isEqualTo("invalid_recipient");
    admin()
        .get("/v1/suppressions/nobody@" + DOMAIN)
        .then()
        .statusCode(200)
        .body("items[0].reason", org.hamcrest.Matchers.equalTo("hard_bounce"));
  }

  @Inject Pool pool;

  @Inject Verp verp;

  /** The VERP address the delivery of {@code id} left with. */
  String verpOf(String id) {
    long delivery =
        Db.rows(pool, "select id from delivery where message_id = $1::uuid", id)
            .get(0)
            .getLong("id");
    return verp.address(delivery, RETURN_PATH);
  }

  static PeerProcess.Result swaks(String from, String to, String data) {
    return PeerProcess.run(
        "swaks",
        List.of(
            "/usr/bin/swaks",
            "--server",
            "127.0.0.1:" + Resource.inboundPort,
            "--helo",
            "isp.remote.test",
            "--from",
            from,
            "--to",
            to,
            "--data",
            "-",
            "--timeout",
            "20"),
        Map.of(),
        data.getBytes(StandardCharsets.UTF_8),
        Duration.ofSeconds(30));
  }

  @Test
  void swaksSendsAnArfComplaintAndAnAutoReply() {
    String from = registerDomain();
    String rcpt = "reader@" + KEPT;
    String id = send(from, rcpt);
    await().atMost(Duration.ofSeconds(60)).until(() -> eventTypes(id).contains("delivered"));
    String verp = verpOf(id);
    assertThat(Resource.postfix.log()).contains("from=<" + verp + ">");

    PeerProcess.Result reply = swaks(rcpt, verp, TestReports.autoReply(verp, rcpt));
    assertThat(reply.exitCode()).as(reply.stdout() + reply.stderr()).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> eventTypes(id).contains("auto_replied"));

    PeerProcess.Result arf =
        swaks("fbl@isp.remote.test", FEEDBACK, TestReports.arf(FEEDBACK, verp, rcpt, "<x@y>"));
    assertThat(arf.exitCode()).as(arf.stdout() + arf.stderr()).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> eventTypes(id).contains("complained"));
    admin()
        .get("/v1/suppressions/" + rcpt)
        .then()
        .statusCode(200)
        .body("items.reason", org.hamcrest.Matchers.hasItem("complaint"));

    PeerProcess.Result relay =
        swaks("spammer@remote.test", "victim@example.org", "Subject: x\r\n\r\nx\r\n");
    assertThat(relay.exitCode()).isNotZero();
    assertThat(relay.stdout()).contains("550 5.7.1");
  }
}
