package io.postwire.reliability;

import static io.postwire.testing.Api.registerDomain;
import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.testing.Api;
import io.postwire.testing.Db;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Hostile input over the REST API, from a seeded generator: random and deeply nested JSON, huge
 * strings, invalid UTF-8, CR/LF in every header-bound field, 10,000 recipients, a 50 MB body, bad
 * base64, wrong JSON types. Every answer is below 500; every refusal is RFC 9457 problem+json;
 * requests that must be refused (API.md "Conventions": a rejected request changes nothing) store
 * nothing; the service is ready at the end.
 *
 * <p>{@code -Dreliability.fuzz.requests=100000} runs the full run (default 2,000); {@code
 * -Dreliability.fuzz.seed=N} replays one.
 */
@QuarkusTest
@TestProfile(ReliabilityProfile.class)
class HostileInputTests {

  private static final Logger LOG = Logger.getLogger(HostileInputTests.class);

  @Inject Pool pool;

  @TestHTTPResource("/")
  URL base;

  /** One generated request, and whether API.md requires it to be refused. */
  record Probe(
      String kind,
      String method,
      String path,
      String contentType,
      byte[] body,
      String idempotencyKey,
      boolean mustRefuse) {}

  @Test
  void hostileRequestsAlwaysGetA4xxProblemAndStoreNothing() throws Exception {
    int requests = Integer.getInteger("reliability.fuzz.requests", 2000);
    long seed = Long.getLong("reliability.fuzz.seed", System.nanoTime());
    int threads = Integer.getInteger("reliability.fuzz.threads", 4);
    Duration budget = Duration.ofSeconds(Long.getLong("reliability.fuzz.max-seconds", 1800));
    String domain = registerDomain();
    HostileRequests generator = new HostileRequests(domain);
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    URI root = base.toURI();

    long messages = count("message");
    long deliveries = count("delivery");
    long idempotency = count("idempotency_key");

    Map<String, AtomicInteger> histogram = new ConcurrentHashMap<>();
    List<String> violations = Collections.synchronizedList(new ArrayList<>());
    AtomicLong acceptedMessages = new AtomicLong();
    AtomicLong acceptedRecipients = new AtomicLong();
    AtomicInteger sent = new AtomicInteger();
    long started = System.nanoTime();
    long deadline = started + budget.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long threadSeed = seed + t;
      workers.add(
          pool.submit(
              () -> {
                Random random = new Random(threadSeed);
                // fixed, expensive cases first so even the short run has them
                List<Probe> fixed = threadSeed == seed ? generator.fixedCases() : List.of();
                int i = 0;
                while (System.nanoTime() < deadline) {
                  Probe probe;
                  if (i < fixed.size()) {
                    probe = fixed.get(i++);
                  } else {
                    if (sent.get() >= requests) {
                      break;
                    }
                    probe = generator.next(random);
                  }
                  if (sent.incrementAndGet() > requests + fixed.size()) {
                    break;
                  }
                  check(
                      client,
                      root,
                      probe,
                      histogram,
                      violations,
                      acceptedMessages,
                      acceptedRecipients);
                }
                return null;
              }));
    }
    for (Future<?> worker : workers) {
      worker.get(budget.toSeconds() + 60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    Duration took = Duration.ofNanos(System.nanoTime() - started);

    HttpResponse<String> ready =
        client.send(
            HttpRequest.newBuilder(root.resolve("/q/health/ready"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    LOG.infof(
        "hostile input: seed=%d requests=%d threads=%d duration=%ss histogram=%s accepted=%d violations=%d ready=%d",
        seed,
        sent.get(),
        threads,
        took.toMillis() / 1000.0,
        new TreeMap<>(histogram),
        acceptedMessages.get(),
        violations.size(),
        ready.statusCode());
    assertThat(violations).as("seed " + seed).isEmpty();
    assertThat(histogram.keySet()).as("no 5xx, seed " + seed).allMatch(s -> s.charAt(0) != '5');
    assertThat(ready.statusCode()).isEqualTo(200);
    // only what was answered 2xx was stored
    assertThat(count("message") - messages).isEqualTo(acceptedMessages.get());
    assertThat(count("delivery") - deliveries).isEqualTo(acceptedRecipients.get());
    assertThat(count("idempotency_key")).isEqualTo(idempotency);
  }

  long count(String table) {
    return Db.count(pool, "select count(*) from " + table);
  }

  static void check(
      HttpClient client,
      URI root,
      Probe probe,
      Map<String, AtomicInteger> histogram,
      List<String> violations,
      AtomicLong acceptedMessages,
      AtomicLong acceptedRecipients) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(root.resolve(probe.path()))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + Api.ADMIN);
    if (probe.contentType() != null) {
      request.header("Content-Type", probe.contentType());
    }
    if (probe.idempotencyKey() != null) {
      request.header("Idempotency-Key", probe.idempotencyKey());
    }
    request.method(
        probe.method(),
        probe.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(probe.body()));
    HttpResponse<String> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      // the server may close the connection after answering 413 to a body it will not read
      histogram.computeIfAbsent("closed", k -> new AtomicInteger()).incrementAndGet();
      if (!probe.mustRefuse() || probe.body() == null || probe.body().length < 1_000_000) {
        violations.add(probe.kind() + ": " + e);
      }
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    int status = response.statusCode();
    String contentType = response.headers().firstValue("Content-Type").orElse("");
    // Load shedding (postwire.api.max-in-flight-bytes): large bodies sent concurrently may be
    // refused for now, before they are read, with a problem and Retry-After; nothing is stored.
    boolean shed =
        status == 503
            && contentType.startsWith("application/problem+json")
            && response.body().contains("\"code\":\"unavailable\"")
            && response.headers().firstValue("Retry-After").isPresent();
    histogram
        .computeIfAbsent(shed ? "shed" : Integer.toString(status), k -> new AtomicInteger())
        .incrementAndGet();
    if (shed) {
      return;
    }
    if (status >= 500) {
      violations.add(
          probe.kind()
              + " "
              + probe.path()
              + " → "
              + status
              + " "
              + abbreviate(response.body())
              + " request "
              + abbreviate(
                  new String(
                      probe.body() == null ? new byte[0] : probe.body(), StandardCharsets.UTF_8)));
      return;
    }
    if (status >= 400) {
      if (!contentType.startsWith("application/problem+json")
          || !response.body().contains("\"status\":" + status)) {
        violations.add(
            probe.kind()
                + " → "
                + status
                + " not a problem: "
                + contentType
                + " "
                + abbreviate(response.body()));
      }
      return;
    }
    if (probe.mustRefuse()
        && !(probe.path().endsWith("/batch")
            && status == 200
            && !response.body().contains("\"queued\""))) {
      violations.add(
          probe.kind()
              + " → "
              + status
              + " but must be refused: "
              + abbreviate(new String(probe.body(), StandardCharsets.UTF_8)));
    }
    if (status == 202) {
      acceptedMessages.incrementAndGet();
      acceptedRecipients.addAndGet(occurrences(response.body(), "\"address\""));
    } else if (status == 200 && probe.path().endsWith("/batch")) {
      acceptedMessages.addAndGet(occurrences(response.body(), "\"id\""));
      acceptedRecipients.addAndGet(occurrences(response.body(), "\"address\""));
    }
  }

  static int occurrences(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "…(" + s.length() + ")" : s;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
