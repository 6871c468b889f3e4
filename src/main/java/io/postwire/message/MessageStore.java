package io.postwire.message;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postwire.domain.DomainNames;
import io.postwire.platform.Bytea;
import io.postwire.platform.DeliveryStatus;
import io.postwire.platform.Page;
import io.postwire.platform.Refusal;
import io.postwire.suppression.SuppressionService;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * The {@code message}, {@code delivery} and {@code event} tables: enqueueing (one statement per
 * message or per batch, so messages and their deliveries appear together or not at all) and status
 * queries.
 */
@ApplicationScoped
public class MessageStore {

  // Messages from concurrent sends in one statement, so it is atomic without BEGIN/COMMIT: the
  // sender-domain and suppression checks read the snapshot the inserts write into, and a message
  // is written only if its domain is registered, its sending is not paused by the reputation guard
  // and one of its recipients is not suppressed (for that domain or for every domain; the condition
  // is the suppression list's own).
  // Recipients ($15: 1-based message number, $16: address) are written queued first, then
  // suppressed, each group in request order. One row per message tells what happened to it.
  private static final String ENQUEUE_CHECKED =
      """
      with t as (select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],
      $5::text[], $6::text[], $7::text[], $8::bytea[], $9::text[], $10::text[], $11::int[],
      $12::timestamptz[], $13::timestamptz[], $14::timestamptz[]) with ordinality
      as t(id, api_key_id, domain, mail_from, from_header, subject, message_id, content,
      tags, metadata, size, send_at, expires_at, created_at, n)),
      r as (select u.k, u.a, u.o, %1$s as held
      from unnest($15::int[], $16::text[]) with ordinality as u(k, a, o) join t on t.n = u.k),
      c as (select t.n, (select id from domain where name = t.domain) as domain_id,
      coalesce((select sending_paused_since is not null from domain where name = t.domain),
      false) as paused,
      exists (select 1 from r where r.k = t.n and not r.held) as deliverable from t),
      m as (insert into message (id, api_key_id, domain, domain_id, mail_from, from_header,
      subject, message_id, content, tags, metadata, size_bytes, send_at, expires_at,
      created_at)
      select t.id, t.api_key_id, t.domain, c.domain_id, t.mail_from, t.from_header, t.subject,
      t.message_id, t.content, array(select jsonb_array_elements_text(t.tags::jsonb)),
      t.metadata::jsonb, t.size, t.send_at, t.expires_at, t.created_at
      from t join c on c.n = t.n where c.domain_id is not null and not c.paused
      and c.deliverable
      order by t.n
      returning id),
      d as (insert into delivery (message_id, recipient, recipient_domain, status,
      next_attempt_at, updated_at)
      select t.id, r.a, substring(r.a from '@([^@]+)$'),
      case when r.held then %2$s else %3$s end,
      case when r.held then null else coalesce(t.send_at, t.created_at) end, t.created_at
      from r join t on t.n = r.k where t.id in (select id from m)
      order by t.n, r.held, r.o returning 1),
      e as (insert into event (message_id, recipient, type, at)
      select t.id, r.a, case when r.held then 'suppressed' else 'queued' end, t.created_at
      from r join t on t.n = r.k where t.id in (select id from m)
      order by t.n, r.held, r.o returning 1)
      select c.n, c.domain_id is not null as registered, c.paused, c.deliverable,
      array(select r.a from r where r.k = c.n and r.held order by r.o) as suppressed,
      (select count(*) from d) as deliveries, (select count(*) from e) as events
      from c order by c.n"""
          .formatted(
              SuppressionService.suppresses("u.a", "t.domain"),
              DeliveryStatus.SUPPRESSED.sql(),
              DeliveryStatus.QUEUED.sql());

  // A scoped key sees the messages sent under the current registration of its domains, never those
  // of an earlier registration of the same name (API.md, "Domains (additions)"); null = admin.
  private static final String IN_SCOPE =
      """
      (%1$s::text[] is null or m.domain_id = any(array(select id from domain
      where name = any(%1$s))))""";

  private final Pool pool;
  private final ObjectMapper mapper;

  public MessageStore(Pool pool, ObjectMapper mapper) {
    this.pool = pool;
    this.mapper = mapper;
  }

  /** A JSON column's text as a tree, so the API shows objects, not strings. */
  private JsonNode json(String text) {
    if (text == null) {
      return null;
    }
    try {
      return mapper.readTree(text);
    } catch (JsonProcessingException e) {
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
      queued.forEach(
          r -> recipients.add(new MessageViews.AcceptedRecipient(r, DeliveryStatus.QUEUED.wire())));
      suppressed.forEach(
          r ->
              recipients.add(
                  new MessageViews.AcceptedRecipient(r, DeliveryStatus.SUPPRESSED.wire())));
      return new MessageViews.Accepted(
          id.toString(), DeliveryStatus.QUEUED.wire(), utc(createdAt), recipients);
    }
  }

  /** An enqueue rule a message broke, so nothing of it was written. */
  public enum Broken {
    /** Its sender domain is not registered. */
    UNKNOWN_SENDER_DOMAIN,
    /** Its sender domain's sending is paused by the reputation guard. */
    SENDING_PAUSED,
    /** Every one of its recipients is suppressed. */
    EVERY_RECIPIENT_SUPPRESSED
  }

  /**
   * What a checked insert did with one message: stored it ({@code message} with its recipients
   * split, {@code broke} null), or wrote nothing of it because of the rule it {@code broke}.
   */
  public record Checked(NewMessage message, Broken broke) {}

  /**
   * Inserts messages (from any callers, each with its own creation time) with a delivery row and an
   * event per recipient in one statement, each provided its sender domain is registered and not
   * paused, and at least one of its recipients is not suppressed; nothing of a message that is not
   * is written, and its answer names the rule it {@link Broken broke}. These are the enqueue rules
   * of every send: single, batch and raw. Each message's {@code queued()} holds all its recipients;
   * the answer, in order, holds each stored message with its suppressed recipients split off.
   */
  public Uni<List<Checked>> insertChecked(SqlClient client, List<NewMessage> messages) {
    int n = messages.size();
    UUID[] ids = new UUID[n];
    UUID[] apiKeys = new UUID[n];
    OffsetDateTime[] createdAts = new OffsetDateTime[n];
    List<Integer> rcptMessages = new ArrayList<>();
    List<String> rcpts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      NewMessage m = messages.get(i);
      ids[i] = m.id();
      apiKeys[i] = m.apiKeyId();
      createdAts[i] = utc(m.createdAt());
      for (String r : m.queued()) {
        rcptMessages.add(i + 1);
        rcpts.add(r);
      }
    }
    Tuple params = Tuple.tuple().addArrayOfUUID(ids).addArrayOfUUID(apiKeys);
    addColumns(params, messages)
        .addArrayOfOffsetDateTime(createdAts)
        .addArrayOfInteger(rcptMessages.toArray(Integer[]::new))
        .addArrayOfString(rcpts.toArray(String[]::new));
    return client
        .preparedQuery(ENQUEUE_CHECKED)
        .execute(params)
        .map(
            rows -> {
              List<Checked> out = new ArrayList<>(n);
              for (Row row : rows) {
                NewMessage m = messages.get(row.getInteger("n") - 1);
                out.add(checked(m, row));
              }
              return out;
            });
  }

  private static Checked checked(NewMessage m, Row row) {
    if (!row.getBoolean("registered")) {
      return new Checked(m, Broken.UNKNOWN_SENDER_DOMAIN);
    }
    if (row.getBoolean("paused")) {
      return new Checked(m, Broken.SENDING_PAUSED);
    }
    if (!row.getBoolean("deliverable")) {
      return new Checked(m, Broken.EVERY_RECIPIENT_SUPPRESSED);
    }
    List<String> held = List.of(row.getArrayOfStrings("suppressed"));
    List<String> queued = new ArrayList<>();
    List<String> suppressed = new ArrayList<>();
    for (String r : m.queued()) {
      (held.contains(r) ? suppressed : queued).add(r);
    }
    return new Checked(
        new NewMessage(
            m.id(),
            m.apiKeyId(),
            m.domain(),
            m.mailFrom(),
            m.fromHeader(),
            m.subject(),
            m.messageId(),
            m.content(),
            m.tags(),
            m.metadataJson(),
            m.sendAt(),
            m.expiresAt(),
            m.createdAt(),
            queued,
            suppressed),
        null);
  }

  /**
   * Adds the message columns the insert statement takes in order (domain through expires_at), one
   * array each.
   */
  private Tuple addColumns(Tuple params, List<NewMessage> messages) {
    int n = messages.size();
    String[] domains = new String[n];
    String[] mailFroms = new String[n];
    String[] fromHeaders = new String[n];
    String[] subjects = new String[n];
    String[] messageIds = new String[n];
    Buffer[] contents = new Buffer[n];
    String[] tags = new String[n];
    String[] metadata = new String[n];
    Integer[] sizes = new Integer[n];
    OffsetDateTime[] sendAts = new OffsetDateTime[n];
    OffsetDateTime[] expiresAts = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      NewMessage m = messages.get(i);
      domains[i] = m.domain();
      mailFroms[i] = m.mailFrom();
      fromHeaders[i] = m.fromHeader();
      subjects[i] = m.subject();
      messageIds[i] = m.messageId();
      contents[i] = Bytea.param(m.content());
      tags[i] = jsonArray(m.tags());
      metadata[i] = m.metadataJson();
      sizes[i] = m.content().length;
      sendAts[i] = utc(m.sendAt());
      expiresAts[i] = utc(m.expiresAt());
    }
    return params
        .addArrayOfString(domains)
        .addArrayOfString(mailFroms)
        .addArrayOfString(fromHeaders)
        .addArrayOfString(subjects)
        .addArrayOfString(messageIds)
        .addValue(contents)
        .addArrayOfString(tags)
        .addArrayOfString(metadata)
        .addArrayOfInteger(sizes)
        .addArrayOfOffsetDateTime(sendAts)
        .addArrayOfOffsetDateTime(expiresAts);
  }

  private String jsonArray(List<String> values) {
    try {
      return mapper.writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public Pool pool() {
    return pool;
  }

  /** One message with recipients and events, if it exists and lies within {@code domains}. */
  public Uni<MessageViews.Message> find(UUID id, String[] domains) {
    Uni<Row> message =
        pool.preparedQuery(
                """
                select m.id, m.from_header, m.subject, m.created_at, m.tags, m.metadata::text,
                m.send_at, m.expires_at, s.status from message m
                join message_status s on s.message_id = m.id
                where m.id = $1 and %s"""
                    .formatted(IN_SCOPE.formatted("$2")))
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

  /**
   * The bytes a message goes out as: its stored DKIM signature field(s), then its content, exactly
   * what an SMTP transaction carries as DATA; the content alone while it is not yet signed. Null
   * when it is not within {@code domains} or its content was purged.
   */
  public Uni<byte[]> raw(UUID id, String[] domains) {
    return pool.preparedQuery(
            """
            select m.signature, m.content from message m where m.id = $1
            and m.content is not null and %s"""
                .formatted(IN_SCOPE.formatted("$2")))
        .execute(Tuple.of(id, domains))
        .map(
            rows -> {
              if (!rows.iterator().hasNext()) {
                return null;
              }
              Row row = rows.iterator().next();
              String signature = row.getString("signature");
              byte[] head =
                  signature == null ? new byte[0] : signature.getBytes(StandardCharsets.US_ASCII);
              byte[] content = Bytea.bytes(row.getBuffer("content").getDelegate());
              byte[] raw = Arrays.copyOf(head, head.length + content.length);
              System.arraycopy(content, 0, raw, head.length, content.length);
              return raw;
            });
  }

  private Uni<List<MessageViews.Recipient>> recipients(UUID id) {
    return pool.preparedQuery(
            """
            select recipient, status, attempts, last_attempt_at, next_attempt_at, last_code,
            last_enhanced_code, last_text, last_host, bounce_category
            from delivery where message_id = $1 order by id""")
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
                boolean pending = DeliveryStatus.of(status).pending();
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
            """
            select m.id, m.from_header, m.subject, m.created_at, s.status from message m
            join message_status s on s.message_id = m.id
            where %s
            and ($2::text is null or s.status = $2)
            and ($3::text is null or exists (select 1 from delivery d
            where d.message_id = m.id and d.recipient = $3))
            and ($4::timestamptz is null or (m.created_at, m.id) < ($4, $5))
            order by m.created_at desc, m.id desc limit $6"""
                .formatted(IN_SCOPE.formatted("$1")))
        .execute(
            Tuple.tuple()
                .addArrayOfString(domains)
                .addString(status)
                .addString(recipient == null ? null : DomainNames.address(recipient))
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
                    """
                    select m.id from message m where m.id = $1 and %s
                    for update"""
                        .formatted(IN_SCOPE.formatted("$2")))
                .execute(Tuple.of(id, domains))
                .chain(
                    rows -> {
                      if (!rows.iterator().hasNext()) {
                        return Uni.createFrom().item(false);
                      }
                      return conn.preparedQuery(
                              """
                              with c as (update delivery set status = 'failed', next_attempt_at = null,
                              lease_owner = null, last_text = 'cancelled', updated_at = now()
                              where message_id = $1 and status in %s
                              returning recipient)
                              insert into event (message_id, recipient, type, detail)
                              select $1, recipient, 'cancelled', null from c"""
                                  .formatted(DeliveryStatus.PENDING_SQL))
                          .execute(Tuple.of(id))
                          .replaceWith(true);
                    }));
  }

  /** A position in the newest-first message list. */
  public record Cursor(OffsetDateTime createdAt, UUID id) {
    String encode() {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString((createdAt.toInstant().toString() + "|" + id).getBytes());
    }

    /** Parses a cursor this API gave, or refuses it (invalid). */
    public static Cursor decode(String text) {
      if (text == null || text.isBlank()) {
        return null;
      }
      try {
        String[] parts = new String(Base64.getUrlDecoder().decode(text)).split("\\|");
        return new Cursor(utc(Instant.parse(parts[0])), UUID.fromString(parts[1]));
      } catch (RuntimeException e) {
        throw Refusal.field("validation_failed", "after", "is not a cursor this API gave");
      }
    }
  }

  static OffsetDateTime utc(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }
}
