import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A hostile SMTP peer on loopback for bench/reliability/endless-reply.sh: greets, then answers
 * EHLO with "250-" lines that never end, as fast as the client reads them, until the client
 * closes. Prints "connections=N bytes=B" every two seconds.
 *
 * <p>Usage: java bench/reliability/HostilePeer.java PORT
 */
public final class HostilePeer {

  private static final AtomicInteger CONNECTIONS = new AtomicInteger();
  private static final AtomicLong BYTES = new AtomicLong();

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    ServerSocket listener = new ServerSocket();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
    Thread stats =
        new Thread(
            () -> {
              while (true) {
                try {
                  Thread.sleep(2000);
                } catch (InterruptedException e) {
                  return;
                }
                System.out.println("connections=" + CONNECTIONS.get() + " bytes=" + BYTES.get());
              }
            });
    stats.setDaemon(true);
    stats.start();
    System.out.println("listening on " + port);
    while (true) {
      Socket socket = listener.accept();
      CONNECTIONS.incrementAndGet();
      Thread t = new Thread(() -> serve(socket));
      t.setDaemon(true);
      t.start();
    }
  }

  private static void serve(Socket socket) {
    try (socket) {
      socket.setSoTimeout(600_000);
      OutputStream out = socket.getOutputStream();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      out.write("220 hostile.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String line = in.readLine();
      if (line == null || !line.toUpperCase().startsWith("EHLO")) {
        return;
      }
      byte[] chunk =
          "250-this reply never ends, it only goes on and on and on and on and on\r\n"
              .repeat(64)
              .getBytes(StandardCharsets.US_ASCII);
      while (true) {
        out.write(chunk);
        BYTES.addAndGet(chunk.length);
      }
    } catch (IOException e) {
      // the client closed the connection: what we want it to do
    }
  }
}
