package io.postwire.reliability;

import static io.postwire.testing.Api.admin;
import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.DeliveryPipeline;
import io.postwire.testing.PendingDeliveries;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.postwire.testing.smtp.ScriptedSmtpServer.Phase;
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
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SMTP faults met through the whole service in relay mode: each recipient is deferred with a next
 * attempt and what happened recorded (RFC 5321 section 4.5.4.1: retry later), no worker stays busy
 * and no connection is left open once the idle timeout has passed.
 */
@QuarkusTest
@TestProfile(SmtpFaultTests.Faults.class)
class SmtpFaultTests {

  static volatile SmtpFront front;

  /** Relay to a switchable loopback front; 2 s SMTP step timeout, 2 s pooled-connection idle. */
  public static class Faults implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(FrontResource.class));
    }
  }

  /** Starts the front (refusing) and points the relay setting at it. */
  public static class FrontResource implements QuarkusTestResourceLifecycleManager {
    @Override
    public Map<String, String> start() {
      PendingDeliveries.retire();
      front = new SmtpFront();
      return Map.of(
          "postwire.delivery.mode", "relay",
          "postwire.relay.host", "127.0.0.1",
          "postwire.relay.port", Integer.toString(front.port()),
          "postwire.relay.starttls", "optional",
          "postwire.delivery.command-timeout", "2s",
          "postwire.delivery.idle-timeout", "2s",
          "postwire.delivery.poll-interval", "300ms");
    }

    @Override
    public void stop() {
      front.close();
    }
  }

  @Inject DeliveryPipeline pipeline;

  ScriptedSmtpServer server;

  @AfterEach
  void closeServer() {
    front.refuse();
    if (server != null) {
      server.close();
    }
  }

  /** Sends one message to two recipients and waits until both are deferred; returns the view. */
  static JsonPath sendAndAwaitDeferred(Instant before) {
    String domain = registerDomain();
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
    JsonPath view = admin().get("/v1/messages/" + id).then().statusCode(200).extract().jsonPath();
    for (int i = 0; i < 2; i++) {
      assertThat(view.getInt("recipients[" + i + "].attempts")).isEqualTo(1);
      assertThat(Instant.parse(view.getString("recipients[" + i + "].nextAttemptAt")))
          .isAfter(before);
    }
    assertThat(view.getList("events.findAll { it.type == 'deferred' }.recipient"))
        .containsExactlyInAnyOrder("one@example.org", "two@example.org");
    return view;
  }

  void assertNothingStuck() {
    await().atMost(Duration.ofSeconds(10)).until(() -> pipeline.inFlight() == 0);
    if (server != null) {
      await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
    }
  }

  void withServer(Consumer<ScriptedSmtpServer> script) {
    server = ScriptedSmtpServer.start();
    script.accept(server);
    front.forwardTo(server);
  }

  @Test
  void connectionRefusedDefersEveryRecipient() {
    front.refuse();
    Instant before = Instant.now();
    JsonPath view = sendAndAwaitDeferred(before);
    assertThat(view.getString("events.find { it.type == 'deferred' }.detail.toString()"))
        .isNotBlank();
    assertNothingStuck();
  }

  @Test
  void resetInTheMiddleOfDataDefersEveryRecipient() {
    withServer(ScriptedSmtpServer::dropDuringData);
    sendAndAwaitDeferred(Instant.now());
    assertThat(server.messages()).isEmpty();
    assertNothingStuck();
  }

  @Test
  void aServerStallingPastTheCommandTimeoutDefersEveryRecipient() {
    withServer(s -> s.stall(Phase.DATA_END));
    long started = System.nanoTime();
    sendAndAwaitDeferred(Instant.now());
    // 2 s step timeout: deferred well before the RFC 5321 10 minutes
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
    assertNothingStuck();
  }

  @Test
  void aStormOf421RepliesDefersEveryRecipientWithTheReplyRecorded() {
    withServer(s -> s.reply(Phase.GREETING, "421 4.3.2 Service not available, closing channel"));
    JsonPath view = sendAndAwaitDeferred(Instant.now());
    for (int i = 0; i < 2; i++) {
      assertThat(view.getInt("recipients[" + i + "].lastResponse.code")).isEqualTo(421);
    }
    // and the same at MAIL, with a second message
    server.close();
    withServer(s -> s.reply(Phase.MAIL, "421 4.7.0 Too many connections, try later"));
    JsonPath second = sendAndAwaitDeferred(Instant.now());
    assertThat(second.getInt("recipients[0].lastResponse.code")).isEqualTo(421);
    assertThat(second.getString("recipients[0].lastResponse.enhancedCode")).isEqualTo("4.7.0");
    assertNothingStuck();
  }
}
