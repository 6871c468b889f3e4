package io.postwire.inbound;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * {@code postwire.inbound.feedback-address}: where feedback loops send RFC 5965 reports. The report
 * names the message through its original envelope sender (our VERP address, {@code
 * Original-Mail-From}), else through the quoted message's {@code Message-ID} and {@code
 * Original-Rcpt-To}; a report naming nothing of ours is counted and dropped.
 */
@ApplicationScoped
public class FeedbackMailbox implements InboundMailbox {

  private final ReturnPathDomains domains;
  private final Verp verp;
  private final InboundStore store;
  private final Reports reports;
  private final InboundMetrics metrics;

  public FeedbackMailbox(
      ReturnPathDomains domains,
      Verp verp,
      InboundStore store,
      Reports reports,
      InboundMetrics metrics) {
    this.domains = domains;
    this.verp = verp;
    this.store = store;
    this.reports = reports;
    this.metrics = metrics;
  }

  @Override
  public boolean accepts(String localPart, String domain) {
    String feedback = domains.feedbackAddress();
    return feedback != null && feedback.equals(localPart.toLowerCase(Locale.ROOT) + "@" + domain);
  }

  @Override
  public Uni<Void> receive(InboundMail mail) {
    return reports
        .read(mail.content())
        .chain(
            findings ->
                Multi.createFrom()
                    .iterable(findings)
                    .onItem()
                    .transformToUniAndConcatenate(
                        f -> {
                          if (!(f instanceof Finding.Complaint complaint)) {
                            metrics.count("unrecognized");
                            return Uni.createFrom().voidItem();
                          }
                          return delivery(complaint)
                              .chain(
                                  d -> {
                                    if (d == null) {
                                      metrics.count("ignored");
                                      return Uni.createFrom().voidItem();
                                    }
                                    return reports.apply(d, List.of(f));
                                  });
                        })
                    .collect()
                    .last()
                    .replaceWithVoid());
  }

  /** The delivery a complaint is about, or null. */
  private Uni<InboundStore.Delivery> delivery(Finding.Complaint complaint) {
    String from = complaint.originalMailFrom();
    if (from != null) {
      int at = from.lastIndexOf('@');
      OptionalLong id = at > 0 ? verp.delivery(from.substring(0, at)) : OptionalLong.empty();
      if (id.isPresent()) {
        return store.delivery(id.getAsLong());
      }
    }
    if (complaint.originalMessageId() == null) {
      return Uni.createFrom().nullItem();
    }
    String messageId = complaint.originalMessageId().strip();
    if (!messageId.startsWith("<")) {
      messageId = "<" + messageId + ">";
    }
    return store.byMessageId(messageId, complaint.originalRcptTo());
  }

  @Override
  public String kind() {
    return null;
  }
}
