package io.postwire.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.postwire.delivery.DeliveryPipeline;
import io.postwire.testing.PendingDeliveries;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.postwire.testing.smtp.TestCertificates;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
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
      PendingDeliveries.retire();
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
    SmtpFaultTests.sendAndAwaitDeferred(Instant.now());
    assertThat(server.messages()).isEmpty();
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL") || c.startsWith("RCPT"));
    await().atMost(Duration.ofSeconds(10)).until(() -> pipeline.inFlight() == 0);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
  }
}
