package io.postwire.delivery;

import io.postwire.testing.smtp.ScriptedSmtpServer;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link MxDeliveryResource} with a 3 s deadline per delivery attempt, SMTP timeouts far beyond it
 * (so the deadline, not a timeout, ends an attempt), a 10 minute first retry, and one more MX host
 * that accepts connections but never greets.
 */
public class AttemptDeadlineResource extends MxDeliveryResource {

  /** Takes connections and never says a word. */
  public static final String SILENT = "127.0.0.20";

  @Override
  public Map<String, String> start() {
    Map<String, String> config = new HashMap<>(super.start());
    ScriptedSmtpServer silent = ScriptedSmtpServer.start(loopback(SILENT), server(MAIN).port());
    silent.stall(ScriptedSmtpServer.Phase.GREETING);
    servers.put(SILENT, silent);
    config.put("postwire.delivery.attempt-timeout", "3s");
    config.put("postwire.delivery.command-timeout", "60s");
    config.put("postwire.delivery.retry.initial", "10m");
    return config;
  }
}
