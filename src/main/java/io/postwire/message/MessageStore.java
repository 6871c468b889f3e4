package io.postwire.message;

import io.postwire.platform.Page;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The {@code message}, {@code delivery} and {@code event} tables: enqueueing (one statement per
 * message, so a message and its deliveries appear together or not at all) and status queries.
 */
@ApplicationScoped
public class MessageStore {

  /** Wakes idle delivery workers on every replica (PostgreSQL LISTEN/NOTIFY). */
  public static final String CHANNEL = "postwire_delivery";

  // One statement: data-modifying CTEs run together, and NOTIFY is delivered at commit.
  private static final String ENQUEUE =
      "with m as (insert into message (id, api_key_id, domain, mail_from, from_header, subject,"
          + " message_id, content, tags, metadata, size_bytes, send_at, expires_at, created_at)"
          + " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11, $12, $13, $14)"
          + " returning id),"
          + " d as (insert into delivery (message_id, recipient, recipient_domain, status,"
          + " next_attempt_at, updated_at)"
          + " select (select id from m), r, substring(r from '@([^@]+)$'), s,"
          + " case when s = 'queued' then coalesce($12, $14) end, $14"
          + " from unnest($15::text[], $16::text[]) as t(r, s) returning 1),"
          + " e as (insert into event (message_id, recipient, type, at)"
          + " select (select id from m), r, s, $14 from unnest($15::text[], $16::text[]) as t(r, s)"
          + " returning 1)"
          + " select (select count(*) from d) as deliveries, (select count(*) from e) as events,"
          + " pg_notify('"
          + CHANNEL
          + "', '')";

  private final Pool pool;
  private final com.fasterxml.jackson.databind.ObjectMapper mapper;

  public MessageStore(Pool pool, com.fasterxml.jackson.databind.ObjectMapper mapper) {
    this.pool = pool;
    this.mapper = mapper;
  }

  /** A JSON column's text as a tree, so the API shows objects, not strings. */
  private com.fasterxml.jackson.databind.JsonNode json(String text) {
    if (text == null) {
      return null;
    }
    try {
      return mapper.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Stored JSON is unreadable", e);
    }
  }

  /** Everything one accepted message needs in the database. */
  public record NewMessage(
      UUID id,
      UUID apiKeyId,
      String domain,
      String mailFrom,
      String fromHeader,
      String subject,
      String messageId,
      byte[] content,
      List<String> tags,
      String metadataJson,
      Instant sendAt,
      Instant expiresAt,
      Instant createdAt,
      List<String> queued,
      List<String> suppressed) {

    /** The 202 answer for this message. */
    public MessageViews.Accepted accepted() {
      List<MessageViews.AcceptedRecipient> recipients = new ArrayList<>();
      queued.forEach(r -> recipients.add(new MessageViews.AcceptedRecipient(r, "queued")));
      suppressed.forEach(r -> recipients.add(new MessageViews.AcceptedRecipient(r, "suppressed")));
      return new MessageViews.Accepted(id.toString(), "queued", utc(createdAt), recipients);
    }
  }

  /** Inserts one message with a delivery row and an event per recipient. */
  public Uni<Void> insert(SqlClient client, NewMessage m) {
    List<String> recipients = new ArrayList<>(m.queued());
    recipients.addAll(m.suppressed());
    List<String> states = new ArrayList<>();
    m.queued().forEach(r -> states.add("queued"));
    m.suppressed().forEach(r -> states.add("suppressed"));
    Tuple params =
        Tuple.tuple()
            .addUUID(m.id())
            .addUUID(m.apiKeyId())
            .addString(m.domain())
            .addString(m.mailFrom())
            .addString(m.fromHeader())
            .addString(m.subject())
            .addString(m.messageId())
            .addBuffer(Buffer.buffer(m.content()))
            .addArrayOfString(m.tags().toArray(String[]::new))
            .addString(m.metadataJson())
            .addInteger(m.content().length)
            .addOffsetDateTime(utc(m.sendAt()))
            .addOffsetDateTime(utc(m.expiresAt()))
            .addOffsetDateTime(utc(m.createdAt()))
            .addArrayOfString(recipients.toArray(String[]::new))
            .addArrayOfString(states.toArray(String[]::new));
    return client.preparedQuery(ENQUEUE).execute(params).replaceWithVoid();
  }

  public Pool pool() {
    return pool;
  }

  /** The addresses among {@code addresses} that are on the suppression list. */
  public Uni<List<String>> suppressed(List<String> addresses) {
    return pool.preparedQuery("select address from suppression where address = any($1)")
        .execute(Tuple.of(addresses.toArray(String[]::new)))
        .map(
            rows -> {
              List<String> found = new ArrayList<>();
              rows.forEach(row -> found.add(row.getString(0)));
              return found;
            });
  }

  /** One message with recipients and events, if it exists and lies within {@code domains}. */
  public Uni<MessageViews.Message> find(UUID id, String[] domains) {
    Uni<Row> message =
        pool.preparedQuery(
                "select m.id, m.from_header, m.subject, m.created_at, m.tags, m.metadata::text,"
                    + " m.send_at, m.expires_at, s.status from message m"
                    + " join message_status s on s.message_id = m.id"
                    + " where m.id = $1 and ($2::text[] is null or m.domain = any($2))")
            .execute(Tuple.of(id, domains))
            .map(rows -> rows.iterator().hasNext() ? rows.iterator().next() : null);
    return message.chain(
        row -> {
          if (row == null) {
            return Uni.createFrom().nullItem();
          }
          return Uni.combine()
              .all()
              .unis(recipients(id), events(id))
              .with(
                  (recipients, events) ->
                      new MessageViews.Message(
                          row.getUUID("id").toString(),
                          row.getString("from_header"),
                          row.getString("subject"),
                          row.getOffsetDateTime("created_at"),
                          row.getString("status"),
                          List.of(row.getArrayOfStrings("tags")),
                          json(row.getString("metadata")),
                          row.getOffsetDateTime("send_at"),
                          row.getOffsetDateTime("expires_at"),
                          recipients,
                          events));
        });
  }

  private Uni<List<MessageViews.Recipient>> recipients(UUID id) {
    return pool.preparedQuery(
            "select recipient, status, attempts, last_attempt_at, next_attempt_at, last_code,"
                + " last_enhanced_code, last_text, last_host, bounce_category"
                + " from delivery where message_id = $1 order by id")
        .execute(Tuple.of(id))
        .map(
            rows -> {
              List<MessageViews.Recipient> list = new ArrayList<>();
              for (Row r : rows) {
                Integer code = r.getInteger("last_code");
                MessageViews.LastResponse last =
                    code == null || code == 0
                        ? null
                        : new MessageViews.LastResponse(
                            code,
                            r.getString("last_enhanced_code"),
                            r.getString("last_text"),
                            r.getString("last_host"));
                String status = r.getString("status");
                boolean pending = status.equals("queued") || status.equals("deferred");
                list.add(
                    new MessageViews.Recipient(
                        r.getString("recipient"),
                        status,
                        r.getInteger("attempts"),
                        r.getOffsetDateTime("last_attempt_at"),
                        pending ? r.getOffsetDateTime("next_attempt_at") : null,
                        last,
                        r.getString("bounce_category")));
              }
              return list;
            });
  }

  private Uni<List<MessageViews.Event>> events(UUID id) {
    return pool.preparedQuery(
            "select type, recipient, at, detail::text from event where message_id = $1 order by id")
        .execute(Tuple.of(id))
        .map(
            rows -> {
              List<MessageViews.Event> list = new ArrayList<>();
              for (Row r : rows) {
                list.add(
                    new MessageViews.Event(
                        r.getString("type"),
                        r.getString("recipient"),
                        r.getOffsetDateTime("at"),
                        json(r.getString("detail"))));
              }
              return list;
            });
  }

  /** A page of messages, newest first, filtered by status and recipient. */
  public Uni<Page<MessageViews.Summary>> list(
      String[] domains, String status, String recipient, int limit, Cursor after) {
    return pool.preparedQuery(
            "select m.id, m.from_header, m.subject, m.created_at, s.status from message m"
                + " join message_status s on s.message_id = m.id"
                + " where ($1::text[] is null or m.domain = any($1))"
                + " and ($2::text is null or s.status = $2)"
                + " and ($3::text is null or exists (select 1 from delivery d"
                + " where d.message_id = m.id and d.recipient = $3))"
                + " and ($4::timestamptz is null or (m.created_at, m.id) < ($4, $5))"
                + " order by m.created_at desc, m.id desc limit $6")
        .execute(
            Tuple.tuple()
                .addArrayOfString(domains)
                .addString(status)
                .addString(recipient == null ? null : recipient.toLowerCase(Locale.ROOT))
                .addOffsetDateTime(after == null ? null : after.createdAt())
                .addUUID(after == null ? null : after.id())
                .addInteger(limit + 1))
        .map(
            rows -> {
              List<MessageViews.Summary> items = new ArrayList<>();
              List<Cursor> cursors = new ArrayList<>();
              for (Row r : rows) {
                items.add(
                    new MessageViews.Summary(
                        r.getUUID("id").toString(),
                        r.getString("from_header"),
                        r.getString("subject"),
                        r.getOffsetDateTime("created_at"),
                        r.getString("status")));
                cursors.add(new Cursor(r.getOffsetDateTime("created_at"), r.getUUID("id")));
              }
              if (items.size() > limit) {
                return new Page<>(items.subList(0, limit), cursors.get(limit - 1).encode());
              }
              return new Page<>(items, null);
            });
  }

  /**
   * Cancels what is not yet delivered: queued and deferred recipients become {@code failed} with a
   * {@code cancelled} event. Returns whether the message exists within {@code domains}.
   */
  public Uni<Boolean> cancel(UUID id, String[] domains) {
    return pool.withTransaction(
        conn ->
            conn.preparedQuery(
                    "select id from message where id = $1 and ($2::text[] is null or domain = any($2))"
                        + " for update")
                .execute(Tuple.of(id, domains))
                .chain(
                    rows -> {
                      if (!rows.iterator().hasNext()) {
                        return Uni.createFrom().item(false);
                      }
                      return conn.preparedQuery(
                              "with c as (update delivery set status = 'failed', next_attempt_at = null,"
                                  + " lease_owner = null, last_text = 'cancelled', updated_at = now()"
                                  + " where message_id = $1 and status in ('queued', 'deferred')"
                                  + " returning recipient)"
                                  + " insert into event (message_id, recipient, type, detail)"
                                  + " select $1, recipient, 'cancelled', null from c")
                          .execute(Tuple.of(id))
                          .replaceWith(true);
                    }));
  }

  /** A position in the newest-first message list. */
  public record Cursor(OffsetDateTime createdAt, UUID id) {
    String encode() {
      return java.util.Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString((createdAt.toInstant().toString() + "|" + id).getBytes());
    }

    /** Parses a cursor this API gave, or fails with 422. */
    public static Cursor decode(String text) {
      if (text == null || text.isBlank()) {
        return null;
      }
      try {
        String[] parts = new String(java.util.Base64.getUrlDecoder().decode(text)).split("\\|");
        return new Cursor(utc(Instant.parse(parts[0])), UUID.fromString(parts[1]));
      } catch (RuntimeException e) {
        throw io.postwire.platform.ApiException.field(
            "validation_failed", "after", "is not a cursor this API gave");
      }
    }
  }

  static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
