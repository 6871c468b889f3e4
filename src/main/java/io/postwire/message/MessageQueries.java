package io.postwire.message;

import io.postwire.platform.MessageStatus;
import io.postwire.platform.Page;
import io.postwire.platform.PageRequest;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/** The read side of messages: one message, its bytes, the list, and cancelling a message. */
@ApplicationScoped
public class MessageQueries {

  /** The message statuses of API.md, the values {@code GET /v1/messages?status=} may ask for. */
  private static final Set<String> STATUSES = new TreeSet<>(MessageStatus.wireNames());

  private final MessageStore store;

  public MessageQueries(MessageStore store) {
    this.store = store;
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
