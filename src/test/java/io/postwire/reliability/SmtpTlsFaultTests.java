package io.postwire.reliability;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.DeliveryPipeline;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.postwire.testing.smtp.TestCertificates;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A relay whose STARTTLS handshake fails (RFC 3207 section 4.1) while {@code
 * postwire.relay.starttls=required}: every recipient is deferred, never sent in clear, and no
 * worker or connection is left behind.
 */
@QuarkusTest
@TestProfile(SmtpTlsFaultTests.RequiredTls.class)
class SmtpTlsFaultTests {

  static volatile ScriptedSmtpServer server;

  /** Relay with STARTTLS required, to a server whose handshake fails. */
  public static class RequiredTls implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(BrokenTlsRelay.class));
    }
  }

  /** A scripted relay that offers STARTTLS and then breaks the handshake. */
  public static class BrokenTlsRelay implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
      io.postwire.testing.PendingDeliveries.retire();
      server =
          ScriptedSmtpServer.start()
              .starttls(TestCertificates.selfSignedServerContext("relay.test"))
              .failTlsHandshake();
      return Map.of(
          "postwire.delivery.mode", "relay",
          "postwire.relay.host", "127.0.0.1",
          "postwire.relay.port", Integer.toString(server.port()),
          "postwire.relay.starttls", "required",
          "postwire.delivery.command-timeout", "2s",
          "postwire.delivery.idle-timeout", "2s",
          "postwire.delivery.poll-interval", "300ms");
    }

    @Override
    public void stop() {
      server.close();
    }
  }

  @Inject DeliveryPipeline pipeline;

  @Test
  void aFailedTlsHandshakeDefersEveryRecipientAndSendsNothingInClear() {
    String domain = registerDomain();
    Instant before = Instant.now();
    String id =
        admin()
            .body(
                Map.of(
                    "from",
                    "a@" + domain,
                    "to",
                    List.of("one@example.org", "two@example.org"),
                    "text",
                    "x"))
            .post("/v1/messages")
            .then()
            .statusCode(202)
            .extract()
            .path("id");
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () ->
                admin()
                    .get("/v1/messages/" + id)
                    .then()
                    .extract()
                    .jsonPath()
                    .getList("recipients.status")
                    .equals(List.of("deferred", "deferred")));
    JsonPath view = admin().get("/v1/messages/" + id).then().extract().jsonPath();
    for (int i = 0; i < 2; i++) {
      assertThat(view.getInt("recipients[" + i + "].attempts")).isEqualTo(1);
      assertThat(Instant.parse(view.getString("recipients[" + i + "].nextAttemptAt")))
          .isAfter(before);
    }
    assertThat(server.messages()).isEmpty();
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL") || c.startsWith("RCPT"));
    await().atMost(Duration.ofSeconds(10)).until(() -> pipeline.inFlight() == 0);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
  }
}
