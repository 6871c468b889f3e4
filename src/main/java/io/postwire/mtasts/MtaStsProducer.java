package io.postwire.mtasts;

import io.postwire.dns.Dns;
import io.postwire.egress.EgressPolicy;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/**
 * The one {@link MtaStsFetcher} (delivery and the audit share it) and the one {@link
 * MtaStsPolicies} cache, both from {@link MtaStsConfig}. Singletons, so they are built where they
 * are first injected or asked for, at start-up, where reading the trust store file may block.
 */
@ApplicationScoped
public class MtaStsProducer {

  @Produces
  @Singleton
  MtaStsFetcher fetcher(MtaStsConfig config, Vertx vertx, EgressPolicy egress) {
    return new MtaStsFetcher(
        vertx,
        config.port(),
        config.timeout(),
        config.trustStore(),
        config.trustStorePassword(),
        egress);
  }

  void close(@Disposes MtaStsFetcher fetcher) {
    fetcher.close();
  }

  @Produces
  @Singleton
  MtaStsPolicies policies(Dns dns, MtaStsFetcher fetcher, MtaStsPolicyStore store) {
    return new MtaStsPolicies(dns, fetcher, store, Clock.systemUTC());
  }
}
