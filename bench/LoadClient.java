import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Bounded HTTP load client for {@code POST /v1/messages} and {@code /v1/messages/batch}; run as a
 * single source file ({@code java bench/LoadClient.java ...}), JDK 17, no dependencies.
 *
 * <pre>
 * rate  URL KEY BATCH RATE SECONDS   open loop: RATE requests/s for SECONDS (fixed schedule);
 *                                    latency counted from each request's scheduled time, so a
 *                                    stalled server is not hidden (no coordinated omission)
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
      rate(client, request, batch, Double.parseDouble(args[4]), Integer.parseInt(args[5]));
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

  static void rate(HttpClient client, HttpRequest request, int batch, double rate, int seconds)
      throws Exception {
    int total = (int) Math.round(rate * seconds);
    long[] latencyNanos = new long[total];
    Arrays.fill(latencyNanos, -1);
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLongArray statusCounts = new AtomicLongArray(600);
    CountDownLatch done = new CountDownLatch(total);
    Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    long start = System.nanoTime();
    double intervalNanos = 1e9 / rate;
    long sendDeadline = start + TimeUnit.SECONDS.toNanos(seconds + 30);
    int issued = 0;
    for (int i = 0; i < total; i++) {
      long scheduled = start + (long) (i * intervalNanos);
      long wait = scheduled - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      if (System.nanoTime() > sendDeadline
          || !inFlight.tryAcquire(Math.max(1, sendDeadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        break;
      }
      issued++;
      final int index = i;
      client
          .sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (response, error) -> {
                latencyNanos[index] = System.nanoTime() - scheduled;
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
    for (int i = issued; i < total; i++) {
      done.countDown();
    }
    done.await(30, TimeUnit.SECONDS);
    long elapsed = System.nanoTime() - start;
    long[] measured = Arrays.stream(latencyNanos).filter(v -> v >= 0).sorted().toArray();
    double seconds2 = elapsed / 1e9;
    System.out.printf(
        "rate=%.0f req/s batch=%d requests=%d ok=%d failed=%d achieved=%.0f req/s = %.0f msg/s"
            + " p50=%.1f ms p90=%.1f ms p99=%.1f ms max=%.1f ms%n",
        rate,
        batch,
        issued,
        ok.get(),
        failed.get(),
        ok.get() / seconds2,
        ok.get() * batch / seconds2,
        pct(measured, 50),
        pct(measured, 90),
        pct(measured, 99),
        measured.length == 0 ? 0 : measured[measured.length - 1] / 1e6);
    printStatuses(statusCounts);
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
