package io.postwire.dns;

import io.quarkus.runtime.LaunchMode;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.net.InetSocketAddress;
import java.util.List;

/** Builds the one {@link Dns} and {@link SpfEvaluator} of the service from configuration. */
@ApplicationScoped
public class DnsProducer {

  @Produces
  @ApplicationScoped
  Dns dns(DnsConfig config, Vertx vertx) {
    List<InetSocketAddress> servers =
        config.servers().map(DnsSettings::parseServers).orElse(List.of());
    if (servers.isEmpty() && LaunchMode.current() != LaunchMode.NORMAL) {
      throw new IllegalStateException(
          "postwire.dns.servers is empty: outside prod, resolvers must be named explicitly");
    }
    return new Dns(
        new DnsSettings(
            servers,
            config.timeout(),
            config.cacheSize(),
            config.cacheMaxBytes(),
            config.cacheMaxTtl(),
            config.maxAnswerSize()),
        vertx);
  }

  @Produces
  @ApplicationScoped
  SpfEvaluator spf(Dns dns, DnsConfig config) {
    return new SpfEvaluator(
        dns,
        config.receiverName(),
        "See https://www.rfc-editor.org/rfc/rfc7208 for %{d}'s SPF policy");
  }
}
