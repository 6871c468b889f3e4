import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Bounded HTTP load client for {@code POST /v1/messages} and {@code /v1/messages/batch}; run as a
 * single source file ({@code java bench/LoadClient.java ...}), JDK 17, no dependencies.
 *
 * <pre>
 * rate  URL KEY BATCH RATE SECONDS [WARMUP]
 *                                    open loop: RATE requests/s for SECONDS (fixed schedule);
 *                                    latency counted from each request's scheduled time, so a
 *                                    stalled server is not hidden (no coordinated omission);
 *                                    up to MAX_IN_FLIGHT keep-alive connections, plain sockets;
 *                                    requests due in the first WARMUP seconds (default 0) are sent
 *                                    but left out of the latency figures (this JVM and its
 *                                    connections warming up)
 * count URL KEY BATCH MESSAGES CONC  closed loop: exactly MESSAGES messages in requests of BATCH,
 *                                    CONC requests in flight; prints first/last timestamps (ms)
 * </pre>
 *
 * Every run stops after its count or its time limit (rate: SECONDS + 30 s drain; count: 600 s).
 */
public class LoadClient {

  static final int MAX_IN_FLIGHT = 512;

  public static void main(String[] args) throws Exception {
    if (args.length < 6) {
      System.err.println("usage: rate|count URL KEY BATCH RATE|MESSAGES SECONDS|CONC");
      System.exit(2);
    }
    String mode = args[0];
    URI uri = URI.create(args[1] + (Integer.parseInt(args[3]) > 1 ? "/v1/messages/batch" : "/v1/messages"));
    String key = args[2];
    int batch = Integer.parseInt(args[3]);
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    String body = body(batch);
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    if (mode.equals("rate")) {
      rate(
          uri,
          key,
          body,
          batch,
          Double.parseDouble(args[4]),
          Integer.parseInt(args[5]),
          args.length > 6 ? Integer.parseInt(args[6]) : 0);
    } else {
      count(client, request, batch, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
    }
  }

  /** About 1 KB of text, one recipient; a batch is the same message BATCH times. */
  static String body(int batch) {
    String text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(16);
    String one =
        "{\"from\":\"Bench <bench@bench.test>\",\"to\":[\"rcpt@sink.test\"],"
            + "\"subject\":\"Postwire benchmark message\",\"text\":\""
            + text
            + "\"}";
    if (batch <= 1) {
      return one;
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < batch; i++) {
      sb.append(i == 0 ? "" : ",").append(one);
    }
    return sb.append(']').toString();
  }

  /**
   * Open loop on plain keep-alive sockets: the JDK HttpClient costs about as much CPU per request
   * as the service and PostgreSQL together, which on the benchmark's two shared cores would
   * measure the client. A dispatcher hands request i, due at start + i/RATE, to the most recently
   * idle connection (a new one when none is idle, at most MAX_IN_FLIGHT); when all are busy the
   * request waits for one, and that wait is counted in its latency.
   */
  static void rate(
      URI uri, String key, String body, int batch, double rate, int seconds, int warmup)
      throws Exception {
    int total = (int) Math.round(rate * seconds);
    long[] latencyNanos = new long[total];
    Arrays.fill(latencyNanos, -1);
    boolean[] succeeded = new boolean[total];
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLongArray statusCounts = new AtomicLongArray(600);
    byte[] payload = body.getBytes(StandardCharsets.UTF_8);
    byte[] head =
        ("POST " + uri.getRawPath() + " HTTP/1.1\r\n"
                + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
                + "Authorization: Bearer " + key + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Content-Length: " + payload.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    long start = System.nanoTime();
    double intervalNanos = 1e9 / rate;
    long sendDeadline = start + TimeUnit.SECONDS.toNanos(seconds + 30);
    LinkedBlockingDeque<ArrayBlockingQueue<Long>> idle = new LinkedBlockingDeque<>();
    List<Thread> workers = new ArrayList<>();
    int issued = 0;
    for (int i = 0; i < total; i++) {
      long scheduled = start + (long) (i * intervalNanos);
      long wait = scheduled - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      ArrayBlockingQueue<Long> worker = idle.pollLast();
      if (worker == null && workers.size() < MAX_IN_FLIGHT) {
        ArrayBlockingQueue<Long> inbox = new ArrayBlockingQueue<>(1);
        Thread t =
            new Thread(
                () ->
                    connection(
                        uri, head, payload, inbox, idle, start, intervalNanos, latencyNanos,
                        succeeded, ok, failed, statusCounts),
                "load-" + workers.size());
        t.setDaemon(true);
        t.start();
        workers.add(t);
        worker = inbox;
      }
      if (worker == null) {
        worker = idle.pollLast(Math.max(1, sendDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
      if (worker == null || System.nanoTime() > sendDeadline) {
        break;
      }
      worker.put((long) i);
      issued++;
    }
    long joinDeadline = sendDeadline + TimeUnit.SECONDS.toNanos(30);
    for (int n = 0; n < workers.size(); n++) {
      ArrayBlockingQueue<Long> worker =
          idle.pollLast(Math.max(1, joinDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (worker == null) {
        break;
      }
      worker.put(-1L);
    }
    long elapsed = System.nanoTime() - start;
    int firstMeasured = (int) Math.min(total, Math.round(rate * warmup));
    long[] measured =
        Arrays.stream(latencyNanos, firstMeasured, total).filter(v -> v >= 0).sorted().toArray();
    long measuredOk = 0;
    for (int i = firstMeasured; i < total; i++) {
      measuredOk += succeeded[i] ? 1 : 0;
    }
    double seconds2 = elapsed / 1e9;
    System.out.printf(
        "rate=%.0f req/s batch=%d requests=%d ok=%d failed=%d achieved=%.0f req/s = %.0f msg/s"
            + " after the %d s warm-up: requests=%d failed=%d"
            + " p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms connections=%d%n",
        rate,
        batch,
        issued,
        ok.get(),
        failed.get(),
        ok.get() / seconds2,
        ok.get() * batch / seconds2,
        warmup,
        measured.length,
        measured.length - measuredOk,
        pct(measured, 50),
        pct(measured, 90),
        pct(measured, 99),
        measured.length == 0 ? 0 : measured[measured.length - 1] / 1e6,
        workers.size());
    printStatuses(statusCounts);
  }

  /** One keep-alive connection: sends the requests it is handed until it gets -1. */
  static void connection(
      URI uri,
      byte[] head,
      byte[] payload,
      ArrayBlockingQueue<Long> inbox,
      LinkedBlockingDeque<ArrayBlockingQueue<Long>> idle,
      long start,
      double intervalNanos,
      long[] latencyNanos,
      boolean[] succeeded,
      AtomicLong ok,
      AtomicLong failed,
      AtomicLongArray statusCounts) {
    Socket socket = null;
    InputStream in = null;
    OutputStream out = null;
    try {
      for (long i; (i = inbox.take()) >= 0; ) {
        long scheduled = start + (long) (i * intervalNanos);
        int status = -1;
        boolean reusable = false;
        try {
          if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = socket.getOutputStream();
          }
          out.write(head);
          out.write(payload);
          out.flush();
          Response response = readResponse(in);
          status = response.status();
          reusable = !response.close();
        } catch (IOException | RuntimeException e) {
          status = -1;
        }
        latencyNanos[(int) i] = System.nanoTime() - scheduled;
        if (status / 100 == 2) {
          succeeded[(int) i] = true;
          ok.incrementAndGet();
        } else {
          failed.incrementAndGet();
          if (status > 0) {
            statusCounts.incrementAndGet(Math.min(599, status));
          }
        }
        if (!reusable) {
          close(socket);
          socket = null;
        }
        idle.offerLast(inbox);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close(socket);
    }
  }

  static void close(Socket socket) {
    try {
      if (socket != null) {
        socket.close();
      }
    } catch (IOException ignored) {
      // closing is all that is left to do
    }
  }

  /** A response's status and whether the server closes the connection after it. */
  record Response(int status, boolean close) {}

  /**
   * Reads one HTTP/1.1 response (RFC 9112: Content-Length or chunked body).
   */
  static Response readResponse(InputStream in) throws IOException {
    String statusLine = line(in);
    int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
    long length = -1;
    boolean chunked = false;
    boolean close = false;
    for (String h; !(h = line(in)).isEmpty(); ) {
      int colon = h.indexOf(':');
      String name = h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
      String value = h.substring(colon + 1).trim().toLowerCase(java.util.Locale.ROOT);
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding")) {
        chunked = value.contains("chunked");
      } else if (name.equals("connection")) {
        close = value.contains("close");
      }
    }
    if (chunked) {
      for (long size; (size = Long.parseLong(line(in).split(";", 2)[0].trim(), 16)) > 0; ) {
        skip(in, size);
        line(in);
      }
      while (!line(in).isEmpty()) {
        // trailer fields
      }
    } else if (length > 0) {
      skip(in, length);
    }
    return new Response(status, close);
  }

  static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  static void skip(InputStream in, long n) throws IOException {
    while (n > 0) {
      long skipped = in.skip(n);
      if (skipped <= 0) {
        if (in.read() < 0) {
          throw new IOException("connection closed");
        }
        skipped = 1;
      }
      n -= skipped;
    }
  }

  static void count(HttpClient client, HttpRequest request, int batch, int messages, int conc)
      throws Exception {
    int requests = (messages + batch - 1) / batch;
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLongArray statusCounts = new AtomicLongArray(600);
    CountDownLatch done = new CountDownLatch(requests);
    Semaphore inFlight = new Semaphore(conc);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
    long first = System.currentTimeMillis();
    for (int i = 0; i < requests; i++) {
      if (!inFlight.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        break;
      }
      client
          .sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (response, error) -> {
                if (error == null && response.statusCode() / 100 == 2) {
                  ok.incrementAndGet();
                } else {
                  failed.incrementAndGet();
                  if (response != null) {
                    statusCounts.incrementAndGet(Math.min(599, response.statusCode()));
                  }
                }
                inFlight.release();
                done.countDown();
              });
    }
    done.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    long last = System.currentTimeMillis();
    System.out.printf(
        "first_post_ms=%d last_answer_ms=%d requests_ok=%d requests_failed=%d messages=%d"
            + " enqueue=%.0f msg/s%n",
        first,
        last,
        ok.get(),
        failed.get(),
        ok.get() * batch,
        ok.get() * batch * 1000.0 / Math.max(1, last - first));
    printStatuses(statusCounts);
  }

  static void printStatuses(AtomicLongArray counts) {
    for (int s = 0; s < counts.length(); s++) {
      if (counts.get(s) > 0) {
        System.out.printf("  http status %d: %d%n", s, counts.get(s));
      }
    }
  }

  static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }
}
