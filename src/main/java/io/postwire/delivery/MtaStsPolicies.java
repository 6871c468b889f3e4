package io.postwire.delivery;

import io.postwire.dns.Dns;
import io.postwire.dns.MtaStsFetcher;
import io.postwire.dns.MtaStsPolicy;
import io.postwire.dns.MtaStsRecord;
import io.smallrye.mutiny.Uni;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The MTA-STS policies of recipient domains (RFC 8461 §5), per replica: the {@code _mta-sts} TXT
 * record is read through our resolver on each delivery, and the policy is fetched again only when
 * its {@code id} changed or the cached copy outlived its {@code max_age}. A cached policy that has
 * not expired stays in force when the record disappears or a fetch fails (§5.1), so an attacker who
 * strips the record cannot downgrade delivery to plaintext.
 */
public final class MtaStsPolicies {

  private static final Logger LOG = Logger.getLogger(MtaStsPolicies.class);

  /** Domains remembered at most; the least recently used go first. */
  static final int MAX_DOMAINS = 10_000;

  private record Cached(String id, MtaStsPolicy policy, Instant expires) {}

  private final Dns dns;
  private final MtaStsFetcher fetcher;
  private final Clock clock;
  private final Map<String, Cached> cache =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
          return size() > MAX_DOMAINS;
        }
      };

  public MtaStsPolicies(Dns dns, MtaStsFetcher fetcher, Clock clock) {
    this.dns = dns;
    this.fetcher = fetcher;
    this.clock = clock;
  }

  /** The policy in force for {@code domain}, or {@code null} when it has none. */
  public Uni<MtaStsPolicy> policy(String domain) {
    Cached cached = valid(domain);
    return dns.txt("_mta-sts." + domain)
        .onFailure()
        .recoverWithItem(List.of())
        .chain(
            texts -> {
              List<String> records = texts.stream().filter(t -> t.startsWith("v=STSv1")).toList();
              String id = null;
              if (records.size() == 1) {
                try {
                  id = MtaStsRecord.parse(records.get(0)).id();
                } catch (RuntimeException e) {
                  id = null;
                }
              }
              if (cached != null && (id == null || id.equals(cached.id()))) {
                return Uni.createFrom().item(cached.policy());
              }
              if (id == null) {
                return Uni.createFrom().nullItem();
              }
              return fetch(domain, id, cached);
            });
  }

  private Uni<MtaStsPolicy> fetch(String domain, String id, Cached cached) {
    String host = "mta-sts." + domain;
    return dns.addresses(host)
        .chain(addresses -> fetcher.fetch(host, addresses))
        .map(
            text -> {
              MtaStsPolicy policy = MtaStsPolicy.parse(text);
              synchronized (cache) {
                cache.put(
                    domain,
                    new Cached(
                        id, policy, clock.instant().plus(Duration.ofSeconds(policy.maxAge()))));
              }
              return policy;
            })
        .onFailure()
        .recoverWithItem(
            e -> {
              LOG.debugf("MTA-STS policy of %s not fetched: %s", domain, e.toString());
              return cached == null ? null : cached.policy();
            });
  }

  private Cached valid(String domain) {
    synchronized (cache) {
      Cached c = cache.get(domain);
      if (c != null && !clock.instant().isBefore(c.expires())) {
        cache.remove(domain);
        return null;
      }
      return c;
    }
  }

  /** Closes the policy client. */
  public void close() {
    fetcher.close();
  }
}
