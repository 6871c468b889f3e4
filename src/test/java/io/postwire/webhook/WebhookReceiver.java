package io.postwire.webhook;

import io.postwire.testing.Ports;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An in-JVM webhook endpoint on 127.0.0.1: records every POST per path, answers as each path's
 * script says, and checks Standard Webhooks signatures itself (not with the service's code).
 */
final class WebhookReceiver implements AutoCloseable {

  /** One POST as received. */
  record Call(String id, long timestamp, String signature, String body, long receivedAtMillis) {
    JsonObject json() {
      return new JsonObject(body);
    }

    /** Whether one of the signatures is the HMAC of this call under {@code secret}. */
    boolean signedWith(String secret) {
      byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        byte[] expected =
            mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
        for (String part : signature.split(" ")) {
          if (part.startsWith("v1,")
              && MessageDigest.isEqual(Base64.getDecoder().decode(part.substring(3)), expected)) {
            return true;
          }
        }
        return false;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** What to answer: status, optional Retry-After, optional delay before answering. */
  record Answer(int status, String retryAfter, long delayMillis) {
    static Answer ok() {
      return new Answer(200, null, 0);
    }

    static Answer status(int status) {
      return new Answer(status, null, 0);
    }
  }

  /** Chooses the answer to the n-th call (from 0) on a path. */
  interface Script {
    Answer answer(int n);
  }

  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private final int port = Ports.free();
  private final Map<String, List<Call>> calls = new ConcurrentHashMap<>();
  private final Map<String, Script> scripts = new ConcurrentHashMap<>();
  private final Map<String, int[]> open = new ConcurrentHashMap<>(); // path → {now, most}

  WebhookReceiver() throws Exception {
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                request ->
                    request.body(
                        body -> {
                          String path = request.path();
                          Call call =
                              new Call(
                                  request.getHeader("webhook-id"),
                                  Long.parseLong(request.getHeader("webhook-timestamp")),
                                  request.getHeader("webhook-signature"),
                                  body.result().toString(StandardCharsets.UTF_8),
                                  System.currentTimeMillis());
                          int[] concurrent = open.computeIfAbsent(path, p -> new int[2]);
                          synchronized (concurrent) {
                            concurrent[0]++;
                            concurrent[1] = Math.max(concurrent[1], concurrent[0]);
                          }
                          List<Call> list = calls.computeIfAbsent(path, p -> new ArrayList<>());
                          int n;
                          synchronized (list) {
                            n = list.size();
                            list.add(call);
                          }
                          Answer answer = scripts.getOrDefault(path, i -> Answer.ok()).answer(n);
                          // a call ends when answered or when the client gave up on it (reset)
                          java.util.concurrent.atomic.AtomicBoolean ended =
                              new java.util.concurrent.atomic.AtomicBoolean();
                          Runnable end =
                              () -> {
                                if (ended.compareAndSet(false, true)) {
                                  synchronized (concurrent) {
                                    concurrent[0]--;
                                  }
                                }
                              };
                          request.response().closeHandler(v -> end.run());
                          Runnable respond =
                              () -> {
                                if (ended.get()) {
                                  return;
                                }
                                var response = request.response().setStatusCode(answer.status());
                                if (answer.retryAfter() != null) {
                                  response.putHeader("Retry-After", answer.retryAfter());
                                }
                                end.run();
                                response.end("ok");
                              };
                          if (answer.delayMillis() > 0) {
                            vertx.setTimer(answer.delayMillis(), t -> respond.run());
                          } else {
                            respond.run();
                          }
                        }))
            .listen(port, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  /** The URL of {@code path} on this receiver. */
  String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  void script(String path, Script script) {
    scripts.put(path, script);
  }

  /** The calls on {@code path} so far, in arrival order. */
  List<Call> calls(String path) {
    List<Call> list = calls.getOrDefault(path, List.of());
    synchronized (list) {
      return List.copyOf(list);
    }
  }

  /** The most calls on {@code path} that were ever open at once. */
  int mostAtOnce(String path) {
    int[] concurrent = open.getOrDefault(path, new int[2]);
    synchronized (concurrent) {
      return concurrent[1];
    }
  }

  @Override
  public void close() {
    server.close();
    vertx.close();
  }
}
