package io.postwire.message;

import static io.postwire.message.MessageWrites.INLINE_DECODE_LIMIT;
import static io.postwire.message.MessageWrites.accepted;
import static io.postwire.message.MessageWrites.senderAllowed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.postwire.message.MessageWrites.Endpoint;
import io.postwire.message.MessageWrites.Prepared;
import io.postwire.platform.Json;
import io.postwire.platform.ProblemMapper;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.SendRateLimiter;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Accepting JSON messages, single and in batches: validation, sender and scope checks, rendering,
 * and the one statement that stores a message with its deliveries (through {@link MessageWrites},
 * in a transaction with its idempotent answer when an Idempotency-Key is given). Raw sends are
 * {@link RawSends}; reading messages is {@link MessageQueries}.
 */
@ApplicationScoped
public class MessageService {

  private static final int MAX_BATCH = 500;

  private final MessageWrites writes;
  private final MessageStore store;
  private final MessageValidator validator;
  private final MimeRenderer renderer;
  private final MessageConfig config;
  private final EnqueueGroups groups;
  private final Json json;
  private final SendRateLimiter rateLimiter;

  public MessageService(
      MessageWrites writes,
      MessageStore store,
      MessageValidator validator,
      MimeRenderer renderer,
      MessageConfig config,
      EnqueueGroups groups,
      Json json,
      SendRateLimiter rateLimiter) {
    this.writes = writes;
    this.store = store;
    this.validator = validator;
    this.renderer = renderer;
    this.config = config;
    this.groups = groups;
    this.json = json;
    this.rateLimiter = rateLimiter;
  }

  public Uni<SendOutcome> send(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    rateLimiter.take(caller.keyId(), 1);
    return writes
        .decode(body)
        .chain(
            tree ->
                writes.idempotent(
                    caller,
                    idempotencyKey,
                    Endpoint.SEND,
                    tree,
                    writes.offloaded(body, () -> prepareOne(caller, tree, body.length))));
  }

  public Uni<SendOutcome> sendBatch(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    return writes
        .decode(body)
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
                writes.idempotent(
                    caller,
                    idempotencyKey,
                    Endpoint.BATCH,
                    tree,
                    writes.offloaded(body, () -> prepareBatch(caller, tree))));
  }

  /**
   * Renders what {@link #send} would store for this body, with the same validation, sender and
   * scope refusals and size limit, storing and queuing nothing: the pre-send check. The sender
   * domain's registration is asked here, as no insert will ask it. {@code size} is the request
   * body's length: a large one is bound and rendered on a worker thread.
   */
  public Uni<Preview> preview(ApiPrincipal caller, JsonNode body, int size) {
    Uni<Preview> preview =
        Uni.createFrom()
            .deferred(
                () -> {
                  SendRequest request = json.bind(body, SendRequest.class, "");
                  Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
                  ValidatedMessage message = validator.validate(request, now);
                  return writes
                      .checkSender(caller, message.from().domain())
                      .chain(() -> render(message, now, size))
                      .map(
                          rendered ->
                              new Preview(rendered.bytes(), message.from(), message.from(), false));
                });
    return size <= INLINE_DECODE_LIMIT
        ? preview
        : preview.runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  private Uni<Prepared> prepareOne(ApiPrincipal caller, JsonNode body, int size) {
    SendRequest request = json.bind(body, SendRequest.class, "");
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    ValidatedMessage message = validator.validate(request, now);
    String domain = message.from().domain();
    // Within the key's scope, whether the domain is registered and which recipients are
    // suppressed is asked by the insert itself: no round trip before it.
    Uni<Void> scope =
        caller.mayUse(domain) ? Uni.createFrom().voidItem() : writes.checkSender(caller, domain);
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
      throw writes.tooLarge(rendered.bytes().length);
    }
    return rendered;
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
}
