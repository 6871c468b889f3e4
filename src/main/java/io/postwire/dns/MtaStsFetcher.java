package io.postwire.dns;

import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.http.HttpClient;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Fetches MTA-STS policy files (RFC 8461 §3.3) over HTTPS from an address our own resolver gave,
 * with Host and SNI the policy host and its certificate verified for that name; redirects are not
 * followed and bodies over 64 KiB are refused. Shared by the audit and by delivery.
 */
public final class MtaStsFetcher {

  /** RFC 8461 §3.3: senders may refuse bodies over 64 KiB. */
  public static final int MAX_POLICY_BYTES = 64 * 1024;

  /** Addresses of the policy host tried before giving up. */
  static final int MAX_ADDRESSES = 4;

  private final HttpClient client;
  private final int port;
  private final long timeoutMillis;

  /**
   * @param port the HTTPS port (443; tests serve policies on a high loopback port)
   * @param trustStore a PEM ({@code .pem}/{@code .crt}) or PKCS#12 ({@code .p12}/{@code .pfx}) file
   *     of trust anchors; empty = the JDK's
   */
  public MtaStsFetcher(
      Vertx vertx,
      int port,
      Duration timeout,
      Optional<String> trustStore,
      Optional<String> trustStorePassword) {
    this.port = port;
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
    this.client = vertx.createHttpClient(options);
  }

  /**
   * The policy from the first of {@code addresses} that serves it, trying each in turn (at most
   * {@value #MAX_ADDRESSES}), as a browser does with a host that has several: one dead web server
   * must not make a domain's policy unreachable. Fails with the first address's failure.
   */
  public Uni<String> fetch(String host, List<InetAddress> addresses) {
    if (addresses.isEmpty()) {
      return Uni.createFrom().failure(new IllegalStateException(host + " has no address"));
    }
    return fetchFrom(
        host, addresses.subList(0, Math.min(addresses.size(), MAX_ADDRESSES)), 0, null);
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

  /** GET of the policy from one address, with Host and SNI the policy host (RFC 8461 §3.3). */
  public Uni<String> fetch(String host, InetAddress address) {
    RequestOptions request =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
            .setHost(host)
            .setPort(port)
            .setSsl(true)
            .setURI("/.well-known/mta-sts.txt")
            .setFollowRedirects(false)
            .setIdleTimeout(timeoutMillis);
    return client
        .request(request)
        .chain(req -> req.send())
        .chain(
            response -> {
              if (response.statusCode() != 200) {
                return Uni.createFrom()
                    .failure(
                        new IllegalStateException(
                            "HTTP "
                                + response.statusCode()
                                + " (RFC 8461 §3.3 requires 200, redirects are not followed)"));
              }
              return response.body();
            })
        .map(
            body -> {
              if (body.length() > MAX_POLICY_BYTES) {
                throw new IllegalStateException("policy over 64 KiB");
              }
              return body.toString(StandardCharsets.UTF_8);
            });
  }

  /** Closes the HTTP client. */
  public void close() {
    client.closeAndForget();
  }
}
