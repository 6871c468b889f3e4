package io.postwire.reliability;

import io.postwire.testing.Ports;
import io.postwire.testing.smtp.ScriptedSmtpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback port that the relay setting points at and that can be switched between "nothing
 * listens" (connection refused) and forwarding every connection to a given {@link
 * ScriptedSmtpServer}, so one booted service meets several faulty servers.
 */
final class SmtpFront implements AutoCloseable {

  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket listener;
  private volatile ScriptedSmtpServer target;

  SmtpFront() {
    // closed and opened again between tests: outside the range outgoing connections draw from
    port = Ports.freeOutsideEphemeralRange();
  }

  int port() {
    return port;
  }

  /** Stops listening: connections to the port are refused (RST to the SYN). */
  synchronized void refuse() {
    closeListener();
    target = null;
  }

  /** Listens and forwards every new connection to {@code server}. */
  synchronized void forwardTo(ScriptedSmtpServer server) {
    target = server;
    if (listener == null) {
      try {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        listener = socket;
        Thread acceptor = new Thread(() -> accept(socket), "smtp-front-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
      } catch (IOException e) {
        throw new IllegalStateException("cannot listen on " + port, e);
      }
    }
  }

  private void accept(ServerSocket socket) {
    while (!socket.isClosed()) {
      try {
        Socket client = socket.accept();
        ScriptedSmtpServer server = target;
        if (server == null) {
          client.close();
          continue;
        }
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), server.port());
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        // listener closed, or the backend went away: the client sees a closed connection
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[8192];
              try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (IOException ignored) {
                // one side closed
              } finally {
                close(from);
                close(to);
              }
            },
            "smtp-front-pump");
    t.setDaemon(true);
    t.start();
  }

  private void close(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  private void closeListener() {
    if (listener != null) {
      try {
        listener.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      listener = null;
    }
  }

  @Override
  public synchronized void close() {
    closeListener();
    for (Socket s : sockets) {
      close(s);
    }
  }
}
