package io.postwire.inbound;

import io.smallrye.mutiny.Uni;

/**
 * One kind of address the inbound listener takes mail for on a return-path domain: VERP bounce
 * addresses ({@code b+<token>}), the feedback address, unsubscribe addresses ({@code u+<token>}),
 * inbox-test addresses ({@code check-<token>}). The listener asks each mailbox (CDI beans of this
 * type) in turn at RCPT; an address no mailbox accepts is refused with {@code 550 5.1.1}, so the
 * listener never relays.
 */
public interface InboundMailbox {

  /**
   * Whether this mailbox takes mail for {@code localPart@domain}; called at RCPT, on the event
   * loop, so it must not block (check the token's form and MAC here, look rows up in {@link
   * #receive}).
   *
   * @param localPart the local part as the client gave it (case kept)
   * @param domain the domain, lower case, an A-label, already known to be a return-path domain or
   *     {@code postwire.inbound.domain}
   */
  boolean accepts(String localPart, String domain);

  /**
   * Handles one message for one of this mailbox's addresses, after the listener has read and
   * bounded it. The returned {@code Uni} completes once the outcome is durable (committed): only
   * then does the client get 250. A failure makes the listener answer {@code 451 4.3.0} so the
   * sender retries; mail this mailbox cannot use (a report it cannot parse, a token for a deleted
   * message) completes normally: it is counted, not refused, so a sender never retries it forever.
   */
  Uni<Void> receive(InboundMail mail);

  /**
   * The {@code kind} the listener counts in {@code postwire_inbound_messages_total} for each
   * message this mailbox received (e.g. {@code unsubscribe}, {@code inbox_test}); null when the
   * mailbox counts its messages itself, by what it found in them.
   */
  default String kind() {
    return "other";
  }
}
