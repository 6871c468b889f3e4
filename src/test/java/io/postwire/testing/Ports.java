package io.postwire.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

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
