import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A webhook receiver for the benchmarks, as cheap as a receiver can be: every POST is read (at most
 * 1 MiB) and answered 204, and counted when it carries a {@code webhook-id} and a {@code
 * webhook-signature}; nothing is verified (the tests verify signatures; here the receiver must not
 * be what is measured). {@code GET /count} answers {@code <posts> <first ms> <last ms>}: how many
 * were counted and the wall-clock ms of the first and the latest. Run as a single source file
 * ({@code java bench/WebhookReceiver.java PORT [THREADS]}), JDK 17, no dependencies; listens on
 * 127.0.0.1 only and exits after 2 hours at the latest.
 */
public class WebhookReceiver {

  static final int MAX_BODY = 1 << 20;

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    AtomicLong posts = new AtomicLong();
    AtomicLong first = new AtomicLong();
    AtomicLong last = new AtomicLong();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
    server.setExecutor(Executors.newFixedThreadPool(threads));
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            if ("GET".equals(exchange.getRequestMethod())) {
              byte[] out =
                  (posts.get() + " " + first.get() + " " + last.get() + "\n")
                      .getBytes(StandardCharsets.US_ASCII);
              exchange.sendResponseHeaders(200, out.length);
              try (OutputStream o = exchange.getResponseBody()) {
                o.write(out);
              }
              return;
            }
            drain(exchange);
            if (exchange.getRequestHeaders().getFirst("webhook-id") != null
                && exchange.getRequestHeaders().getFirst("webhook-signature") != null) {
              long now = System.currentTimeMillis();
              first.compareAndSet(0, now);
              last.set(now);
              posts.incrementAndGet();
            }
            exchange.sendResponseHeaders(204, -1);
          }
        });
    server.start();
    System.out.println("listening on 127.0.0.1:" + port);
    Thread.sleep(2 * 3600 * 1000L);
    server.stop(0);
    System.exit(0);
  }

  private static void drain(HttpExchange exchange) throws IOException {
    byte[] buffer = new byte[8192];
    int total = 0;
    try (InputStream in = exchange.getRequestBody()) {
      for (int n; (n = in.read(buffer)) > 0 && total < MAX_BODY; ) {
        total += n;
      }
    }
  }
}
