package io.postwire.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for peers started by tests. A port is free when asked and closed again at once, so
 * a peer that binds it later (or a test that wants a port nobody listens on) can have it.
 */
public final class Ports {

  private Ports() {}

  /** A TCP port free on the loopback address right now. */
  public static int free() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A TCP port free on the loopback address right now, below the range the kernel takes the local
   * ports of outgoing connections from, for a listener a test closes and opens again: while nothing
   * listens on a port of that range, any outgoing connection on the machine may be given it, and
   * binding it again then fails. Falls back to {@link #free()} when that range starts too low.
   */
  public static int freeOutsideEphemeralRange() {
    int low = 20_000;
    int high = ephemeralRangeStart() - 1;
    if (high - low < 1_000) {
      return free();
    }
    InetAddress loopback = InetAddress.getLoopbackAddress();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(low, high + 1);
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(loopback, port), 1);
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no free port between " + low + " and " + high);
  }

  /** The first port of the kernel's range for outgoing connections (Linux), else 32768. */
  private static int ephemeralRangeStart() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      return Integer.parseInt(range.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }

  /** A port free for both TCP and UDP on the loopback address right now (a DNS server's). */
  public static int freeForTcpAndUdp() {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket tcp = new ServerSocket()) {
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(loopback, 0));
        int port = tcp.getLocalPort();
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, port))) {
          return port;
        } catch (IOException taken) {
          // try another
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no port free for both UDP and TCP");
  }
}
