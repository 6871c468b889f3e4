package io.postwire.inbound;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.OptionalLong;

/**
 * The VERP addresses ({@code b+<token>@<return-path domain>}): bounces, delay notices, auto-replies
 * and feedback reports about one delivery. Only an intact token (its MAC checked at RCPT) is
 * accepted; a token for a delivery that is gone is counted and dropped, never refused, so the
 * sender does not retry it.
 */
@ApplicationScoped
public class BounceMailbox implements InboundMailbox {

  private final Verp verp;
  private final InboundStore store;
  private final Reports reports;
  private final InboundMetrics metrics;

  public BounceMailbox(Verp verp, InboundStore store, Reports reports, InboundMetrics metrics) {
    this.verp = verp;
    this.store = store;
    this.reports = reports;
    this.metrics = metrics;
  }

  @Override
  public boolean accepts(String localPart, String domain) {
    return verp.delivery(localPart).isPresent();
  }

  @Override
  public Uni<Void> receive(InboundMail mail) {
    OptionalLong id = verp.delivery(mail.localPart());
    if (id.isEmpty()) {
      metrics.count("ignored");
      return Uni.createFrom().voidItem();
    }
    return store
        .delivery(id.getAsLong())
        .chain(
            delivery -> {
              if (delivery == null) {
                metrics.count("ignored");
                return Uni.createFrom().voidItem();
              }
              return reports
                  .read(mail.content())
                  .chain(findings -> reports.apply(delivery, findings));
            });
  }

  @Override
  public String kind() {
    // counted by what the message turned out to be (dsn, complaint, auto_reply, …)
    return null;
  }
}
