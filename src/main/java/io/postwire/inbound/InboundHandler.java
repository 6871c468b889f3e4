package io.postwire.inbound;

import io.postwire.domain.DomainNames;
import io.postwire.platform.ProblemMapper;
import io.postwire.smtp.server.Reply;
import io.postwire.smtp.server.SmtpHandler;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * What the inbound listener means for Postwire (API.md "Inbound mail"): a recipient is accepted
 * only on a return-path domain ({@link ReturnPathDomains}) and only when one of the {@link
 * InboundMailbox} beans takes its address, so the listener never relays ({@code 550 5.7.1}). At the
 * end of DATA each accepted recipient's mailbox receives the message; the client gets 250 only once
 * every mailbox has made its outcome durable, else {@code 451 4.3.0} and it tries again later.
 * There is no AUTH: anyone may send bounces, the tokens in the addresses are what is trusted.
 */
@ApplicationScoped
public class InboundHandler implements SmtpHandler {

  private static final Logger LOG = Logger.getLogger(InboundHandler.class);

  /** Messages larger than this are handed over from a worker thread, not the event loop. */
  static final int INLINE_LIMIT = 64 * 1024;

  private final ReturnPathDomains domains;
  private final Instance<InboundMailbox> mailboxes;
  private final InboundMetrics metrics;

  public InboundHandler(
      ReturnPathDomains domains, Instance<InboundMailbox> mailboxes, InboundMetrics metrics) {
    this.domains = domains;
    this.mailboxes = mailboxes;
    this.metrics = metrics;
  }

  @Override
  public Uni<Authentication> authenticate(SessionInfo session, String user, String password) {
    // the engine never offers AUTH on this listener; should it ask, the answer is no
    return Uni.createFrom()
        .item(new Authentication(new Reply(502, "5.5.1", "AUTH is not available here"), null));
  }

  @Override
  public Uni<Reply> recipient(SessionInfo session, String address) {
    Address a = Address.parse(address);
    if (a == null) {
      return Uni.createFrom().item(refused());
    }
    return domains
        .accepts(a.domain())
        .map(ours -> ours && mailbox(a) != null ? new Reply(250, "2.1.5", "OK") : refused());
  }

  private Reply refused() {
    metrics.count("refused");
    return new Reply(550, "5.7.1", "Relaying denied: no such return path here");
  }

  /** The first mailbox that takes this address, or null. */
  private InboundMailbox mailbox(Address a) {
    for (InboundMailbox m : mailboxes) {
      try {
        if (m.accepts(a.localPart(), a.domain())) {
          return m;
        }
      } catch (RuntimeException e) {
        LOG.warnf(e, "Inbound mailbox %s failed to check an address", m.getClass().getName());
      }
    }
    return null;
  }

  @Override
  public Uni<Reply> message(Transaction transaction) {
    Uni<Reply> handled =
        Uni.createFrom()
            .deferred(() -> deliver(transaction))
            .onFailure()
            .recoverWithItem(
                e -> {
                  if (!ProblemMapper.databaseUnavailable(e)) {
                    LOG.warnf(e, "An inbound message could not be handled");
                  }
                  metrics.count("failed");
                  return new Reply(451, "4.3.0", "Cannot take the message now; try again later");
                });
    return transaction.data().length > INLINE_LIMIT
        ? handled.runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
        : handled;
  }

  private Uni<Reply> deliver(Transaction transaction) {
    Instant now = Instant.now();
    List<Uni<Void>> receipts = new ArrayList<>();
    for (String recipient : new LinkedHashSet<>(transaction.recipients())) {
      Address a = Address.parse(recipient);
      InboundMailbox m = a == null ? null : mailbox(a);
      if (m == null) {
        // accepted at RCPT: a mailbox that changed its mind since has nothing to do with it
        continue;
      }
      InboundMail mail =
          new InboundMail(
              transaction.mailFrom(),
              a.localPart(),
              a.domain(),
              transaction.data(),
              transaction.session().clientAddress(),
              transaction.session().helo(),
              transaction.session().tlsProtocol(),
              transaction.session().tlsCipher(),
              now);
      String kind = m.kind();
      receipts.add(
          Uni.createFrom()
              .deferred(() -> m.receive(mail))
              .invoke(
                  () -> {
                    if (kind != null) {
                      metrics.count(kind);
                    }
                  }));
    }
    if (receipts.isEmpty()) {
      return Uni.createFrom().item(new Reply(250, "2.0.0", "OK"));
    }
    return Uni.join().all(receipts).andFailFast().map(done -> new Reply(250, "2.0.0", "OK"));
  }

  /** A recipient address split into its parts; the domain lower case, an A-label. */
  record Address(String localPart, String domain) {

    static Address parse(String address) {
      if (address == null) {
        return null;
      }
      int at = address.lastIndexOf('@');
      if (at <= 0 || at == address.length() - 1) {
        return null;
      }
      String domain = DomainNames.normalize(address.substring(at + 1));
      return domain == null ? null : new Address(address.substring(0, at), domain);
    }
  }
}
