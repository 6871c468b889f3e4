package io.postwire.message;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.postwire.domain.DomainService;
import io.postwire.platform.Json;
import io.postwire.platform.Problem;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.mutiny.sqlclient.SqlClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What every way of accepting messages shares: decoding a body (a large one off the event loop),
 * the write under an Idempotency-Key or without one, the count and queue signal after the commit,
 * and the sender checks with their refusals.
 */
@ApplicationScoped
public class MessageWrites {

  /**
   * Bodies larger than this are decoded (JSON, base64, a raw message's parts) and rendered on a
   * worker thread, not the event loop.
   */
  static final int INLINE_DECODE_LIMIT = 64 * 1024;

  private final MessageStore store;
  private final IdempotencyStore idempotency;
  private final DomainService domains;
  private final MessageConfig config;
  private final QueueNotifier notifier;
  private final Json json;
  private final Counter accepted;

  /**
   * The sending endpoints, as the idempotency table knows them: the path their request hash covers,
   * and the {@code response_code} their answers have always been stored with (a replica replays
   * it).
   */
  enum Endpoint {
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
  record Prepared(Function<SqlClient, Uni<Object>> writes, Supplier<Uni<Object>> grouped) {

    Prepared(Function<SqlClient, Uni<Object>> writes) {
      this(writes, null);
    }
  }

  /** What a write stored: the answer document and its JSON text. */
  record Written(Object answer, String text) {}

  public MessageWrites(
      MessageStore store,
      IdempotencyStore idempotency,
      DomainService domains,
      MessageConfig config,
      QueueNotifier notifier,
      Json json,
      MeterRegistry registry) {
    this.store = store;
    this.idempotency = idempotency;
    this.domains = domains;
    this.config = config;
    this.notifier = notifier;
    this.json = json;
    this.accepted =
        Counter.builder("postwire.messages.accepted")
            .description("Messages accepted for delivery")
            .register(registry);
  }

  /**
   * Reads a request body into its JSON tree: a large body on a worker thread, never on the event
   * loop; a small one where it is, which is quicker than a hand-over.
   */
  Uni<JsonNode> decode(byte[] body) {
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
  WorkSupplier offloaded(byte[] body, WorkSupplier prepare) {
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
  Uni<SendOutcome> idempotent(
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
  Uni<Written> write(Prepared prepared) {
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
  interface WorkSupplier {
    Uni<Prepared> get();
  }

  /**
   * The answer for a message the enqueue rules let through, or the refusal for the rule it broke
   * ({@code recipientsField} names the recipients in the request).
   */
  static Object accepted(MessageStore.Checked checked, String recipientsField) {
    if (checked.broke() == null) {
      return checked.message().accepted();
    }
    throw switch (checked.broke()) {
      case UNKNOWN_SENDER_DOMAIN -> unknownSender(checked.message().domain());
      case SENDING_PAUSED ->
          Refusal.forbidden(
              "sending_paused",
              "Sending as "
                  + checked.message().domain()
                  + " is paused by the reputation guard; an admin resumes it with POST"
                  + " /v1/domains/{name}/resume",
              List.of());
      case EVERY_RECIPIENT_SUPPRESSED ->
          Refusal.field(
              "recipient_suppressed",
              recipientsField,
              "every recipient is on the suppression list");
    };
  }

  Refusal tooLarge(int size) {
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
  Uni<Void> checkSender(ApiPrincipal caller, String domain) {
    return domains
        .exists(domain)
        .map(
            exists -> {
              senderAllowed(caller, domain, exists);
              return null;
            });
  }

  static void senderAllowed(ApiPrincipal caller, String domain, boolean registered) {
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
}
