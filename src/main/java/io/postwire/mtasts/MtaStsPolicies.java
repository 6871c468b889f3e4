package io.postwire.mtasts;

import io.postwire.dns.Dns;
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
 * The MTA-STS policies of recipient domains (RFC 8461 §5): the {@code _mta-sts} TXT record is read
 * through our resolver on each delivery, and the policy is fetched again only when its {@code id}
 * changed or the known copy outlived its {@code max_age}. Fetched policies are kept in PostgreSQL
 * ({@link MtaStsPolicyStore}) for their max_age, so a restarted replica or another one knows them
 * too, with this replica's recent ones also in memory. A known policy that has not expired stays in
 * force when the record disappears or a fetch fails (§5.1), so an attacker who strips the record or
 * takes the policy host down cannot downgrade delivery to plaintext.
 */
public final class MtaStsPolicies {

  private static final Logger LOG = Logger.getLogger(MtaStsPolicies.class);

  /** Domains remembered in memory at most; the least recently used go first. */
  static final int MAX_DOMAINS = 10_000;

  private record Cached(String id, MtaStsPolicy policy, Instant expires) {}

  private final Dns dns;
  private final MtaStsFetcher fetcher;
  private final MtaStsPolicyStore store;
  private final Clock clock;
  private final Map<String, Cached> cache =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
          return size() > MAX_DOMAINS;
        }
      };

  public MtaStsPolicies(Dns dns, MtaStsFetcher fetcher, MtaStsPolicyStore store, Clock clock) {
    this.dns = dns;
    this.fetcher = fetcher;
    this.store = store;
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
              String id = recordId(texts);
              if (cached != null && (id == null || id.equals(cached.id()))) {
                return Uni.createFrom().item(cached.policy());
              }
              // not in this replica's memory (a restart, another replica fetched it) or a new id
              return stored(domain)
                  .chain(
                      stored -> {
                        if (stored != null && (id == null || id.equals(stored.id()))) {
                          remember(domain, stored);
                          return Uni.createFrom().item(stored.policy());
                        }
                        if (id == null) {
                          return Uni.createFrom().nullItem();
                        }
                        // should the fetch fail, the newest known policy stays in force
                        return fetch(domain, id, stored != null ? stored : cached);
                      });
            });
  }

  /** The {@code id} of the one {@code v=STSv1} record, or {@code null} (none, several, invalid). */
  private static String recordId(List<String> texts) {
    List<String> records = texts.stream().filter(t -> t.startsWith("v=STSv1")).toList();
    if (records.size() != 1) {
      return null;
    }
    try {
      return MtaStsRecord.parse(records.get(0)).id();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The stored policy, or {@code null}; a database that does not answer is no policy. */
  private Uni<Cached> stored(String domain) {
    return store
        .find(domain, clock.instant())
        .map(
            row -> {
              if (row == null) {
                return null;
              }
              try {
                return new Cached(row.id(), MtaStsPolicy.parse(row.text()), row.expires());
              } catch (RuntimeException e) {
                LOG.warnf("stored MTA-STS policy of %s is unreadable: %s", domain, e.getMessage());
                return null;
              }
            })
        .onFailure()
        .recoverWithItem(
            e -> {
              LOG.debugf("stored MTA-STS policy of %s not read: %s", domain, e.toString());
              return null;
            });
  }

  private Uni<MtaStsPolicy> fetch(String domain, String id, Cached known) {
    String host = "mta-sts." + domain;
    return dns.addresses(host)
        .chain(addresses -> fetcher.fetch(host, addresses))
        .chain(
            text -> {
              MtaStsPolicy policy = MtaStsPolicy.parse(text);
              Instant fetched = clock.instant();
              Cached fresh =
                  new Cached(id, policy, fetched.plus(Duration.ofSeconds(policy.maxAge())));
              remember(domain, fresh);
              return store
                  .save(domain, new MtaStsPolicyStore.Stored(id, text, fresh.expires()), fetched)
                  .onFailure()
                  .recoverWithItem(
                      e -> {
                        LOG.warnf("MTA-STS policy of %s not stored: %s", domain, e.toString());
                        return null;
                      })
                  .replaceWith(policy);
            })
        .onFailure()
        .recoverWithItem(
            e -> {
              LOG.debugf("MTA-STS policy of %s not fetched: %s", domain, e.toString());
              return known == null ? null : known.policy();
            });
  }

  private void remember(String domain, Cached policy) {
    synchronized (cache) {
      cache.put(domain, policy);
    }
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
}
