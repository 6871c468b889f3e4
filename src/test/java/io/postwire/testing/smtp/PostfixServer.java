package io.postwire.testing.smtp;

import io.postwire.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
  private final Process process;

  private PostfixServer(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
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
      Process process =
          new ProcessBuilder(POSTFIX, "-c", dir.toString(), "start-fg")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("postfix.log").toFile())
              .start();
      PostfixServer server = new PostfixServer(dir, port, process);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!server.listening()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          String log = Files.readString(dir.resolve("postfix.log"));
          server.close();
          throw new IllegalStateException("postfix did not start:\n" + log);
        }
        Thread.sleep(100);
      }
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The smtpd port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** The queue as {@code postqueue -j} prints it: one JSON object per queued message. */
  public List<String> queue() {
    try {
      Process p =
          new ProcessBuilder(POSTQUEUE, "-c", dir.toString(), "-j")
              .redirectErrorStream(false)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("postqueue did not finish");
      }
      return out.lines().filter(l -> !l.isBlank()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The log Postfix wrote so far. */
  public String log() {
    try {
      return Files.readString(dir.resolve("postfix.log"));
    } catch (IOException e) {
      return "";
    }
  }

  private boolean listening() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops master and every Postfix daemon it started, then removes the directory. */
  @Override
  public void close() {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ProcessHandle child : children) {
      child.destroy();
    }
    for (ProcessHandle child : children) {
      try {
        child.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        child.destroyForcibly();
      }
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary directory is harmless
    }
  }
}
