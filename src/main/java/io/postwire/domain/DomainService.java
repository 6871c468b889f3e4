package io.postwire.domain;

import io.postwire.dkim.DkimAlgorithm;
import io.postwire.dkim.DkimKeyService;
import io.postwire.platform.DatabaseSignals;
import io.postwire.platform.DeliveryStatus;
import io.postwire.platform.Page;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiKeyService;
import io.postwire.security.ApiPrincipal;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** Sending domains: registration, lookup within a key's scope, removal. */
@ApplicationScoped
public class DomainService {

  private final Pool pool;
  private final DkimKeyService keys;
  private final ApiKeyService apiKeys;

  public DomainService(Pool pool, DkimKeyService keys, ApiKeyService apiKeys) {
    this.pool = pool;
    this.keys = keys;
    this.apiKeys = apiKeys;
  }

  /**
   * Registers a domain with freshly generated DKIM keys (active at once), in one transaction; 409
   * {@code domain_exists} when it already is.
   */
  public Uni<String> register(String rawName, List<String> algorithmNames, String rawReturnPath) {
    String name = DomainNames.require(rawName, "name");
    String returnPath = returnPath(name, rawReturnPath);
    List<DkimAlgorithm> algorithms = DkimKeyService.algorithms(algorithmNames, "dkim.algorithms");
    return keys.generate(name, algorithms)
        .chain(
            generated ->
                pool.withTransaction(
                    tx ->
                        tx.preparedQuery(
                                """
                                insert into domain (name, return_path) values ($1, $2)
                                on conflict do nothing""")
                            .execute(Tuple.of(name, returnPath))
                            .chain(
                                rows -> {
                                  if (rows.rowCount() == 0) {
                                    throw Refusal.conflict(
                                        "domain_exists", name + " is already registered", null);
                                  }
                                  return keys.insert(tx, name, generated, "active");
                                })))
        .replaceWith(name);
  }

  /**
   * A domain's return path (API.md "Domains (additions)"): the domain itself or a subdomain of it,
   * so bounces for its mail come back to a name its owner controls; null when not given.
   */
  static String returnPath(String domain, String raw) {
    if (raw == null) {
      return null;
    }
    String returnPath = DomainNames.require(raw, "returnPath");
    if (!returnPath.equals(domain) && !returnPath.endsWith("." + domain)) {
      throw Refusal.field(
          "validation_failed", "returnPath", "must be " + domain + " or a subdomain of it");
    }
    return returnPath;
  }

  /** The domain if it exists and the caller may see it, else 404. */
  @WithSession
  public Uni<DomainEntity> get(ApiPrincipal caller, String rawName) {
    String name = DomainNames.normalize(rawName);
    if (name == null || !caller.mayUse(name)) {
      return Uni.createFrom().failure(Refusal.notFound("Domain"));
    }
    return DomainEntity.<DomainEntity>findById(name)
        .onItem()
        .ifNull()
        .failWith(() -> Refusal.notFound("Domain"));
  }

  /** The domains the caller may see, by name. */
  @WithSession
  public Uni<Page<DomainEntity>> list(ApiPrincipal caller, int limit, String after) {
    String cursor = after == null ? "" : after;
    Uni<List<DomainEntity>> rows =
        caller.admin()
            ? DomainEntity.<DomainEntity>find("name > ?1 order by name", cursor)
                .page(0, limit + 1)
                .list()
            : DomainEntity.<DomainEntity>find(
                    "name > ?1 and name in ?2 order by name", cursor, List.copyOf(caller.domains()))
                .page(0, limit + 1)
                .list();
    return rows.map(
        items -> {
          if (items.size() > limit) {
            List<DomainEntity> page = items.subList(0, limit);
            return new Page<>(page, page.get(limit - 1).name);
          }
          return new Page<>(items, null);
        });
  }

  /** Whether a domain is registered (the sender check of every send). */
  public Uni<Boolean> exists(String name) {
    return pool.preparedQuery("select 1 from domain where name = $1")
        .execute(Tuple.of(name))
        .map(rows -> rows.size() > 0);
  }

  /**
   * Removes a domain. Its queued mail fails with {@code domain_removed} and it leaves every API
   * key's scope in the same transaction, so no worker signs or sends for a domain that is gone and
   * no key regains it when the name is registered again.
   */
  public Uni<Boolean> delete(String rawName) {
    String name = DomainNames.normalize(rawName);
    if (name == null) {
      return Uni.createFrom().item(false);
    }
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(
                        """
                        with failed as (update delivery d set status = 'failed', next_attempt_at = null,
                        lease_owner = null, updated_at = now(), last_text = 'domain_removed'
                        from message m where d.message_id = m.id and m.domain = $1
                        and d.status in %s
                        returning d.message_id, d.recipient)
                        insert into event (message_id, recipient, type, detail)
                        select message_id, recipient, 'failed',
                        '{"reason":"domain_removed"}'::jsonb from failed"""
                            .formatted(DeliveryStatus.PENDING_SQL))
                    .execute(Tuple.of(name))
                    .chain(
                        () ->
                            conn.preparedQuery(
                                    // every replica forgets the old scopes at commit
                                    """
                                    with u as (update api_key set domains = array_remove(domains,
                                    $1) where $1 = any(domains) returning id)
                                    select %s
                                    from (select count(*) from u) c"""
                                        .formatted(
                                            DatabaseSignals.notifyCall(
                                                DatabaseSignals.API_KEY_REVOKED,
                                                "'" + ApiKeyService.EVERY_KEY + "'")))
                                .execute(Tuple.of(name)))
                    .chain(
                        () ->
                            conn.preparedQuery("delete from domain where name = $1")
                                .execute(Tuple.of(name)))
                    .map(rows -> rows.rowCount() > 0))
        // this replica forgets the old scopes at once, the others when the NOTIFY reaches them
        .invoke(apiKeys::forgetCached);
  }
}
