package io.postwire.inbound;

import io.postwire.domain.DomainNames;
import io.postwire.domain.ReturnPathHosts;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The domains the inbound listener takes mail for: {@code postwire.inbound.domain}, the feedback
 * address's domain, and every registered domain's {@code returnPath}. Anything else is relaying,
 * which the listener never does.
 */
@ApplicationScoped
public class ReturnPathDomains implements ReturnPathHosts {

  private final InboundConfig config;
  private final Pool pool;

  public ReturnPathDomains(InboundConfig config, Pool pool) {
    this.config = config;
    this.pool = pool;
  }

  /** The default return-path domain, lower case, or null when inbound mail is not configured. */
  @Override
  public String defaultDomain() {
    return config.port().isEmpty()
        ? null
        : config.domain().map(d -> DomainNames.normalize(d)).orElse(null);
  }

  @Override
  public List<String> mxHosts() {
    if (config.port().isEmpty()) {
      return List.of();
    }
    List<String> hosts = new ArrayList<>();
    hosts.add(host(config.hostname()));
    for (String name : config.mxNames().orElse(List.of())) {
      if (!name.isBlank() && !hosts.contains(host(name))) {
        hosts.add(host(name));
      }
    }
    return List.copyOf(hosts);
  }

  private static String host(String name) {
    String h = name.strip().toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  /**
   * The return-path domain of a sending domain's mail: its own, else the default; null when inbound
   * mail is off (the envelope sender stays the message's own).
   */
  public String forDomain(String ownReturnPath) {
    if (config.port().isEmpty()) {
      return null;
    }
    return ownReturnPath != null ? ownReturnPath : defaultDomain();
  }

  /** The feedback address, lower case, or null. */
  public String feedbackAddress() {
    return config.feedbackAddress().map(a -> a.strip().toLowerCase(Locale.ROOT)).orElse(null);
  }

  /** Whether mail for {@code domain} (lower case, an A-label) is ours to take. */
  public Uni<Boolean> accepts(String domain) {
    if (config.port().isEmpty()) {
      return Uni.createFrom().item(false);
    }
    if (domain.equals(defaultDomain())) {
      return Uni.createFrom().item(true);
    }
    String feedback = feedbackAddress();
    if (feedback != null && feedback.endsWith("@" + domain)) {
      return Uni.createFrom().item(true);
    }
    return pool.preparedQuery("select 1 from domain where return_path = $1 limit 1")
        .execute(Tuple.of(domain))
        .map(rows -> rows.size() > 0);
  }
}
