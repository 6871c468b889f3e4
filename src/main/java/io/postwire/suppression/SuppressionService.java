package io.postwire.suppression;

import io.postwire.domain.DomainNames;
import io.postwire.domain.Mailbox;
import io.postwire.platform.Page;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * The suppression list: entries per sending domain, or for every domain when {@code domain} is null
 * (API.md, "Suppressions"). A scoped key sees only the entries of its own domains. Every statement
 * on the {@code suppression} table is here; where a check or a write must stay inside another
 * store's single statement (the enqueue check, the outcome write), that store embeds a fragment
 * from here.
 */
@ApplicationScoped
public class SuppressionService {

  static final Set<String> REASONS = Set.of("manual", "hard_bounce", "complaint", "unsubscribe");

  private final Pool pool;

  /**
   * An SQL condition, true when a send from the domain {@code domain} may not reach {@code address}
   * (both SQL expressions of the embedding statement): the address has an entry for that domain or
   * for every domain. {@code MessageStore} asks it inside its enqueue statement, so the check reads
   * the snapshot the inserts write into.
   */
  public static String suppresses(String address, String domain) {
    return """
        exists (select 1 from suppression listed where listed.address = %s
        and (listed.domain is null or listed.domain = %s))"""
        .formatted(address, domain);
  }

  /**
   * An SQL insert suppressing addresses after a hard bounce, for the domain that sent the bounced
   * message; an address already on the list for that domain keeps its entry. {@code rows} is an SQL
   * query of (address, sending domain) rows of the embedding statement. {@code DeliveryStore}
   * embeds it in its outcome write, so the suppression commits with the bounce it comes from.
   */
  public static String suppressHardBounces(String rows) {
    return """
        insert into suppression (address, domain, reason, detail)
        select x.a, x.d, 'hard_bounce', 'permanent failure' from (%s) as x(a, d)
        on conflict (address, (coalesce(domain, ''))) do nothing"""
        .formatted(rows);
  }

  /**
   * An SQL insert suppressing addresses after a complaint (RFC 5965 feedback report), for the
   * domain that sent the message; an address already on the list for that domain keeps its entry.
   * {@code rows} is an SQL query of (address, sending domain) rows, as for {@link
   * #suppressHardBounces}; {@code InboundStore} embeds it so the entry commits with its event.
   */
  public static String suppressComplaints(String rows) {
    return """
        insert into suppression (address, domain, reason, detail)
        select x.a, x.d, 'complaint', 'complaint (feedback report)' from (%s) as x(a, d)
        on conflict (address, (coalesce(domain, ''))) do nothing"""
        .formatted(rows);
  }

  /** One entry: {@code domain} null means every domain. */
  public record Suppression(
      String address, String domain, String reason, OffsetDateTime createdAt, String detail) {}

  public SuppressionService(Pool pool) {
    this.pool = pool;
  }

  /** A page of the entries the caller may see, by address then domain (global first). */
  public Uni<Page<Suppression>> list(
      ApiPrincipal caller, String domain, String address, int limit, String after) {
    String[] cursor = decodeCursor(after);
    return pool.preparedQuery(
            """
            select address, domain, reason, detail, created_at
            from suppression where ($1::text[] is null or domain = any($1))
            and ($2::text is null or domain = $2) and ($3::text is null or address = $3)
            and ($4::text is null or (address, coalesce(domain, '')) > ($4, $5))
            order by address, coalesce(domain, '') limit $6""")
        .execute(
            Tuple.tuple()
                .addArrayOfString(scope(caller))
                .addString(domainOrNull(domain))
                .addString(address == null || address.isBlank() ? null : normalize(address))
                .addString(cursor == null ? null : cursor[0])
                .addString(cursor == null ? null : cursor[1])
                .addInteger(limit + 1))
        .map(
            rows -> {
              List<Suppression> items = new ArrayList<>();
              rows.forEach(r -> items.add(row(r)));
              if (items.size() > limit) {
                Suppression last = items.get(limit - 1);
                return new Page<>(items.subList(0, limit), encodeCursor(last));
              }
              return new Page<>(items, null);
            });
  }

  /** The entries of one address the caller may see; empty when there are none. */
  public Uni<List<Suppression>> entries(ApiPrincipal caller, String address) {
    return pool.preparedQuery(
            """
            select address, domain, reason, detail, created_at
            from suppression where address = $1 and ($2::text[] is null or domain = any($2))
            order by coalesce(domain, '')""")
        .execute(Tuple.of(normalize(address), scope(caller)))
        .map(
            rows -> {
              List<Suppression> items = new ArrayList<>();
              rows.forEach(r -> items.add(row(r)));
              return items;
            });
  }

  /** Adds or replaces the entry of {@code address} for {@code domain} (null: every domain). */
  public Uni<Suppression> put(String address, String domain, String reason, String detail) {
    String chosen = reason == null ? "manual" : reason;
    if (!REASONS.contains(chosen)) {
      throw Refusal.field(
          "validation_failed", "reason", "one of manual, hard_bounce, complaint, unsubscribe");
    }
    String normalized = DomainNames.address(Mailbox.parse(address, "address").address());
    String forDomain = domainOrNull(domain);
    return pool.preparedQuery(
            """
            insert into suppression (address, domain, reason, detail) values ($1, $2, $3, $4)
            on conflict (address, (coalesce(domain, ''))) do update
            set reason = excluded.reason, detail = excluded.detail
            returning address, domain, reason, detail, created_at""")
        .execute(Tuple.of(normalized, forDomain, chosen, detail))
        .map(rows -> row(rows.iterator().next()));
  }

  /** Removes the entry of {@code address} for {@code domain} (null: the global one). */
  public Uni<Boolean> delete(String address, String domain) {
    String forDomain = domainOrNull(domain);
    return pool.preparedQuery(
            """
            delete from suppression where address = $1
            and coalesce(domain, '') = coalesce($2::text, '')""")
        .execute(Tuple.of(normalize(address), forDomain))
        .map(rows -> rows.rowCount() > 0);
  }

  /**
   * Whether {@code address} is suppressed for every domain or for one of {@code domains} (SMTP
   * submission asks this at RCPT, before it knows the From domain).
   */
  public Uni<Boolean> suppressedForAny(String address, Set<String> domains) {
    return pool.preparedQuery(
            """
            select exists (select 1 from suppression where address = $1
            and (domain is null or domain = any($2)))""")
        .execute(Tuple.of(address, domains.toArray(String[]::new)))
        .map(rows -> rows.iterator().next().getBoolean(0));
  }

  /** The domains whose entries the caller may see, or null for all (admin). */
  private static String[] scope(ApiPrincipal caller) {
    return caller.admin() ? null : caller.domains().toArray(String[]::new);
  }

  /** A domain given by the caller, or null when none was; refused when it is not a domain name. */
  private static String domainOrNull(String domain) {
    return domain == null || domain.isBlank() ? null : DomainNames.require(domain, "domain");
  }

  private static String normalize(String address) {
    return address == null ? "" : DomainNames.address(address);
  }

  private static String encodeCursor(Suppression s) {
    String text = s.address() + "\n" + (s.domain() == null ? "" : s.domain());
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String[] decodeCursor(String after) {
    if (after == null || after.isBlank()) {
      return null;
    }
    try {
      String text = new String(Base64.getUrlDecoder().decode(after), StandardCharsets.UTF_8);
      int cut = text.indexOf('\n');
      if (cut < 0) {
        throw new IllegalArgumentException("no separator");
      }
      return new String[] {text.substring(0, cut), text.substring(cut + 1)};
    } catch (IllegalArgumentException e) {
      throw Refusal.field("validation_failed", "after", "is not a cursor this API gave");
    }
  }

  private static Suppression row(Row r) {
    return new Suppression(
        r.getString("address"),
        r.getString("domain"),
        r.getString("reason"),
        r.getOffsetDateTime("created_at"),
        r.getString("detail"));
  }
}
