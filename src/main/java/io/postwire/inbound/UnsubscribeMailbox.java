package io.postwire.inbound;

import io.postwire.unsubscribe.UnsubscribeLinks;
import io.postwire.unsubscribe.Unsubscribes;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The mailto half of RFC 8058's List-Unsubscribe (RFC 2369 §3.2): mail to {@code
 * u+<token>@<return-path domain>} unsubscribes like the one-click POST. The address is accepted at
 * RCPT only when its token is authentic, so forged addresses are refused by the listener; the
 * message's content is not read (the token says everything, and subject or body are free text).
 */
@ApplicationScoped
public class UnsubscribeMailbox implements InboundMailbox {

  private static final Logger LOG = Logger.getLogger(UnsubscribeMailbox.class);

  private final UnsubscribeLinks links;
  private final Unsubscribes unsubscribes;

  public UnsubscribeMailbox(UnsubscribeLinks links, Unsubscribes unsubscribes) {
    this.links = links;
    this.unsubscribes = unsubscribes;
  }

  @Override
  public String kind() {
    return "unsubscribe";
  }

  @Override
  public boolean accepts(String localPart, String domain) {
    return links.messageOfLocalPart(localPart).isPresent();
  }

  @Override
  public Uni<Void> receive(InboundMail mail) {
    Optional<UUID> message = links.messageOfLocalPart(mail.localPart());
    if (message.isEmpty()) {
      // the listener asked accepts() first: only a caller skipping it gets here
      LOG.debugf("Unsubscribe mail for a forged address from %s", mail.clientAddress());
      return Uni.createFrom().voidItem();
    }
    return unsubscribes
        .unsubscribe(message.get(), "mailto")
        .invoke(
            outcome -> {
              if (outcome.isEmpty()) {
                // a message no longer kept: the mail is taken, not refused, so it is not retried
                LOG.debugf(
                    "Unsubscribe mail for message %s, which is no longer kept", message.get());
              }
            })
        .replaceWithVoid();
  }
}
