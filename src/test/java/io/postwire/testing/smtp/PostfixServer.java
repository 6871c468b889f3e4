package io.postwire.testing.smtp;

import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Postfix from Debian's {@code postfix} package as a receiving MTA for tests: a private
 * configuration and queue in a temporary directory, smtpd on 127.0.0.1 and a free high port, run in
 * the foreground as a child process ({@code postfix -c <dir> start-fg}, which needs root). It
 * accepts mail for the given relay domains and keeps it in its queue ({@code defer_transports}), so
 * tests read what arrived with {@code postqueue -j}. A missing program fails the start.
 *
 * <p>{@link #startRelayClient} starts it the other way round, as an application's smarthost client:
 * it accepts mail from loopback and relays all of it to one loopback port, with STARTTLS required
 * and SASL AUTH (Cyrus's PLAIN/LOGIN client plugins, Debian's {@code libsasl2-modules}).
 */
public final class PostfixServer implements AutoCloseable {

  private static final String POSTFIX = "/usr/sbin/postfix";
  private static final String POSTQUEUE = "/usr/sbin/postqueue";

  private final Path dir;
  private final int port;
  private final PeerProcess postfix;

  private PostfixServer(Path dir, int port, PeerProcess postfix) {
    this.dir = dir;
    this.port = port;
    this.postfix = postfix;
  }

  /** Starts Postfix accepting mail for {@code relayDomains} on 127.0.0.1. */
  public static PostfixServer start(String... relayDomains) {
    return start(
        dir ->
            List.of(
                "relay_domains = " + String.join(", ", relayDomains),
                "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
                // it only receives: never deliver onwards
                "defer_transports = smtp, relay"),
        List.of());
  }

  /**
   * Starts Postfix relaying every message it accepts on its smtpd (from loopback, no AUTH) to
   * {@code [127.0.0.1]:relayPort} as its {@code relayhost}: STARTTLS required ({@code
   * smtp_tls_security_level = encrypt}) and SASL AUTH with {@code user} and {@code password}.
   */
  public static PostfixServer startRelayClient(int relayPort, String user, String password) {
    return start(
        dir -> {
          Path passwords = dir.resolve("sasl_passwd");
          Files.writeString(
              passwords,
              "[127.0.0.1]:" + relayPort + " " + user + ":" + password + "\n",
              StandardCharsets.US_ASCII);
          return List.of(
              "relay_domains =",
              "smtpd_relay_restrictions = permit_mynetworks, reject",
              "relayhost = [127.0.0.1]:" + relayPort,
              "smtp_tls_security_level = encrypt",
              "smtp_sasl_auth_enable = yes",
              "smtp_sasl_password_maps = texthash:" + passwords,
              "smtp_sasl_security_options = noanonymous",
              "smtp_sasl_tls_security_options = noanonymous",
              "smtp_tls_loglevel = 1",
              // one attempt and the log says why; the test does not wait for a retry
              "minimal_backoff_time = 1s",
              "maximal_backoff_time = 2s",
              "queue_run_delay = 1s");
        },
        List.of("tlsmgr unix - - n 1000? 1 tlsmgr"));
  }

  /**
   * Starts Postfix relaying every message it accepts from loopback to {@code [127.0.0.1]:relayPort}
   * as its {@code relayhost}, in plaintext and without AUTH: an ordinary sending MTA as a receiving
   * server sees one.
   */
  public static PostfixServer startPlainRelay(int relayPort) {
    return start(
        dir ->
            List.of(
                "relay_domains =",
                "smtpd_relay_restrictions = permit_mynetworks, reject",
                "relayhost = [127.0.0.1]:" + relayPort,
                "minimal_backoff_time = 1s",
                "maximal_backoff_time = 2s",
                "queue_run_delay = 1s"),
        List.of());
  }

  /**
   * Starts Postfix as a receiving MX that accepts mail for {@code domain} and then bounces it (RFC
   * 3464 DSN, status {@code status}) through its {@code error} transport, as a mailbox provider
   * does for an unknown user it learns of after accepting. The DSN goes to the envelope sender;
   * mail for {@code returnDomain} is routed to {@code [127.0.0.1]:returnPort} by the transport map
   * (Postfix resolves through the system's resolver, which tests never use). Mail for {@code
   * keptDomain} is accepted and kept in the queue (deferred), never bounced.
   */
  public static PostfixServer startBouncing(
      String domain, String status, String keptDomain, String returnDomain, int returnPort) {
    return start(
        dir -> {
          Path transport = dir.resolve("transport");
          Files.writeString(
              transport,
              domain
                  + " error:"
                  + status
                  + " User unknown in virtual mailbox table\n"
                  + keptDomain
                  + " relay:[127.0.0.1]:9\n"
                  + returnDomain
                  + " smtp:[127.0.0.1]:"
                  + returnPort
                  + "\n",
              StandardCharsets.US_ASCII);
          return List.of(
              "relay_domains = " + domain + ", " + keptDomain,
              "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
              "transport_maps = texthash:" + transport,
              // accept first, bounce later: unlisted (error-transport) recipients are not refused
              // at RCPT
              "smtpd_reject_unlisted_recipient = no",
              // kept mail stays in the queue; the smtp transport carries the bounces back
              "defer_transports = relay",
              "minimal_backoff_time = 1s",
              "maximal_backoff_time = 2s",
              "queue_run_delay = 1s");
        },
        List.of());
  }

  /** The lines of main.cf that differ between the two ways of running Postfix. */
  private interface Settings {
    List<String> lines(Path dir) throws IOException;
  }

  private static PostfixServer start(Settings settings, List<String> moreServices) {
    for (String program : List.of(POSTFIX, POSTQUEUE)) {
      if (!Files.isExecutable(Path.of(program))) {
        throw new IllegalStateException(program + " is missing: install Debian's postfix package");
      }
    }
    try {
      Path dir = Files.createTempDirectory("postfix-peer");
      // the postfix user must reach its queue and data directories under it
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path queue = Files.createDirectories(dir.resolve("queue"));
      Path data = Files.createDirectories(dir.resolve("data"));
      UserPrincipal postfix =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
      Files.setOwner(data, postfix);
      int port = Ports.free();
      List<String> main =
          new ArrayList<>(
              List.of(
                  "compatibility_level = 3.6",
                  "queue_directory = " + queue,
                  "data_directory = " + data,
                  "meta_directory = /etc/postfix",
                  "mail_owner = postfix",
                  "setgid_group = postdrop",
                  "inet_interfaces = 127.0.0.1",
                  "inet_protocols = ipv4",
                  "myhostname = postfix.test",
                  "mydestination =",
                  "mynetworks = 127.0.0.0/8",
                  // never look anything up
                  "disable_dns_lookups = yes",
                  "maillog_file = /dev/stdout",
                  "smtputf8_enable = no"));
      main.addAll(settings.lines(dir));
      main.add("");
      Files.writeString(dir.resolve("main.cf"), String.join("\n", main), StandardCharsets.US_ASCII);
      Files.writeString(
          dir.resolve("master.cf"),
          String.join(
              "\n",
              "127.0.0.1:" + port + " inet n - n - - smtpd",
              "cleanup unix n - n - 0 cleanup",
              "qmgr unix n - n 300 1 qmgr",
              "rewrite unix - - n - - trivial-rewrite",
              "bounce unix - - n - 0 bounce",
              "defer unix - - n - 0 bounce",
              "trace unix - - n - 0 bounce",
              "verify unix - - n - 1 verify",
              "flush unix n - n 1000? 0 flush",
              "proxymap unix - - n - - proxymap",
              "smtp unix - - n - - smtp",
              "relay unix - - n - - smtp",
              "showq unix n - n - - showq",
              "error unix - - n - - error",
              "retry unix - - n - - error",
              "discard unix - - n - - discard",
              "anvil unix - - n - 1 anvil",
              "scache unix - - n - 1 scache",
              "postlog unix-dgram n - n - 1 postlogd",
              String.join("\n", moreServices),
              ""),
          StandardCharsets.US_ASCII);
      PeerProcess master =
          PeerProcess.start(
              "postfix",
              List.of(POSTFIX, "-c", dir.toString(), "start-fg"),
              Map.of(),
              dir.resolve("postfix.log"));
      PostfixServer server = new PostfixServer(dir, port, master);
      try {
        master.awaitPort(port, Duration.ofSeconds(20));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The smtpd port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The queue as {@code postqueue -j} prints it: one JSON object per queued message. */
  public List<String> queue() {
    return PeerProcess.run(
            "postqueue",
            List.of(POSTQUEUE, "-c", dir.toString(), "-j"),
            Map.of(),
            new byte[0],
            Duration.ofSeconds(10))
        .stdout()
        .lines()
        .filter(l -> !l.isBlank())
        .toList();
  }

  /** The log Postfix wrote so far. */
  public String log() {
    return postfix.log();
  }

  /** Stops master and every Postfix daemon it started, then removes the directory. */
  @Override
  public void close() {
    postfix.close();
    try (var walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary directory is harmless
    }
  }
}
