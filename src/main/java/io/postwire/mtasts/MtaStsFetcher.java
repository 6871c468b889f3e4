package io.postwire.mtasts;

import io.postwire.egress.EgressPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.mutiny.core.Vertx;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Fetches MTA-STS policy files (RFC 8461 §3.3) over HTTPS from an address our own resolver gave,
 * with Host and SNI the policy host and its certificate verified for that name; redirects are not
 * followed. The body is read as it streams in and the fetch stops at 64 KiB, and one fetch from one
 * address has a deadline from connect to last byte, so neither an endless nor a dripping response
 * holds memory or a delivery. Addresses the {@link EgressPolicy} refuses are never connected to.
 * One instance, shared by the audit and by delivery ({@link MtaStsProducer}).
 */
public final class MtaStsFetcher {

  /** RFC 8461 §3.3: senders may refuse bodies over 64 KiB. */
  public static final int MAX_POLICY_BYTES = 64 * 1024;

  /** Addresses of the policy host tried before giving up. */
  static final int MAX_ADDRESSES = 4;

  private final HttpClient client;
  private final int port;
  private final long timeoutMillis;
  private final EgressPolicy egress;

  /**
   * @param port the HTTPS port (443; tests serve policies on a high loopback port)
   * @param trustStore a PEM ({@code .pem}/{@code .crt}) or PKCS#12 ({@code .p12}/{@code .pfx}) file
   *     of trust anchors; empty = the JDK's
   * @param timeout the deadline of one fetch from one address, connect to last byte
   * @param egress which addresses of policy hosts may be connected to
   */
  public MtaStsFetcher(
      Vertx vertx,
      int port,
      Duration timeout,
      Optional<String> trustStore,
      Optional<String> trustStorePassword,
      EgressPolicy egress) {
    this.port = port;
    this.egress = egress;
    this.timeoutMillis = timeout.toMillis();
    HttpClientOptions options =
        new HttpClientOptions()
            .setSsl(true)
            .setVerifyHost(true)
            .setForceSni(true)
            .setConnectTimeout((int) timeoutMillis)
            .setMaxPoolSize(4);
    trustStore.ifPresent(
        path -> {
          String lower = path.toLowerCase(Locale.ROOT);
          if (lower.endsWith(".p12") || lower.endsWith(".pfx")) {
            options.setTrustOptions(
                new PfxOptions().setPath(path).setPassword(trustStorePassword.orElse("")));
          } else {
            options.setTrustOptions(new PemTrustOptions().addCertPath(path));
          }
        });
    this.client = vertx.getDelegate().createHttpClient(options);
  }

  /**
   * The policy from the first of {@code addresses} that serves it, trying each in turn (at most
   * {@value #MAX_ADDRESSES} the egress policy permits), as a browser does with a host that has
   * several: one dead web server must not make a domain's policy unreachable. Fails with the first
   * address's failure.
   */
  public Uni<String> fetch(String host, List<InetAddress> addresses) {
    if (addresses.isEmpty()) {
      return Uni.createFrom().failure(new IllegalStateException(host + " has no address"));
    }
    List<InetAddress> permitted = egress.permitted(addresses);
    if (permitted.isEmpty()) {
      return Uni.createFrom().failure(refused(host));
    }
    return fetchFrom(
        host, permitted.subList(0, Math.min(permitted.size(), MAX_ADDRESSES)), 0, null);
  }

  private Uni<String> fetchFrom(
      String host, List<InetAddress> addresses, int index, Throwable firstFailure) {
    return fetch(host, addresses.get(index))
        .onFailure()
        .recoverWithUni(
            failure -> {
              Throwable first = firstFailure == null ? failure : firstFailure;
              return index + 1 < addresses.size()
                  ? fetchFrom(host, addresses, index + 1, first)
                  : Uni.createFrom().failure(first);
            });
  }

  /** The failure of a fetch the egress policy refused; it names the host, never the address. */
  private static IllegalStateException refused(String host) {
    return new IllegalStateException(host + ": " + EgressPolicy.REFUSED);
  }

  /**
   * GET of the policy from one address, with Host and SNI the policy host (RFC 8461 §3.3). The
   * request is reset (its connection closed) as soon as the answer is known to be unusable: not
   * 200, over 64 KiB, or past the deadline.
   */
  public Uni<String> fetch(String host, InetAddress address) {
    if (!egress.permits(address)) {
      return Uni.createFrom().failure(refused(host));
    }
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
            .setHost(host)
            .setPort(port)
            .setSsl(true)
            .setURI("/.well-known/mta-sts.txt")
            .setFollowRedirects(false)
            .setIdleTimeout(timeoutMillis);
    return Uni.createFrom()
        .<String>emitter(
            emitter -> {
              AtomicReference<HttpClientRequest> request = new AtomicReference<>();
              AtomicBoolean done = new AtomicBoolean();
              Runnable reset =
                  () -> {
                    HttpClientRequest r = request.get();
                    if (r != null) {
                      r.reset();
                    }
                  };
              // a cancelled fetch (the deadline) must not leave the stream running
              emitter.onTermination(
                  () -> {
                    if (done.compareAndSet(false, true)) {
                      reset.run();
                    }
                  });
              Consumer<Throwable> fail =
                  failure -> {
                    if (done.compareAndSet(false, true)) {
                      reset.run();
                      emitter.fail(failure);
                    }
                  };
              client
                  .request(options)
                  .compose(
                      r -> {
                        request.set(r);
                        if (done.get()) {
                          // cancelled while connecting: the deadline has already failed it
                          r.reset();
                          return Future.failedFuture("policy fetch cancelled");
                        }
                        return r.send();
                      })
                  .onFailure(fail::accept)
                  .onSuccess(
                      response -> {
                        // set first: a reset stream reports here (and, unheard, in the log)
                        response.exceptionHandler(fail::accept);
                        if (response.statusCode() != 200) {
                          fail.accept(
                              new IllegalStateException(
                                  "HTTP "
                                      + response.statusCode()
                                      + " (RFC 8461 §3.3 requires 200, redirects are not"
                                      + " followed)"));
                          return;
                        }
                        String length = response.getHeader("Content-Length");
                        if (length != null
                            && length.matches("\\d{1,19}")
                            && Long.parseLong(length) > MAX_POLICY_BYTES) {
                          fail.accept(tooLarge());
                          return;
                        }
                        Buffer body = Buffer.buffer();
                        response.handler(
                            chunk -> {
                              if (done.get()) {
                                return;
                              }
                              if (body.length() + chunk.length() > MAX_POLICY_BYTES) {
                                fail.accept(tooLarge());
                              } else {
                                body.appendBuffer(chunk);
                              }
                            });
                        response.endHandler(
                            v -> {
                              if (done.compareAndSet(false, true)) {
                                emitter.complete(body.toString(StandardCharsets.UTF_8));
                              }
                            });
                      });
            })
        .ifNoItem()
        .after(Duration.ofMillis(timeoutMillis))
        .failWith(
            () ->
                new TimeoutException(
                    "policy not received from "
                        + address.getHostAddress()
                        + " within "
                        + timeoutMillis
                        + " ms"));
  }

  private static IllegalStateException tooLarge() {
    return new IllegalStateException("policy over 64 KiB (RFC 8461 §3.3), fetch stopped");
  }

  /** Closes the HTTP client. */
  public void close() {
    client.close();
  }
}
