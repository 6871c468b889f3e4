package io.postwire.testing.smtp;

import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Postfix from Debian's {@code postfix} package as a receiving MTA for tests: a private
 * configuration and queue in a temporary directory, smtpd on 127.0.0.1 and a free high port, run in
 * the foreground as a child process ({@code postfix -c <dir> start-fg}, which needs root). It
 * accepts mail for the given relay domains and keeps it in its queue ({@code defer_transports}), so
 * tests read what arrived with {@code postqueue -j}. A missing program fails the start.
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
    for (String program : List.of(POSTFIX, POSTQUEUE)) {
      if (!Files.isExecutable(Path.of(program))) {
        throw new IllegalStateException(program + " is missing: install Debian's postfix package");
      }
    }
    try {
      Path dir = Files.createTempDirectory("postfix-peer");
      // the postfix user must reach its queue and data directories under it
      Files.setPosixFilePermissions(
          dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      Path queue = Files.createDirectories(dir.resolve("queue"));
      Path data = Files.createDirectories(dir.resolve("data"));
      UserPrincipal postfix =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postfix");
      Files.setOwner(data, postfix);
      int port = Ports.free();
      Files.writeString(
          dir.resolve("main.cf"),
          String.join(
              "\n",
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
              "relay_domains = " + String.join(", ", relayDomains),
              "mynetworks = 127.0.0.0/8",
              "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
              // it only receives: never look anything up, never deliver onwards
              "disable_dns_lookups = yes",
              "defer_transports = smtp, relay",
              "maillog_file = /dev/stdout",
              "smtputf8_enable = no",
              ""),
          StandardCharsets.US_ASCII);
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
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary directory is harmless
    }
  }
}
