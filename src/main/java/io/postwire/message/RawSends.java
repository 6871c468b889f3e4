package io.postwire.message;

import static io.postwire.message.MessageWrites.INLINE_DECODE_LIMIT;
import static io.postwire.message.MessageWrites.accepted;
import static io.postwire.message.MessageWrites.decodingObserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.postwire.domain.DomainNames;
import io.postwire.domain.Mailbox;
import io.postwire.message.MessageWrites.Endpoint;
import io.postwire.message.MessageWrites.Prepared;
import io.postwire.platform.Json;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.SendRateLimiter;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Raw sends: {@code POST /v1/messages/raw} and SMTP submission's {@code submitRaw}, a message the
 * caller built, decoded (a large one off the event loop), checked and stored as it is.
 */
@ApplicationScoped
public class RawSends {

  private final MessageWrites writes;
  private final MessageStore store;
  private final EnqueueGroups groups;
  private final MessageValidator validator;
  private final MessageConfig config;
  private final Json json;
  private final SendRateLimiter rateLimiter;

  public RawSends(
      MessageWrites writes,
      MessageStore store,
      EnqueueGroups groups,
      MessageValidator validator,
      MessageConfig config,
      Json json,
      SendRateLimiter rateLimiter) {
    this.writes = writes;
    this.store = store;
    this.groups = groups;
    this.validator = validator;
    this.config = config;
    this.json = json;
    this.rateLimiter = rateLimiter;
  }

  public Uni<SendOutcome> sendRaw(ApiPrincipal caller, String idempotencyKey, byte[] body) {
    IdempotencyStore.validateKey(idempotencyKey);
    rateLimiter.take(caller.keyId(), 1);
    return writes
        .decode(body)
        .chain(
            tree ->
                writes.idempotent(
                    caller,
                    idempotencyKey,
                    Endpoint.RAW,
                    tree,
                    writes.offloaded(body, () -> prepareRaw(caller, tree, body.length))));
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
        .chain(writes::write)
        .map(written -> (MessageViews.Accepted) written.answer());
  }

  /**
   * What an SMTP submission gives besides its envelope and bytes: tags and metadata (the {@code
   * X-Postwire-*} header fields) and an Idempotency-Key, each possibly empty or null.
   */
  public record SubmissionOptions(
      List<String> tags, Map<String, String> metadata, String idempotencyKey) {}

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
              List<String> tags = MessageValidator.tags(options.tags(), "X-Postwire-Tag");
              String metadataJson = validator.metadata(options.metadata(), "X-Postwire-Metadata");
              rateLimiter.take(caller.keyId(), 1);
              return writes.idempotent(
                  caller,
                  options.idempotencyKey(),
                  Endpoint.SUBMISSION,
                  options.idempotencyKey() == null
                      ? null
                      : submissionTree(rcptTo, message, tags, metadataJson),
                  () ->
                      prepareRaw(
                          caller,
                          null,
                          rcptTo,
                          null,
                          null,
                          () -> message,
                          message.length,
                          tags,
                          metadataJson));
            })
        .map(
            outcome ->
                json.tree(outcome.body().getBytes(StandardCharsets.UTF_8)).path("id").asText());
  }

  /** What an Idempotency-Key of a submission stands for: its envelope, options and bytes. */
  private static JsonNode submissionTree(
      List<String> rcptTo, byte[] message, List<String> tags, String metadataJson) {
    ObjectNode tree = JsonNodeFactory.instance.objectNode();
    rcptTo.forEach(tree.putArray("rcptTo")::add);
    tags.forEach(tree.putArray("tags")::add);
    tree.put("metadata", metadataJson);
    try {
      tree.put(
          "sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(message)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return tree;
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
    return checked(caller, mailFromText, rcptTo, sendAtText, expiresAtText, content, size, false)
        .map(
            c ->
                rawMessage(
                    caller,
                    c.raw(),
                    c.mailFrom() == null ? c.raw().from() : c.mailFrom(),
                    c.recipients(),
                    c.sendAt(),
                    c.expiresAt(),
                    c.now(),
                    tags,
                    metadataJson));
  }

  /**
   * Prepares what {@code POST /v1/messages/raw} would store for this body (decoded, 8bit parts
   * re-encoded, CRLF), with the same refusals and size limit, storing and queuing nothing: the
   * pre-send check. Both sender domains' registration is asked here, as no insert will ask it.
   */
  public Uni<Preview> preview(ApiPrincipal caller, JsonNode body, int size) {
    Uni<Preview> preview =
        Uni.createFrom()
            .deferred(
                () -> {
                  RawSendRequest request = json.bind(body, RawSendRequest.class, "");
                  return checked(
                          caller,
                          request.mailFrom(),
                          request.rcptTo(),
                          request.sendAt(),
                          request.expiresAt(),
                          () -> RawMessages.decode(request.raw()),
                          size,
                          true)
                      .map(
                          c ->
                              new Preview(
                                  c.raw().bytes(),
                                  c.raw().from(),
                                  c.mailFrom() == null ? c.raw().from() : c.mailFrom(),
                                  true));
                });
    return size <= INLINE_DECODE_LIMIT
        ? preview
        : preview.runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
  }

  /** A raw message that passed every check of a raw send, with its envelope. */
  private record Checked(
      RawMessages.Raw raw,
      Mailbox mailFrom,
      List<String> recipients,
      Instant sendAt,
      Instant expiresAt,
      Instant now) {}

  /**
   * The checks of a raw send: envelope, times, the envelope sender's scope, the message decoded and
   * prepared within the size limit, the From domain's scope. {@code askRegistered}: ask whether a
   * From domain within the key's scope is registered (a send leaves that to its insert).
   */
  private Uni<Checked> checked(
      ApiPrincipal caller,
      String mailFromText,
      List<String> rcptTo,
      String sendAtText,
      String expiresAtText,
      Supplier<byte[]> content,
      int size,
      boolean askRegistered) {
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
        mailFrom == null
            ? Uni.createFrom().voidItem()
            : writes.checkSender(caller, mailFrom.domain());
    return envelopeScope
        .chain(() -> parseRaw(content, mailFrom == null ? null : mailFrom.domain(), now, size))
        .chain(
            raw -> {
              String domain = raw.from().domain();
              // the From domain: registered and suppression are the insert's rules, as for any send
              Uni<Void> scope =
                  caller.mayUse(domain) && !askRegistered
                      ? Uni.createFrom().voidItem()
                      : writes.checkSender(caller, domain);
              return scope.replaceWith(
                  new Checked(raw, mailFrom, recipients, sendAt, expiresAt, now));
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
            throw writes.tooLarge(decoded.length);
          }
          RawMessages.Raw raw = RawMessages.parse(decoded, domain, now);
          if (raw.bytes().length > config.maxSize()) {
            throw writes.tooLarge(raw.bytes().length);
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
                .map(checked -> accepted(checked.get(0), "rcptTo")),
        () -> groups.enqueue(row).map(checked -> accepted(checked, "rcptTo")));
  }

  private static List<String> lower(List<Mailbox> mailboxes) {
    List<String> out = new ArrayList<>();
    mailboxes.forEach(m -> out.add(DomainNames.address(m.address())));
    return out;
  }
}
