package io.postwire.testing;

import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A scripted SMTP server as the relay, with a short lease (2 s), a fast safety poll and a short
 * shutdown grace, for the lease, crash and shutdown tests.
 */
public class ScriptedRelayResource implements QuarkusTestResourceLifecycleManager {

  public static volatile ScriptedSmtpServer server;

  @Override
  public Map<String, String> start() {
    PendingDeliveries.retire();
    server = ScriptedSmtpServer.start();
    return Map.of(
        "postwire.delivery.mode", "relay",
        "postwire.relay.host", "127.0.0.1",
        "postwire.relay.port", Integer.toString(server.port()),
        "postwire.relay.starttls", "disabled",
        "postwire.delivery.lease", "2s",
        "postwire.delivery.poll-interval", "300ms",
        "postwire.delivery.shutdown-grace", "8s");
  }

  @Override
  public void stop() {
    if (server != null) {
      server.close();
    }
  }
}
