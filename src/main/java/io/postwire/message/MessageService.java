package io.postwire.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.domain.DomainNames;
import io.postwire.domain.DomainService;
import io.postwire.domain.Mailbox;
import io.postwire.platform.Json;
import io.postwire.platform.MessageStatus;
import io.postwire.platform.Page;
import io.postwire.platform.PageRequest;
import io.postwire.platform.Problem;
import io.postwire.platform.ProblemMapper;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.SendRateLimiter;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Accepting messages: validation, sender and scope checks, suppression, rendering, and the one
 * statement that stores a message with its deliveries (in a transaction with its idempotent answer
 * when an Idempotency-Key is given).
 */
@ApplicationScoped
public class MessageService {

  /**
   * Bodies larger than this are decoded (JSON, base64, a raw message's parts) and rendered on a
   * worker thread, not the event loop.
   */
  static final int INLINE_DECODE_LIMIT = 64 * 1024;

  private static final int MAX_BATCH = 500;

  /** The message statuses of API.md, the values {@code GET /v1/messages?status=} may ask for. */
  private static final Set<String> STATUSES = new TreeSet<>(MessageStatus.wireNames());

  private final MessageStore store;
  private final IdempotencyStore idempotency;
  private final MessageValidator validator;
  private final MimeRenderer renderer;
  private final DomainService domains;
  private final MessageConfig config;
  private final QueueNotifier notifier;
  private final EnqueueGroups groups;
  private final Json json;
  private final SendRateLimiter rateLimiter;
  private final Counter accepted;

  /**
   * What a send came to: the answer document as JSON text (for a batch, one result per item). The
   * resource chooses the HTTP status for it.
   */
  public sealed interface SendOutcome {
    String body();

    /** Stored and queued now (for a batch: whatever each item came to). */
    record Accepted(String body) implements SendOutcome {}

    /** The answer of an earlier request with the same Idempotency-Key and the same body. */
    record Replayed(String body) implements SendOutcome {}
  }

  /**
   * The sending endpoints, as the idempotency table knows them: the path their request hash covers,
   * and the {@code response_code} their answers have always been stored with (a replica replays
   * it).
   */
  private enum Endpoint {
    SEND("/v1/messages", 202),
    BATCH("/v1/messages/batch", 200),
    RAW("/v1/messages/raw", 202),
    SUBMISSION("smtp", 202);

    final String path;
    final int storedCode;

    Endpoint(String path, int storedCode) {
      this.path = path;
      this.storedCode = storedCode;
    }
  }

  /**
   * Accepted work: {@code writes} stores it with one statement (autocommit, or inside the
   * Idempotency-Key transaction) and yields the answer document; {@code grouped}, when given,
   * stores it without an Idempotency-Key together with concurrent sends.
   */
  private record Prepared(Function<SqlClient, Uni<Object>> writes, Supplier<Uni<Object>> grouped) {

    Prepared(Function<SqlClient, Uni<Object>> writes) {
      this(writes, null);
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

  public Uni<SendOutcome> send(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    rateLimiter.take(caller.keyId(), 1);
    return decode(body)
        .chain(
            tree ->
                idempotent(
                    caller,
                    idempotencyKey,
                    Endpoint.SEND,
                    tree,
                    offloaded(body, () -> prepareOne(caller, tree, body.length))));
  }

  public Uni<SendOutcome> sendRaw(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    rateLimiter.take(caller.keyId(), 1);
    return decode(body)
        .chain(
            tree ->
                idempotent(
                    caller,
                    idempotencyKey,
                    Endpoint.RAW,
                    tree,
                    offloaded(body, () -> prepareRaw(caller, tree, body.length))));
  }

  /**
   * Queues a message the caller built, as an SMTP transaction hands it over: the envelope and the
   * RFC 5322 bytes. The same rules as {@code POST /v1/messages/raw} apply (rate limit, sender
   * domains registered and in the key's scope, suppression, size); a refusal is the Uni's failure,
   * a {@link Refusal} whose {@link Refusal#kind() kind} says why (an SMTP front answers {@code
   * TOO_LARGE} with 552, {@code RATE_LIMITED} with 451, the others with 550; a failure for which
   * {@link io.postwire.platform.ProblemMapper#databaseUnavailable} holds with 451).
   */
  public Uni<MessageViews.Accepted> submitRaw(
      ApiPrincipal caller, String mailFrom, List<String> rcptTo, byte[] message) {
    return Uni.createFrom()
        .deferred(
            () -> {
              rateLimiter.take(caller.keyId(), 1);
              return prepareRaw(
                  caller, mailFrom, rcptTo, null, null, () -> message, message.length);
            })
        .chain(this::write)
        .map(written -> (MessageViews.Accepted) written.answer());
  }

  /**
   * What an SMTP submission gives besides its envelope and bytes: tags and metadata (the {@code
   * X-Postwire-*} header fields) and an Idempotency-Key, each possibly empty or null.
   */
  public record SubmissionOptions(List<String> tags, String metadataJson, String idempotencyKey) {}

  /**
   * Queues a message as SMTP submission hands it over: as {@link #submitRaw(ApiPrincipal, String,
   * List, byte[])}, except that the envelope sender is the From address (the client's is not used),
   * and with tags, metadata and an Idempotency-Key (the same key with the same envelope and bytes
   * gives the first message's id again, storing nothing). Yields the message id; refusals as there.
   */
  public Uni<String> submitRaw(
      ApiPrincipal caller, List<String> rcptTo, byte[] message, SubmissionOptions options) {
    return Uni.createFrom()
        .deferred(
            () -> {
              IdempotencyStore.validateKey(options.idempotencyKey());
              rateLimiter.take(caller.keyId(), 1);
              return idempotent(
                  caller,
                  options.idempotencyKey(),
                  Endpoint.SUBMISSION,
                  options.idempotencyKey() == null
                      ? null
                      : submissionTree(rcptTo, message, options),
                  () ->
                      prepareRaw(
                          caller,
                          null,
                          rcptTo,
                          null,
                          null,
                          () -> message,
                          message.length,
                          options.tags(),
                          options.metadataJson()));
            })
        .map(
            outcome ->
                json.tree(outcome.body().getBytes(StandardCharsets.UTF_8)).path("id").asText());
  }

  /** What an Idempotency-Key of a submission stands for: its envelope, options and bytes. */
  private static JsonNode submissionTree(
      List<String> rcptTo, byte[] message, SubmissionOptions options) {
    ObjectNode tree = JsonNodeFactory.instance.objectNode();
    rcptTo.forEach(tree.putArray("rcptTo")::add);
    options.tags().forEach(tree.putArray("tags")::add);
    tree.put("metadata", options.metadataJson());
    try {
      tree.put(
          "sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(message)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return tree;
  }

  public Uni<SendOutcome> sendBatch(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    return decode(body)
        .invoke(
            tree -> {
              if (!tree.isArray()) {
                throw Refusal.field("validation_failed", "$", "must be a JSON array of messages");
              }
              if (tree.isEmpty()) {
                throw Refusal.invalid("empty_batch", "The batch holds no messages", List.of());
              }
              if (tree.size() > MAX_BATCH) {
                throw Refusal.invalid(
                    "batch_too_large", "At most " + MAX_BATCH + " messages per batch", List.of());
              }
              rateLimiter.take(caller.keyId(), tree.size());
            })
        .chain(
            tree ->
                idempotent(
                    caller,
                    idempotencyKey,
                    Endpoint.BATCH,
                    tree,
                    offloaded(body, () -> prepareBatch(caller, tree))));
  }

  /**
   * Reads a request body into its JSON tree: a large body on a worker thread, never on the event
   * loop; a small one where it is, which is quicker than a hand-over.
   */
  private Uni<JsonNode> decode(byte[] body) {
    Supplier<JsonNode> parse =
        () -> {
          decodingObserver.accept("json");
          return json.tree(body);
        };
    if (body.length <= INLINE_DECODE_LIMIT) {
      return Uni.createFrom().item(parse);
    }
    return Uni.createFrom().item(parse).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  /**
   * The preparation of a request (binding, validation with its base64 checks, rendering; then the
   * database): for a large body its decoding part runs on a worker thread, as {@link #decode}.
   */
  private WorkSupplier offloaded(byte[] body, WorkSupplier prepare) {
    WorkSupplier observed =
        () -> {
          decodingObserver.accept("prepare");
          return prepare.get();
        };
    if (body.length <= INLINE_DECODE_LIMIT) {
      return observed;
    }
    return () ->
        Uni.createFrom()
            .deferred(observed::get)
            .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  /**
   * Told the step ({@code json}, {@code prepare}, {@code raw}) each time a request body is decoded,
   * on the thread that decodes it: tests check that a large body is decoded off the event loop.
   */
  static volatile Consumer<String> decodingObserver = step -> {};

  /** Runs the work under an Idempotency-Key (when given) and stores its answer with it. */
  private Uni<SendOutcome> idempotent(
      ApiPrincipal caller, String key, Endpoint endpoint, JsonNode body, WorkSupplier work) {
    if (key == null) {
      return Uni.createFrom()
          .deferred(work::get)
          .chain(this::write)
          .map(written -> new SendOutcome.Accepted(written.text()));
    }
    byte[] hash = IdempotencyStore.requestHash(endpoint.path, body);
    return idempotency
        .claim(caller.keyId(), key, hash)
        .chain(
            claim -> {
              if (!claim.owned()) {
                return Uni.createFrom().<SendOutcome>item(new SendOutcome.Replayed(claim.body()));
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
                                                      endpoint.storedCode,
                                                      w.text())))
                              .map(this::committed))
                  .<SendOutcome>map(written -> new SendOutcome.Accepted(written.text()))
                  .onFailure()
                  .call(() -> idempotency.release(caller.keyId(), key))
                  .eventually(() -> idempotency.finished(caller.keyId(), key));
            });
  }

  /**
   * Without an Idempotency-Key the write is one autocommit statement: a single send's shared with
   * the sends that arrive meanwhile ({@link EnqueueGroups}), a batch's or raw send's its own.
   */
  private Uni<Written> write(Prepared prepared) {
    Uni<Object> stored =
        prepared.grouped() != null
            ? prepared.grouped().get()
            : prepared.writes().apply(store.pool());
    return stored.map(answer -> committed(written(answer)));
  }

  private Written written(Object answer) {
    return new Written(answer, new String(json.write(answer), StandardCharsets.UTF_8));
  }

  /** After the commit: count what was accepted and wake the delivery workers for it. */
  private Written committed(Written written) {
    long count = countAccepted(written.answer());
    if (count > 0) {
      accepted.increment(count);
      notifier.wake();
    }
    return written;
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

  private Uni<Prepared> prepareOne(ApiPrincipal caller, JsonNode body, int size) {
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
                  client ->
                      store
                          .insertChecked(client, List.of(row))
                          .map(checked -> accepted(checked.get(0), "to")),
                  () -> groups.enqueue(row).map(checked -> accepted(checked, "to")));
            });
  }

  /**
   * Each item is validated, its sender's scope checked, rendered and then written with the enqueue
   * rules of every send ({@link MessageStore#insertChecked}); an item that fails any step is
   * rejected on its own.
   */
  private Uni<Prepared> prepareBatch(ApiPrincipal caller, JsonNode items) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    List<Object> outcomes = new ArrayList<>();
    Set<String> outOfScope = new LinkedHashSet<>();
    for (int i = 0; i < items.size(); i++) {
      try {
        SendRequest request = json.bind(items.get(i), SendRequest.class, "");
        // the item's attachments are now copied into the request: drop the tree's copy, so a batch
        // holds less while it waits for the database
        ((ArrayNode) items).set(i, NullNode.getInstance());
        ValidatedMessage message = validator.validate(request, now);
        if (!caller.mayUse(message.from().domain())) {
          outOfScope.add(message.from().domain());
        }
        outcomes.add(message);
      } catch (Refusal e) {
        outcomes.add(e);
      }
    }
    return registeredAmong(outOfScope)
        .emitOn(Infrastructure.getDefaultWorkerPool())
        .map(
            registered -> {
              // per item: the refusal, or the message ready to write
              Object[] slots = new Object[outcomes.size()];
              List<MessageStore.NewMessage> rows = new ArrayList<>();
              for (int i = 0; i < outcomes.size(); i++) {
                Object outcome = outcomes.get(i);
                // rendered, the message is held once, as its bytes
                outcomes.set(i, null);
                try {
                  if (outcome instanceof Refusal e) {
                    throw e;
                  }
                  ValidatedMessage message = (ValidatedMessage) outcome;
                  String domain = message.from().domain();
                  if (!caller.mayUse(domain)) {
                    senderAllowed(caller, domain, registered.contains(domain));
                  }
                  MimeRenderer.Rendered rendered = checkedRender(message, now);
                  MessageStore.NewMessage row =
                      newMessage(
                          caller, message, rendered, message.envelopeRecipients(), List.of(), now);
                  rows.add(row);
                  slots[i] = row;
                } catch (Refusal e) {
                  slots[i] = e;
                }
              }
              return new Prepared(client -> insertBatch(client, rows, slots));
            });
  }

  private Uni<Object> insertBatch(
      SqlClient client, List<MessageStore.NewMessage> rows, Object[] slots) {
    Uni<List<MessageStore.Checked>> inserted =
        rows.isEmpty() ? Uni.createFrom().item(List.of()) : store.insertChecked(client, rows);
    return inserted.map(
        checked -> {
          List<MessageViews.BatchItem> answer = new ArrayList<>();
          int row = 0;
          for (int i = 0; i < slots.length; i++) {
            try {
              if (slots[i] instanceof Refusal e) {
                throw e;
              }
              MessageViews.Accepted accepted =
                  (MessageViews.Accepted) accepted(checked.get(row++), "to");
              answer.add(
                  new MessageViews.BatchItem(
                      i,
                      accepted.id(),
                      "queued",
                      accepted.createdAt(),
                      accepted.recipients(),
                      null));
            } catch (Refusal e) {
              answer.add(
                  new MessageViews.BatchItem(
                      i, null, "rejected", null, null, ProblemMapper.problem(e)));
            }
          }
          return answer;
        });
  }

  private Uni<Prepared> prepareRaw(ApiPrincipal caller, JsonNode body, int size) {
    RawSendRequest request = json.bind(body, RawSendRequest.class, "");
    return prepareRaw(
        caller,
        request.mailFrom(),
        request.rcptTo(),
        request.sendAt(),
        request.expiresAt(),
        () -> RawMessages.decode(request.raw()),
        size);
  }

  private Uni<Prepared> prepareRaw(
      ApiPrincipal caller,
      String mailFromText,
      List<String> rcptTo,
      String sendAtText,
      String expiresAtText,
      Supplier<byte[]> content,
      int size) {
    return prepareRaw(
        caller, mailFromText, rcptTo, sendAtText, expiresAtText, content, size, List.of(), null);
  }

  /** As above; a null {@code mailFromText} makes the From address the envelope sender. */
  private Uni<Prepared> prepareRaw(
      ApiPrincipal caller,
      String mailFromText,
      List<String> rcptTo,
      String sendAtText,
      String expiresAtText,
      Supplier<byte[]> content,
      int size,
      List<String> tags,
      String metadataJson) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Mailbox mailFrom = mailFromText == null ? null : Mailbox.parse(mailFromText, "mailFrom");
    List<Mailbox> rcpts = MessageValidator.mailboxes(rcptTo, "rcptTo");
    if (rcpts.isEmpty()) {
      throw Refusal.field("no_recipients", "rcptTo", "at least one recipient is required");
    }
    if (rcpts.size() > config.maxRecipients()) {
      throw Refusal.field(
          "too_many_recipients", "rcptTo", "at most " + config.maxRecipients() + " recipients");
    }
    Instant sendAt = MessageValidator.time(sendAtText, "sendAt");
    Instant expiresAt =
        validator.expiresAt(MessageValidator.time(expiresAtText, "expiresAt"), sendAt, now);
    List<String> recipients = new ArrayList<>(new LinkedHashSet<>(lower(rcpts)));
    // the envelope sender's scope first: nothing of the message is decoded for a caller who may
    // not send as that domain
    Uni<Void> envelopeScope =
        mailFrom == null ? Uni.createFrom().voidItem() : checkSender(caller, mailFrom.domain());
    return envelopeScope
        .chain(() -> parseRaw(content, mailFrom == null ? null : mailFrom.domain(), now, size))
        .chain(
            raw -> {
              String domain = raw.from().domain();
              // the From domain: registered and suppression are the insert's rules, as for any send
              Uni<Void> scope =
                  caller.mayUse(domain) ? Uni.createFrom().voidItem() : checkSender(caller, domain);
              return scope.replaceWith(
                  rawMessage(
                      caller,
                      raw,
                      mailFrom == null ? raw.from() : mailFrom,
                      recipients,
                      sendAt,
                      expiresAt,
                      now,
                      tags,
                      metadataJson));
            });
  }

  /**
   * Decodes and prepares a raw message (8bit parts re-encoded, line ends made CRLF) within the size
   * limit; a large one on a worker thread, never on the event loop.
   */
  private Uni<RawMessages.Raw> parseRaw(
      Supplier<byte[]> content, String domain, Instant now, int bodySize) {
    Supplier<RawMessages.Raw> parse =
        () -> {
          decodingObserver.accept("raw");
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
    if (bodySize <= INLINE_DECODE_LIMIT) {
      return Uni.createFrom().item(parse);
    }
    return Uni.createFrom().item(parse).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  private Prepared rawMessage(
      ApiPrincipal caller,
      RawMessages.Raw raw,
      Mailbox mailFrom,
      List<String> recipients,
      Instant sendAt,
      Instant expiresAt,
      Instant now,
      List<String> tags,
      String metadataJson) {
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
            tags,
            metadataJson,
            sendAt,
            expiresAt,
            now,
            recipients,
            List.of());
    return new Prepared(
        client ->
            store
                .insertChecked(client, List.of(row))
                .map(checked -> accepted(checked.get(0), "rcptTo")));
  }

  /**
   * The answer for a message the enqueue rules let through, or the refusal for the rule it broke
   * ({@code recipientsField} names the recipients in the request).
   */
  private static Object accepted(MessageStore.Checked checked, String recipientsField) {
    if (checked.broke() == null) {
      return checked.message().accepted();
    }
    throw switch (checked.broke()) {
      case UNKNOWN_SENDER_DOMAIN -> unknownSender(checked.message().domain());
      case EVERY_RECIPIENT_SUPPRESSED ->
          Refusal.field(
              "recipient_suppressed",
              recipientsField,
              "every recipient is on the suppression list");
    };
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
    if (bodySize <= INLINE_DECODE_LIMIT) {
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

  private Refusal tooLarge(int size) {
    return Refusal.tooLarge(
        "The rendered message is "
            + size
            + " bytes; postwire.message.max-size is "
            + config.maxSize());
  }

  /**
   * {@code unknown_sender_domain} for an unregistered sender domain; {@code
   * forbidden_sender_domain} for a registered one outside the key's scope.
   */
  private Uni<Void> checkSender(ApiPrincipal caller, String domain) {
    return domains
        .exists(domain)
        .map(
            exists -> {
              senderAllowed(caller, domain, exists);
              return null;
            });
  }

  private static void senderAllowed(ApiPrincipal caller, String domain, boolean registered) {
    if (!registered) {
      throw unknownSender(domain);
    }
    if (!caller.mayUse(domain)) {
      throw Refusal.forbidden(
          "forbidden_sender_domain",
          "This API key may not send as " + domain,
          List.of(new Problem.FieldError("from", "outside this key's domains")));
    }
  }

  private static Refusal unknownSender(String domain) {
    return Refusal.field(
        "unknown_sender_domain", "from", domain + " is not a registered sending domain");
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
      return Uni.createFrom().failure(Refusal.notFound("Message"));
    }
    return store
        .find(uuid, scope(caller))
        .onItem()
        .ifNull()
        .failWith(() -> Refusal.notFound("Message"));
  }

  /** The message as sent (or as it will be); not found when unseen or its content was purged. */
  public Uni<byte[]> raw(ApiPrincipal caller, String id) {
    UUID uuid = parseId(id);
    if (uuid == null) {
      return Uni.createFrom().failure(Refusal.notFound("Message"));
    }
    return store
        .raw(uuid, scope(caller))
        .onItem()
        .ifNull()
        .failWith(() -> Refusal.notFound("Message"));
  }

  public Uni<Page<MessageViews.Summary>> list(
      ApiPrincipal caller, String status, String recipient, PageRequest page) {
    String wanted = status == null || status.isBlank() ? null : status.trim();
    if (wanted != null && !STATUSES.contains(wanted)) {
      throw Refusal.field("validation_failed", "status", "one of " + STATUSES);
    }
    return store.list(
        scope(caller), wanted, recipient, page.limit(), MessageStore.Cursor.decode(page.after()));
  }

  public Uni<MessageViews.Message> cancel(ApiPrincipal caller, String id) {
    UUID uuid = parseId(id);
    if (uuid == null) {
      return Uni.createFrom().failure(Refusal.notFound("Message"));
    }
    return store
        .cancel(uuid, scope(caller))
        .chain(
            found -> {
              if (!found) {
                return Uni.createFrom().failure(Refusal.notFound("Message"));
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
