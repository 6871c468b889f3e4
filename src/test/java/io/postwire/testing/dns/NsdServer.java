package io.postwire.testing.dns;

import io.postwire.testing.PeerProcess;
import io.postwire.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * NSD, NLnet Labs' authoritative DNS server from Debian's {@code nsd} package, run as a child
 * process on 127.0.0.1 with a free high port, serving zone files written to a temporary directory.
 *
 * <pre>{@code
 * try (NsdServer nsd = NsdServer.start(Map.of("example.test", zoneText))) {
 *   new Dns(new DnsSettings(List.of(nsd.address()), Duration.ofSeconds(2), 0), null);
 * }
 * }</pre>
 */
public final class NsdServer implements AutoCloseable {

  static final Path NSD = Path.of("/usr/sbin/nsd");

  private final Path directory;
  private final PeerProcess nsd;
  private final int port;

  private NsdServer(Path directory, PeerProcess nsd, int port) {
    this.directory = directory;
    this.nsd = nsd;
    this.port = port;
  }

  /**
   * Writes the zones (origin → zone text with an SOA) and starts NSD in the foreground, waiting
   * until it answers.
   *
   * @throws IllegalStateException when {@code /usr/sbin/nsd} is missing or does not come up
   */
  public static NsdServer start(Map<String, String> zones) {
    if (!Files.isExecutable(NSD)) {
      throw new IllegalStateException(NSD + " is missing: apt-get install nsd");
    }
    try {
      Path directory = Files.createTempDirectory("nsd-test");
      int port = Ports.freeForTcpAndUdp();
      StringBuilder config = new StringBuilder();
      config
          .append("server:\n")
          .append("  ip-address: 127.0.0.1@")
          .append(port)
          .append('\n')
          .append("  port: ")
          .append(port)
          .append('\n')
          .append("  do-ip6: no\n")
          .append("  username: \"\"\n")
          .append("  chroot: \"\"\n")
          .append("  zonesdir: \"")
          .append(directory)
          .append("\"\n")
          .append("  database: \"\"\n")
          .append("  pidfile: \"")
          .append(directory.resolve("nsd.pid"))
          .append("\"\n")
          .append("  xfrdfile: \"")
          .append(directory.resolve("xfrd.state"))
          .append("\"\n")
          .append("  zonelistfile: \"")
          .append(directory.resolve("zone.list"))
          .append("\"\n")
          .append("  logfile: \"")
          .append(directory.resolve("nsd.out"))
          .append("\"\n")
          .append("  server-count: 1\n")
          .append("  verbosity: 1\n")
          .append("remote-control:\n")
          .append("  control-enable: no\n");
      Map<String, Path> files = new LinkedHashMap<>();
      for (Map.Entry<String, String> zone : zones.entrySet()) {
        Path file = directory.resolve(zone.getKey() + ".zone");
        Files.writeString(file, "$ORIGIN " + zone.getKey() + ".\n" + zone.getValue());
        files.put(zone.getKey(), file);
        config
            .append("zone:\n")
            .append("  name: \"")
            .append(zone.getKey())
            .append("\"\n")
            .append("  zonefile: \"")
            .append(file)
            .append("\"\n");
      }
      Path conf = directory.resolve("nsd.conf");
      Files.writeString(conf, config);
      PeerProcess nsd =
          PeerProcess.start(
              "nsd",
              List.of(NSD.toString(), "-d", "-c", conf.toString()),
              Map.of(),
              directory.resolve("nsd.out"));
      NsdServer server = new NsdServer(directory, nsd, port);
      String zone = zones.keySet().iterator().next();
      try {
        nsd.awaitReady("answer for " + zone, Duration.ofSeconds(15), () -> server.answers(zone));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The port NSD listens on (UDP and TCP). */
  public int port() {
    return port;
  }

  /** The address to give a resolver. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** Whether NSD answers the SOA query of {@code zone} with a record. */
  private boolean answers(String zone) {
    try {
      SimpleResolver probe = new SimpleResolver(address());
      probe.setTimeout(Duration.ofMillis(200));
      Message query =
          Message.newQuery(Record.newRecord(Name.fromString(zone + "."), Type.SOA, DClass.IN));
      Message answer = probe.send(query);
      return answer.getRcode() == Rcode.NOERROR && answer.getSection(1).size() > 0;
    } catch (IOException notYet) {
      return false;
    }
  }

  @Override
  public void close() {
    nsd.close();
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp directory is harmless
    }
  }
}
