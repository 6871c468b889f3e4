package io.postwire.delivery;

import io.postwire.testing.smtp.ScriptedSmtpServer;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link MxDeliveryResource} with a 3 s deadline per delivery attempt, SMTP timeouts far beyond it
 * (so the deadline, not a timeout, ends an attempt), a 10 minute first retry, one delivery slot per
 * recipient domain, and one more MX host that accepts connections but never greets.
 */
public class AttemptDeadlineResource extends MxDeliveryResource {

  /** Takes connections and never says a word. */
  public static final String SILENT = "127.0.0.20";

  /** Another such host, for the slot-cap test alone. */
  public static final String TARPIT = "127.0.0.21";

  @Override
  public Map<String, String> start() {
    Map<String, String> config = new HashMap<>(super.start());
    ScriptedSmtpServer silent = ScriptedSmtpServer.start(loopback(SILENT), server(MAIN).port());
    silent.stall(ScriptedSmtpServer.Phase.GREETING);
    servers.put(SILENT, silent);
    ScriptedSmtpServer tarpit = ScriptedSmtpServer.start(loopback(TARPIT), server(MAIN).port());
    tarpit.stall(ScriptedSmtpServer.Phase.GREETING);
    servers.put(TARPIT, tarpit);
    config.put("postwire.delivery.attempt-timeout", "3s");
    config.put("postwire.delivery.command-timeout", "60s");
    config.put("postwire.delivery.retry.initial", "10m");
    config.put("postwire.delivery.max-slots-per-domain", "1");
    return config;
  }
}
