package io.postwire.analytics;

import io.postwire.dns.Dns;
import io.postwire.dns.MxHost;
import io.postwire.dns.MxResult;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The mailbox provider of a recipient domain, from its MX hosts: {@code gmail}, {@code microsoft},
 * {@code yahoo}, {@code apple}, ..., or {@code other}. Looked up through the service's {@link Dns}
 * (the configured servers, never the system resolver), kept in memory and in the {@code
 * recipient_provider} table for {@code postwire.analytics.provider-ttl}.
 *
 * <p>A domain without MX records (no such domain, null MX, implicit MX) is {@code other}, and that
 * answer is kept like any other. A temporary failure (timeout, SERVFAIL) answers {@code other} for
 * now but is not stored: the domain is looked up again after {@code
 * postwire.analytics.provider-retry}. The rollups never wait for a DNS server that is down, at the
 * price of some events counted under {@code other} while it is.
 */
@ApplicationScoped
public class Providers {

  /** The provider of domains whose MX names no known provider. */
  public static final String OTHER = "other";

  private static final Logger LOG = Logger.getLogger(Providers.class);

  /**
   * MX host suffixes by provider, the first match wins. Google Workspace domains' MX
   * (aspmx.l.google.com) is Gmail's; Microsoft 365 and Outlook.com share protection.outlook.com.
   */
  private static final List<Map.Entry<String, String>> SUFFIXES =
      List.of(
          Map.entry("google.com", "gmail"),
          Map.entry("googlemail.com", "gmail"),
          Map.entry("outlook.com", "microsoft"),
          Map.entry("hotmail.com", "microsoft"),
          Map.entry("microsoft.com", "microsoft"),
          Map.entry("yahoodns.net", "yahoo"),
          Map.entry("yahoo.com", "yahoo"),
          Map.entry("icloud.com", "apple"),
          Map.entry("me.com", "apple"),
          Map.entry("mac.com", "apple"),
          Map.entry("zoho.com", "zoho"),
          Map.entry("zoho.eu", "zoho"),
          Map.entry("zohomail.com", "zoho"),
          Map.entry("protonmail.ch", "proton"),
          Map.entry("proton.me", "proton"),
          Map.entry("messagingengine.com", "fastmail"),
          Map.entry("yandex.net", "yandex"),
          Map.entry("yandex.ru", "yandex"),
          Map.entry("mail.ru", "mailru"),
          Map.entry("gmx.net", "gmx"),
          Map.entry("gmx.com", "gmx"),
          Map.entry("web.de", "gmx"),
          Map.entry("mimecast.com", "mimecast"),
          Map.entry("pphosted.com", "proofpoint"),
          Map.entry("ppe-hosted.com", "proofpoint"));

  /** Every provider name the rollups may show. */
  public static final List<String> NAMES =
      SUFFIXES.stream().map(Map.Entry::getValue).distinct().toList();

  private record Cached(String provider, long until) {}

  private final Dns dns;
  private final Pool pool;
  private final AnalyticsConfig config;
  private final Map<String, Cached> memory = new ConcurrentHashMap<>();

  public Providers(Dns dns, Pool pool, AnalyticsConfig config) {
    this.dns = dns;
    this.pool = pool;
    this.config = config;
  }

  /** The provider named by an MX host, or {@code other}. */
  public static String ofHost(String mxHost) {
    String host = mxHost.toLowerCase(Locale.ROOT);
    while (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    for (Map.Entry<String, String> e : SUFFIXES) {
      if (host.equals(e.getKey()) || host.endsWith("." + e.getKey())) {
        return e.getValue();
      }
    }
    return OTHER;
  }

  /** The provider of an MX answer: that of its most preferred host with a known provider. */
  static String ofMx(MxResult mx) {
    if (!(mx instanceof MxResult.Hosts hosts)) {
      return OTHER;
    }
    List<MxHost> sorted = new ArrayList<>(hosts.hosts());
    sorted.sort((a, b) -> Integer.compare(a.preference(), b.preference()));
    for (MxHost h : sorted) {
      String p = ofHost(h.host());
      if (!p.equals(OTHER)) {
        return p;
      }
    }
    return OTHER;
  }

  /** The provider of each domain (lower case, A-labels); never fails, never waits past a bound. */
  public Uni<Map<String, String>> of(Collection<String> domains) {
    long now = System.currentTimeMillis();
    Map<String, String> found = new HashMap<>();
    List<String> missing = new ArrayList<>();
    for (String d : domains) {
      Cached c = memory.get(d);
      if (c != null && c.until() > now) {
        found.put(d, c.provider());
      } else {
        missing.add(d);
      }
    }
    if (missing.isEmpty()) {
      return Uni.createFrom().item(found);
    }
    return stored(missing)
        .chain(
            fromTable -> {
              fromTable.forEach((d, p) -> remember(d, p, config.providerTtl()));
              found.putAll(fromTable);
              List<String> unknown =
                  missing.stream().filter(d -> !fromTable.containsKey(d)).toList();
              if (unknown.isEmpty()) {
                return Uni.createFrom().item(found);
              }
              return resolveAll(unknown)
                  .map(
                      resolved -> {
                        found.putAll(resolved);
                        return found;
                      });
            });
  }

  private Uni<Map<String, String>> stored(List<String> domains) {
    return pool.preparedQuery(
            """
            select domain, provider from recipient_provider
            where domain = any($1) and resolved_at > now() - $2::bigint * interval '1 second'""")
        .execute(Tuple.of(domains.toArray(String[]::new), config.providerTtl().toSeconds()))
        .map(
            rows -> {
              Map<String, String> out = new HashMap<>();
              for (Row r : rows) {
                out.put(r.getString("domain"), r.getString("provider"));
              }
              return out;
            })
        .onFailure()
        .recoverWithItem(Map::of);
  }

  private Uni<Map<String, String>> resolveAll(List<String> domains) {
    Map<String, String> definite = new ConcurrentHashMap<>();
    Map<String, String> all = new ConcurrentHashMap<>();
    return Multi.createFrom()
        .iterable(domains)
        .onItem()
        .transformToUni(d -> resolve(d, definite, all))
        .merge(Math.max(1, config.providerConcurrency()))
        .collect()
        .last()
        .chain(() -> store(definite))
        .map(v -> (Map<String, String>) new HashMap<>(all));
  }

  private Uni<Void> resolve(String domain, Map<String, String> definite, Map<String, String> all) {
    return dns.mx(domain)
        .ifNoItem()
        .after(config.providerTimeout())
        .fail()
        .map(Providers::ofMx)
        .invoke(
            p -> {
              definite.put(domain, p);
              all.put(domain, p);
              remember(domain, p, config.providerTtl());
            })
        .onFailure()
        .recoverWithItem(
            e -> {
              // temporary: counted as other now, looked up again later (see the class comment)
              LOG.debugf("Provider of %s unknown for now: %s", domain, e.toString());
              all.put(domain, OTHER);
              remember(domain, OTHER, config.providerRetry());
              return OTHER;
            })
        .replaceWithVoid();
  }

  private Uni<Void> store(Map<String, String> resolved) {
    if (resolved.isEmpty()) {
      return Uni.createFrom().voidItem();
    }
    List<String> names = new ArrayList<>(resolved.keySet());
    String[] providers = names.stream().map(resolved::get).toArray(String[]::new);
    return pool.preparedQuery(
            """
            insert into recipient_provider (domain, provider, resolved_at)
            select u.d, u.p, now() from unnest($1::text[], $2::text[]) as u(d, p)
            on conflict (domain) do update set provider = excluded.provider,
            resolved_at = excluded.resolved_at""")
        .execute(Tuple.of(names.toArray(String[]::new), providers))
        .replaceWithVoid()
        .onFailure()
        .recoverWithNull();
  }

  private void remember(String domain, String provider, Duration ttl) {
    if (memory.size() >= config.providerCacheSize()) {
      // crude but bounded: the table still answers for what is dropped
      memory.clear();
    }
    memory.put(domain, new Cached(provider, System.currentTimeMillis() + ttl.toMillis()));
  }
}
