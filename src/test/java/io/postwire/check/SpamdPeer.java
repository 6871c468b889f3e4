package io.postwire.check;

import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real SpamAssassin spamd on loopback for the peers tier (Debian's {@code spamassassin} and
 * {@code spamd}), pointed to by {@code postwire.check.spamd}. It makes no network tests ({@code
 * --local}) and no DNS lookups through the system resolver ({@code dns_available no}), reads no
 * user preferences and its own site configuration: Debian's plugin loaders ({@code *.pre}) and a
 * {@code local.cf} of its own.
 */
public class SpamdPeer implements QuarkusTestResourceLifecycleManager {

  static final Path SPAMD = Path.of("/usr/sbin/spamd");

  static final String LOCAL_CF =
      """
      dns_available no
      skip_rbl_checks 1
      use_bayes 0
      bayes_auto_learn 0
      use_auto_whitelist 0
      """;

  private PeerProcess spamd;

  @Override
  public Map<String, String> start() {
    if (!Files.isExecutable(SPAMD)) {
      throw new IllegalStateException("spamd is missing: install Debian's spamassassin and spamd");
    }
    try {
      Path dir = Files.createTempDirectory("postwire-spamd");
      Path conf = Files.createDirectory(dir.resolve("conf"));
      try (DirectoryStream<Path> pre =
          Files.newDirectoryStream(Path.of("/etc/spamassassin"), "*.pre")) {
        for (Path p : pre) {
          Files.copy(p, conf.resolve(p.getFileName()));
        }
      }
      Files.writeString(conf.resolve("local.cf"), LOCAL_CF);
      // the children read the configuration after giving up root
      for (Path p : List.of(dir, conf)) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      int port = Ports.free();
      List<String> command =
          new ArrayList<>(
              List.of(
                  SPAMD.toString(),
                  "--local",
                  "-i",
                  "127.0.0.1",
                  "-p",
                  String.valueOf(port),
                  "--siteconfigpath",
                  conf.toString(),
                  "-x",
                  "-s",
                  "stderr",
                  "--max-children",
                  "1",
                  "--pidfile",
                  dir.resolve("spamd.pid").toString()));
      if ("root".equals(System.getProperty("user.name"))) {
        command.addAll(List.of("-u", "nobody"));
      }
      spamd = PeerProcess.start("spamd", command, Map.of(), dir.resolve("spamd.log"));
      spamd.awaitLog("server successfully spawned child", Duration.ofSeconds(90));
      spamd.awaitPort(port, Duration.ofSeconds(30));
      return Map.of("postwire.check.spamd", "127.0.0.1:" + port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void stop() {
    if (spamd != null) {
      spamd.close();
    }
  }
}
