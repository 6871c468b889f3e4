package io.postwire.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.domain.DomainNames;
import io.postwire.domain.DomainService;
import io.postwire.domain.Mailbox;
import io.postwire.platform.ApiException;
import io.postwire.platform.Json;
import io.postwire.platform.Page;
import io.postwire.platform.PageRequest;
import io.postwire.platform.Problem;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.SendRateLimiter;
import io.postwire.suppression.SuppressionService;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Accepting messages: validation, sender and scope checks, suppression, rendering, and the one
 * statement that stores a message with its deliveries (in a transaction with its idempotent answer
 * when an Idempotency-Key is given).
 */
@ApplicationScoped
public class MessageService {

  /** Bodies larger than this are rendered on a worker thread, not the event loop. */
  private static final int INLINE_RENDER_LIMIT = 256 * 1024;

  private static final int MAX_BATCH = 500;

  /** The message statuses of API.md, the values {@code GET /v1/messages?status=} may ask for. */
  private static final Set<String> STATUSES =
      new java.util.TreeSet<>(
          Set.of(
              "queued",
              "delivering",
              "deferred",
              "delivered",
              "bounced",
              "failed",
              "partially_delivered"));

  private final MessageStore store;
  private final IdempotencyStore idempotency;
  private final MessageValidator validator;
  private final MimeRenderer renderer;
  private final DomainService domains;
  private final SuppressionService suppressions;
  private final MessageConfig config;
  private final QueueNotifier notifier;
  private final EnqueueGroups groups;
  private final Json json;
  private final SendRateLimiter rateLimiter;
  private final Counter accepted;

  /** An answer to send back: HTTP status and JSON body. */
  public record Answer(int status, String body) {}

  /**
   * Accepted work: {@code writes} stores it with one statement (autocommit, or inside the
   * Idempotency-Key transaction) and yields the answer document; {@code grouped}, when given,
   * stores it without an Idempotency-Key together with concurrent sends.
   */
  private record Prepared(
      int status, Function<SqlClient, Uni<Object>> writes, Supplier<Uni<Object>> grouped) {

    Prepared(int status, Function<SqlClient, Uni<Object>> writes) {
      this(status, writes, null);
    }
  }

  /** What a write stored: the answer document and its JSON text. */
  private record Written(Object answer, String text) {}

  public MessageService(
      MessageStore store,
      IdempotencyStore idempotency,
      MessageValidator validator,
      MimeRenderer renderer,
      DomainService domains,
      SuppressionService suppressions,
      MessageConfig config,
      QueueNotifier notifier,
      EnqueueGroups groups,
      Json json,
      SendRateLimiter rateLimiter,
      MeterRegistry registry) {
    this.store = store;
    this.idempotency = idempotency;
    this.validator = validator;
    this.renderer = renderer;
    this.domains = domains;
    this.suppressions = suppressions;
    this.config = config;
    this.notifier = notifier;
    this.groups = groups;
    this.json = json;
    this.rateLimiter = rateLimiter;
    this.accepted =
        Counter.builder("postwire.messages.accepted")
            .description("Messages accepted for delivery")
            .register(registry);
  }

  public Uni<Answer> send(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    rateLimiter.take(caller.keyId(), 1);
    JsonNode tree = json.tree(body);
    return idempotent(
        caller,
        idempotencyKey,
        "/v1/messages",
        tree,
        () -> prepareOne(caller, tree, body.length, 202));
  }

  public Uni<Answer> sendRaw(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    rateLimiter.take(caller.keyId(), 1);
    JsonNode tree = json.tree(body);
    return idempotent(
        caller,
        idempotencyKey,
        "/v1/messages/raw",
        tree,
        () -> prepareRaw(caller, tree, body.length));
  }

  public Uni<Answer> sendBatch(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    JsonNode tree = json.tree(body);
    if (!tree.isArray()) {
      throw ApiException.field("validation_failed", "$", "must be a JSON array of messages");
    }
    if (tree.isEmpty()) {
      throw new ApiException(422, "empty_batch", "The batch holds no messages");
    }
    if (tree.size() > MAX_BATCH) {
      throw new ApiException(
          422, "batch_too_large", "At most " + MAX_BATCH + " messages per batch");
    }
    rateLimiter.take(caller.keyId(), tree.size());
    return idempotent(
        caller, idempotencyKey, "/v1/messages/batch", tree, () -> prepareBatch(caller, tree));
  }

  /** Runs {@code work} under an Idempotency-Key (when given) and stores its answer with it. */
  private Uni<Answer> idempotent(
      ApiPrincipal caller, String key, String path, JsonNode body, WorkSupplier work) {
    if (key == null) {
      return work.get().chain(this::write);
    }
    byte[] hash = IdempotencyStore.requestHash(path, body);
    return idempotency
        .claim(caller.keyId(), key, hash)
        .chain(
            claim -> {
              if (!claim.owned()) {
                return Uni.createFrom().item(new Answer(claim.status(), claim.body()));
              }
              return Uni.createFrom()
                  .deferred(work::get)
                  .chain(
                      prepared ->
                          store
                              .pool()
                              .withTransaction(
                                  tx ->
                                      prepared
                                          .writes()
                                          .apply(tx)
                                          .map(this::written)
                                          .call(
                                              w ->
                                                  idempotency.answer(
                                                      tx,
                                                      caller.keyId(),
                                                      key,
                                                      prepared.status(),
                                                      w.text())))
                              .map(w -> committed(prepared, w)))
                  .onFailure()
                  .call(() -> idempotency.release(caller.keyId(), key))
                  .eventually(() -> idempotency.finished(caller.keyId(), key));
            });
  }

  /**
   * Without an Idempotency-Key the write is one autocommit statement: a single send's shared with
   * the sends that arrive meanwhile ({@link EnqueueGroups}), a batch's or raw send's its own.
   */
  private Uni<Answer> write(Prepared prepared) {
    Uni<Object> stored =
        prepared.grouped() != null
            ? prepared.grouped().get()
            : prepared.writes().apply(store.pool());
    return stored.map(answer -> committed(prepared, written(answer)));
  }

  private Written written(Object answer) {
    return new Written(answer, new String(json.write(answer), StandardCharsets.UTF_8));
  }

  /** After the commit: count what was accepted and wake the delivery workers for it. */
  private Answer committed(Prepared prepared, Written written) {
    long count = countAccepted(written.answer());
    if (count > 0) {
      accepted.increment(count);
      notifier.wake();
    }
    return new Answer(prepared.status(), written.text());
  }

  private static long countAccepted(Object answer) {
    if (answer instanceof List<?> items) {
      return items.stream()
          .filter(i -> i instanceof MessageViews.BatchItem b && b.id() != null)
          .count();
    }
    return 1;
  }

  @FunctionalInterface
  private interface WorkSupplier {
    Uni<Prepared> get();
  }

  private Uni<Prepared> prepareOne(ApiPrincipal caller, JsonNode body, int size, int status) {
    SendRequest request = json.bind(body, SendRequest.class, "");
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    ValidatedMessage message = validator.validate(request, now);
    String domain = message.from().domain();
    // Within the key's scope, whether the domain is registered and which recipients are
    // suppressed is asked by the insert itself: no round trip before it.
    Uni<Void> scope =
        caller.mayUse(domain) ? Uni.createFrom().voidItem() : checkSender(caller, domain);
    return scope
        .chain(() -> render(message, now, size))
        .map(
            rendered -> {
              MessageStore.NewMessage row =
                  newMessage(
                      caller, message, rendered, message.envelopeRecipients(), List.of(), now);
              return new Prepared(
                  status,
                  client ->
                      store
                          .insertChecked(client, List.of(row))
                          .map(checked -> accepted(checked.get(0))),
                  () -> groups.enqueue(row).map(MessageService::accepted));
            });
  }

  private Uni<Prepared> prepareBatch(ApiPrincipal caller, JsonNode items) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<Object> outcomes = new ArrayList<>();
    Set<String> senderDomains = new LinkedHashSet<>();
    Set<String> recipients = new LinkedHashSet<>();
    for (int i = 0; i < items.size(); i++) {
      try {
        SendRequest request = json.bind(items.get(i), SendRequest.class, "");
        // the item's attachments are now copied into the request: drop the tree's copy, so a batch
        // holds less while it waits for the database
        ((ArrayNode) items).set(i, NullNode.getInstance());
        ValidatedMessage message = validator.validate(request, now);
        senderDomains.add(message.from().domain());
        recipients.addAll(message.envelopeRecipients());
        outcomes.add(message);
      } catch (ApiException e) {
        outcomes.add(e);
      }
    }
    Uni<Set<String>> registered = registeredAmong(senderDomains);
    Uni<SuppressionService.Suppressed> suppressed = suppressions.entriesOf(List.copyOf(recipients));
    return Uni.combine()
        .all()
        .unis(registered, suppressed)
        .asTuple()
        .emitOn(Infrastructure.getDefaultWorkerPool())
        .map(
            known -> {
              List<MessageViews.BatchItem> answer = new ArrayList<>();
              List<MessageStore.NewMessage> rows = new ArrayList<>();
              for (int i = 0; i < outcomes.size(); i++) {
                Object outcome = outcomes.get(i);
                try {
                  if (outcome instanceof ApiException e) {
                    throw e;
                  }
                  ValidatedMessage message = (ValidatedMessage) outcome;
                  // rendered, the message is held once, as its bytes
                  outcomes.set(i, null);
                  senderAllowed(caller, message.from().domain(), known.getItem1());
                  MimeRenderer.Rendered rendered = checkedRender(message, now);
                  MessageStore.NewMessage row =
                      split(caller, message, rendered, known.getItem2(), now);
                  rows.add(row);
                  MessageViews.Accepted accepted = row.accepted();
                  answer.add(
                      new MessageViews.BatchItem(
                          i,
                          accepted.id(),
                          "queued",
                          accepted.createdAt(),
                          accepted.recipients(),
                          null));
                } catch (ApiException e) {
                  answer.add(
                      new MessageViews.BatchItem(i, null, "rejected", null, null, e.toProblem()));
                }
              }
              return new Prepared(200, client -> store.insertAll(client, rows).replaceWith(answer));
            });
  }

  private Uni<Prepared> prepareRaw(ApiPrincipal caller, JsonNode body, int size) {
    RawSendRequest request = json.bind(body, RawSendRequest.class, "");
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Mailbox mailFrom = Mailbox.parse(request.mailFrom(), "mailFrom");
    List<Mailbox> rcpts = MessageValidator.mailboxes(request.rcptTo(), "rcptTo");
    checkRecipients(rcpts.stream().map(Mailbox::address).toList());
    Instant sendAt = MessageValidator.time(request.sendAt(), "sendAt");
    Instant expiresAt =
        validator.expiresAt(MessageValidator.time(request.expiresAt(), "expiresAt"), sendAt, now);
    RawSend send =
        new RawSend(
            mailFrom,
            lower(rcpts),
            () -> RawMessages.decode(request.raw()),
            size,
            List.of(),
            null,
            sendAt,
            expiresAt);
    // the envelope sender's scope first: nothing of the message is decoded for a caller who may
    // not send as that domain
    return checkSender(caller, mailFrom.domain()).chain(() -> prepareRaw(caller, send, now));
  }

  /**
   * A raw message to send, as {@code /v1/messages/raw} and SMTP submission hand it over.
   *
   * @param mailFrom the envelope sender, or null for the From header's address
   * @param recipients the envelope recipients (addresses, lower-cased domain)
   * @param content yields the message bytes (decoding them, for the REST path)
   * @param size the request's size, which decides whether parsing leaves the event loop
   * @param metadataJson the metadata as a JSON object, or null
   */
  public record RawSend(
      Mailbox mailFrom,
      List<String> recipients,
      Supplier<byte[]> content,
      int size,
      List<String> tags,
      String metadataJson,
      Instant sendAt,
      Instant expiresAt) {}

  /** What became of a raw send, for callers that do not speak HTTP (SMTP submission). */
  public sealed interface RawOutcome {

    /** Stored and committed. */
    record Accepted(String messageId) implements RawOutcome {}

    /** Not stored, for {@code reason}; {@code detail} says why in words. */
    record Refused(Refusal reason, String detail) implements RawOutcome {}
  }

  /** Why a raw send was refused. */
  public enum Refusal {
    /** The From (or envelope) domain is not registered or not in the key's scope. */
    SENDER_NOT_ALLOWED,
    /** Every recipient is suppressed. */
    RECIPIENTS_SUPPRESSED,
    /** Larger than {@code postwire.message.max-size}. */
    TOO_LARGE,
    /** The key's send rate is used up. */
    RATE_LIMITED,
    /** The message or a setting of it is invalid. */
    INVALID,
    /** A send with the same Idempotency-Key is still being processed. */
    BUSY,
    /** The database failed or could not be reached. */
    UNAVAILABLE
  }

  /**
   * Sends a raw message given as bytes with its envelope (SMTP submission): the same checks,
   * storage and Idempotency-Key handling as {@code POST /v1/messages/raw}, with a typed outcome.
   */
  public Uni<RawOutcome> submitRaw(ApiPrincipal caller, String idempotencyKey, RawSend send) {
    return Uni.createFrom()
        .deferred(
            () -> {
              IdempotencyStore.validateKey(idempotencyKey);
              checkRecipients(send.recipients());
              rateLimiter.take(caller.keyId(), 1);
              Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
              return idempotent(
                  caller,
                  idempotencyKey,
                  "smtp",
                  idempotencyKey == null ? null : submissionTree(send),
                  () -> prepareRaw(caller, send, now));
            })
        .map(
            answer ->
                (RawOutcome)
                    new RawOutcome.Accepted(
                        json.tree(answer.body().getBytes(StandardCharsets.UTF_8))
                            .path("id")
                            .asText()))
        .onFailure()
        .recoverWithItem(MessageService::refused);
  }

  private void checkRecipients(List<String> recipients) {
    if (recipients.isEmpty()) {
      throw ApiException.field("no_recipients", "rcptTo", "at least one recipient is required");
    }
    if (recipients.size() > config.maxRecipients()) {
      throw ApiException.field(
          "too_many_recipients", "rcptTo", "at most " + config.maxRecipients() + " recipients");
    }
  }

  /** What identifies an SMTP submission for its Idempotency-Key: envelope, settings, content. */
  private JsonNode submissionTree(RawSend send) {
    com.fasterxml.jackson.databind.node.ObjectNode tree =
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    send.recipients().forEach(tree.putArray("rcptTo")::add);
    send.tags().forEach(tree.putArray("tags")::add);
    tree.put("metadata", send.metadataJson());
    try {
      tree.put(
          "sha256",
          java.util.HexFormat.of()
              .formatHex(
                  java.security.MessageDigest.getInstance("SHA-256").digest(send.content().get())));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return tree;
  }

  private static RawOutcome refused(Throwable failure) {
    if (!(failure instanceof ApiException e)) {
      return new RawOutcome.Refused(Refusal.UNAVAILABLE, "the database is not available");
    }
    Refusal reason =
        switch (e.code()) {
          case "unknown_sender_domain", "forbidden_sender_domain" -> Refusal.SENDER_NOT_ALLOWED;
          case "recipient_suppressed" -> Refusal.RECIPIENTS_SUPPRESSED;
          case "payload_too_large" -> Refusal.TOO_LARGE;
          case "rate_limited" -> Refusal.RATE_LIMITED;
          case "idempotency_in_progress" -> Refusal.BUSY;
          default -> e.status() >= 500 ? Refusal.UNAVAILABLE : Refusal.INVALID;
        };
    String detail =
        e.errors().isEmpty()
            ? e.getMessage()
            : e.errors().get(0).field() + ": " + e.errors().get(0).message();
    return new RawOutcome.Refused(reason, detail);
  }

  /**
   * The shared part of raw sends: limits, the From header's scope, suppressions; the envelope
   * sender's scope is the caller's to check first.
   */
  private Uni<Prepared> prepareRaw(ApiPrincipal caller, RawSend send, Instant now) {
    checkRecipients(send.recipients());
    List<String> recipients = new ArrayList<>(new LinkedHashSet<>(send.recipients()));
    String idDomain = send.mailFrom() == null ? null : send.mailFrom().domain();
    return parseRaw(send.content(), idDomain, now, send.size())
        .chain(raw -> checkSender(caller, raw.from().domain()).replaceWith(raw))
        .chain(
            raw ->
                suppressions
                    .suppressedFor(raw.from().domain(), recipients)
                    .map(
                        suppressed ->
                            prepareRaw(
                                caller,
                                raw,
                                send.mailFrom() == null ? raw.from() : send.mailFrom(),
                                recipients,
                                suppressed,
                                send,
                                now)));
  }

  /**
   * Decodes and prepares a raw message (8bit parts re-encoded, line ends made CRLF) within the size
   * limit; a large one on a worker thread, never on the event loop.
   */
  private Uni<RawMessages.Raw> parseRaw(
      Supplier<byte[]> content, String domain, Instant now, int bodySize) {
    Supplier<RawMessages.Raw> parse =
        () -> {
          byte[] decoded = content.get();
          if (decoded.length > config.maxSize()) {
            throw tooLarge(decoded.length);
          }
          RawMessages.Raw raw = RawMessages.parse(decoded, domain, now);
          if (raw.bytes().length > config.maxSize()) {
            throw tooLarge(raw.bytes().length);
          }
          return raw;
        };
    if (bodySize <= INLINE_RENDER_LIMIT) {
      return Uni.createFrom().item(parse);
    }
    return Uni.createFrom().item(parse).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  private Prepared prepareRaw(
      ApiPrincipal caller,
      RawMessages.Raw raw,
      Mailbox mailFrom,
      List<String> recipients,
      List<String> suppressed,
      RawSend send,
      Instant now) {
    List<String> queued = new ArrayList<>(recipients);
    queued.removeAll(suppressed);
    if (queued.isEmpty()) {
      throw ApiException.field(
          "recipient_suppressed", "rcptTo", "every recipient is on the suppression list");
    }
    List<String> held = new ArrayList<>(recipients);
    held.retainAll(suppressed);
    MessageStore.NewMessage row =
        new MessageStore.NewMessage(
            UUID.randomUUID(),
            caller.keyId(),
            raw.from().domain(),
            mailFrom.address(),
            raw.fromHeader(),
            raw.subject(),
            raw.messageId(),
            raw.bytes(),
            send.tags(),
            send.metadataJson(),
            send.sendAt(),
            send.expiresAt() != null
                ? send.expiresAt()
                : validator.expiresAt(null, send.sendAt(), now),
            now,
            queued,
            held);
    return new Prepared(
        202, client -> store.insertAll(client, List.of(row)).replaceWith(row.accepted()));
  }

  /** The message with its recipients split into queued and suppressed; 422 if none is left. */
  private MessageStore.NewMessage split(
      ApiPrincipal caller,
      ValidatedMessage message,
      MimeRenderer.Rendered rendered,
      SuppressionService.Suppressed suppressed,
      Instant now) {
    String domain = message.from().domain();
    List<String> queued = new ArrayList<>();
    List<String> held = new ArrayList<>();
    for (String recipient : message.envelopeRecipients()) {
      (suppressed.holds(domain, recipient) ? held : queued).add(recipient);
    }
    if (queued.isEmpty()) {
      throw ApiException.field(
          "recipient_suppressed", "to", "every recipient is on the suppression list");
    }
    return newMessage(caller, message, rendered, queued, held, now);
  }

  private static Object accepted(MessageStore.Checked checked) {
    if (checked.refusal() != null) {
      throw checked.refusal();
    }
    return checked.stored().accepted();
  }

  private MessageStore.NewMessage newMessage(
      ApiPrincipal caller,
      ValidatedMessage message,
      MimeRenderer.Rendered rendered,
      List<String> queued,
      List<String> held,
      Instant now) {
    return new MessageStore.NewMessage(
        UUID.randomUUID(),
        caller.keyId(),
        message.from().domain(),
        message.from().address(),
        message.from().toInternetAddress().toUnicodeString(),
        message.subject(),
        rendered.messageId(),
        rendered.bytes(),
        message.tags(),
        message.metadataJson(),
        message.sendAt(),
        message.expiresAt(),
        now,
        queued,
        held);
  }

  private Uni<MimeRenderer.Rendered> render(ValidatedMessage message, Instant now, int bodySize) {
    if (bodySize <= INLINE_RENDER_LIMIT) {
      return Uni.createFrom().item(() -> checkedRender(message, now));
    }
    return Uni.createFrom()
        .item(() -> checkedRender(message, now))
        .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  private MimeRenderer.Rendered checkedRender(ValidatedMessage message, Instant now) {
    MimeRenderer.Rendered rendered = renderer.render(message, Date.from(now));
    if (rendered.bytes().length > config.maxSize()) {
      throw tooLarge(rendered.bytes().length);
    }
    return rendered;
  }

  private ApiException tooLarge(int size) {
    return new ApiException(
        413,
        "payload_too_large",
        "The rendered message is "
            + size
            + " bytes; postwire.message.max-size is "
            + config.maxSize());
  }

  /** 422 for an unregistered sender domain; 403 for a registered one outside the key's scope. */
  private Uni<Void> checkSender(ApiPrincipal caller, String domain) {
    return domains
        .exists(domain)
        .map(
            exists -> {
              senderAllowed(caller, domain, exists ? Set.of(domain) : Set.of());
              return null;
            });
  }

  private static void senderAllowed(ApiPrincipal caller, String domain, Set<String> registered) {
    if (!registered.contains(domain)) {
      throw ApiException.field(
          "unknown_sender_domain", "from", domain + " is not a registered sending domain");
    }
    if (!caller.mayUse(domain)) {
      throw new ApiException(
          403,
          "forbidden_sender_domain",
          "This API key may not send as " + domain,
          List.of(new Problem.FieldError("from", "outside this key's domains")),
          null);
    }
  }

  private Uni<Set<String>> registeredAmong(Set<String> names) {
    if (names.isEmpty()) {
      return Uni.createFrom().item(Set.of());
    }
    return store
        .pool()
        .preparedQuery("select name from domain where name = any($1)")
        .execute(Tuple.of(names.toArray(String[]::new)))
        .map(
            rows -> {
              Set<String> found = new HashSet<>();
              rows.forEach(r -> found.add(r.getString(0)));
              return found;
            });
  }

  private static List<String> lower(List<Mailbox> mailboxes) {
    List<String> out = new ArrayList<>();
    mailboxes.forEach(m -> out.add(DomainNames.address(m.address())));
    return out;
  }

  public Uni<MessageViews.Message> get(ApiPrincipal caller, String id) {
    UUID uuid = parseId(id);
    if (uuid == null) {
      return Uni.createFrom().failure(ApiException.notFound("Message"));
    }
    return store
        .find(uuid, scope(caller))
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("Message"));
  }

  /** The message as sent (or as it will be), or 404 when unseen or its content was purged. */
  public Uni<byte[]> raw(ApiPrincipal caller, String id) {
    UUID uuid = parseId(id);
    if (uuid == null) {
      return Uni.createFrom().failure(ApiException.notFound("Message"));
    }
    return store
        .raw(uuid, scope(caller))
        .onItem()
        .ifNull()
        .failWith(() -> ApiException.notFound("Message"));
  }

  public Uni<Page<MessageViews.Summary>> list(
      ApiPrincipal caller, String status, String recipient, PageRequest page) {
    String wanted = status == null || status.isBlank() ? null : status.trim();
    if (wanted != null && !STATUSES.contains(wanted)) {
      throw ApiException.field("validation_failed", "status", "one of " + STATUSES);
    }
    return store.list(
        scope(caller), wanted, recipient, page.limit(), MessageStore.Cursor.decode(page.after()));
  }

  public Uni<MessageViews.Message> cancel(ApiPrincipal caller, String id) {
    UUID uuid = parseId(id);
    if (uuid == null) {
      return Uni.createFrom().failure(ApiException.notFound("Message"));
    }
    return store
        .cancel(uuid, scope(caller))
        .chain(
            found -> {
              if (!found) {
                return Uni.createFrom().failure(ApiException.notFound("Message"));
              }
              return get(caller, id);
            });
  }

  private static String[] scope(ApiPrincipal caller) {
    return caller.admin() ? null : caller.domains().toArray(String[]::new);
  }

  private static UUID parseId(String id) {
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
