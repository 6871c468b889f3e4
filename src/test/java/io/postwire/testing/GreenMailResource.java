package io.postwire.testing;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** A GreenMail SMTP server on loopback, configured as the relay; the safety poll set to 1 hour. */
public class GreenMailResource implements QuarkusTestResourceLifecycleManager {

  public static volatile GreenMail greenMail;

  @Override
  public Map<String, String> start() {
    PendingDeliveries.retire();
    int port = Ports.free();
    greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    return Map.of(
        "postwire.delivery.mode", "relay",
        "postwire.relay.host", "127.0.0.1",
        "postwire.relay.port", Integer.toString(port),
        "postwire.relay.starttls", "disabled",
        "postwire.delivery.poll-interval", "1h");
  }

  @Override
  public void stop() {
    if (greenMail != null) {
      greenMail.stop();
    }
  }
}
