package io.postwire.mtasts;

import io.postwire.dns.Dns;
import io.postwire.egress.EgressPolicy;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import org.jboss.logging.Logger;

/**
 * The one {@link MtaStsFetcher} (delivery and the audit share it) and the one {@link
 * MtaStsPolicies} cache, both from {@link MtaStsConfig}. Singletons, so they are built where they
 * are first injected or asked for, at start-up, where reading the trust store file may block.
 */
@ApplicationScoped
public class MtaStsProducer {

  private static final Logger LOG = Logger.getLogger(MtaStsProducer.class);

  /**
   * The older names are injected (and only noted in the log) so that start-up registers them: a
   * setting under {@code postwire.delivery} or {@code postwire.audit} that no injected
   * configuration declares stops the start.
   */
  @Produces
  @Singleton
  MtaStsFetcher fetcher(
      MtaStsConfig config,
      MtaStsOlderNames.Delivery delivery,
      MtaStsOlderNames.Audit audit,
      Vertx vertx,
      EgressPolicy egress) {
    if (delivery.port().isPresent()
        || delivery.trustStore().isPresent()
        || delivery.timeout().isPresent()
        || audit.port().isPresent()
        || audit.trustStore().isPresent()
        || audit.timeout().isPresent()) {
      LOG.infof(
          "MTA-STS settings under postwire.delivery.mta-sts or postwire.audit.mta-sts are read"
              + " as postwire.mta-sts.* (port %d)",
          config.port());
    }
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
