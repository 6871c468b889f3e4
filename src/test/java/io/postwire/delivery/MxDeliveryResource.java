package io.postwire.delivery;

import io.postwire.testing.dns.TestDnsServer;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MX mode against loopback: an in-JVM authoritative DNS server as the service's only resolver and
 * scripted SMTP servers on 127.0.0.1, 127.0.0.2, … that all listen on the one SMTP port the service
 * is configured with, so MX records can point at distinct hosts. 127.0.0.3 has no listener (a
 * refused connection).
 */
public class MxDeliveryResource implements QuarkusTestResourceLifecycleManager {

  /** The loopback address of each scripted MX host. */
  public static final String MAIN = "127.0.0.1";

  public static final String BACKUP = "127.0.0.2";
  public static final String REFUSING = "127.0.0.3";
  public static final String BUSY = "127.0.0.4";
  public static final String STALLED = "127.0.0.5";
  public static final String EQUAL_A = "127.0.0.6";
  public static final String EQUAL_B = "127.0.0.7";
  public static final String UNTOUCHED = "127.0.0.8";
  public static final String BACKED_OFF = "127.0.0.9";
  public static final String SHAPED = "127.0.0.10";
  public static final String RATED = "127.0.0.11";

  /** Recipient domains under these suffixes get the shaping rules of the profile. */
  public static final String SHAPED_SUFFIX = ".shaped.example.net";

  public static final String RATED_SUFFIX = ".rated.example.net";

  public static volatile TestDnsServer dns;
  public static final Map<String, ScriptedSmtpServer> servers = new ConcurrentHashMap<>();

  /** The server listening on {@code ip}. */
  public static ScriptedSmtpServer server(String ip) {
    return servers.get(ip);
  }

  @Override
  public Map<String, String> start() {
    dns = TestDnsServer.start();
    ScriptedSmtpServer main = ScriptedSmtpServer.start(loopback(MAIN));
    servers.put(MAIN, main);
    int port = main.port();
    for (String ip :
        new String[] {
          BACKUP, BUSY, STALLED, EQUAL_A, EQUAL_B, UNTOUCHED, BACKED_OFF, SHAPED, RATED
        }) {
      servers.put(ip, ScriptedSmtpServer.start(loopback(ip), port));
    }
    server(BUSY)
        .reply(ScriptedSmtpServer.Phase.GREETING, "421 4.3.2 Service busy, come back later");
    server(BACKED_OFF).reply(ScriptedSmtpServer.Phase.GREETING, "421 4.3.2 Too many connections");
    server(STALLED).stall(ScriptedSmtpServer.Phase.MAIL);
    return Map.ofEntries(
        Map.entry("postwire.delivery.mode", "mx"),
        Map.entry("postwire.delivery.smtp-port", Integer.toString(port)),
        Map.entry("postwire.dns.servers", "127.0.0.1:" + dns.port()),
        Map.entry("postwire.dns.timeout", "2s"),
        Map.entry("postwire.delivery.retry.initial", "1s"),
        Map.entry("postwire.delivery.command-timeout", "2s"),
        Map.entry("postwire.delivery.poll-interval", "300ms"),
        Map.entry("postwire.delivery.shutdown-grace", "3s"),
        Map.entry("postwire.delivery.shaping.rules[0].pattern", "*" + SHAPED_SUFFIX),
        Map.entry("postwire.delivery.shaping.rules[0].max-connections", "2"),
        Map.entry("postwire.delivery.shaping.rules[0].max-messages-per-connection", "3"),
        Map.entry("postwire.delivery.shaping.rules[1].pattern", "*" + RATED_SUFFIX),
        Map.entry("postwire.delivery.shaping.rules[1].rate-per-minute", "2"));
  }

  static InetAddress loopback(String ip) {
    try {
      return InetAddress.getByName(ip);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(ip, e);
    }
  }

  @Override
  public void stop() {
    servers.values().forEach(ScriptedSmtpServer::close);
    servers.clear();
    if (dns != null) {
      dns.close();
    }
  }
}
