package io.postwire.inbound;

import io.postwire.inbound.report.Action;
import io.postwire.inbound.report.AutoReply;
import io.postwire.inbound.report.ComplaintReport;
import io.postwire.inbound.report.DeliveryReport;
import io.postwire.inbound.report.InboundReport;
import io.postwire.inbound.report.InboundReports;
import io.postwire.inbound.report.RecipientStatus;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/**
 * What a message to a VERP or feedback address means for the mailboxes: the parsers' {@link
 * InboundReport} ({@link InboundReports#parse}) as {@link Finding}s, one per failed or delayed
 * recipient of a delivery report. Pure and bounded as the parsers are; the mailboxes call it on a
 * worker thread.
 */
@ApplicationScoped
public class ReportReader {

  /** The findings of {@code content}. */
  public List<Finding> read(byte[] content) {
    return findings(InboundReports.parse(content));
  }

  static List<Finding> findings(InboundReport report) {
    if (report instanceof DeliveryReport dsn) {
      List<Finding> findings = new ArrayList<>();
      for (RecipientStatus r : dsn.recipients()) {
        if (r.action() == Action.FAILED || r.action() == Action.DELAYED) {
          findings.add(
              new Finding.Dsn(
                  dsn.standard(),
                  r.action() == Action.FAILED,
                  r.finalRecipient(),
                  r.originalRecipient(),
                  r.status(),
                  typed(r.diagnosticCode()),
                  r.remoteMta()));
        }
      }
      return findings.isEmpty()
          ? List.of(new Finding.Unrecognized("delivery report with no failed or delayed recipient"))
          : findings;
    }
    if (report instanceof ComplaintReport arf) {
      String mailFrom =
          arf.originalMailFrom() != null ? arf.originalMailFrom() : arf.original().returnPath();
      return List.of(
          new Finding.Complaint(
              arf.feedbackType(),
              mailFrom,
              arf.originalRcptTo(),
              arf.original().messageId(),
              arf.userAgent()));
    }
    if (report instanceof AutoReply reply) {
      return List.of(new Finding.AutoReply(reply.reason()));
    }
    return List.of(new Finding.Unrecognized(report.toString()));
  }

  /**
   * A typed field's value without its type ({@code smtp; 550 5.1.1 …} → {@code 550 5.1.1 …}, RFC
   * 3464 §2.3.6): the type names the kind of server, the rest is what it said.
   */
  static String typed(String field) {
    if (field == null) {
      return null;
    }
    int semicolon = field.indexOf(';');
    if (semicolon > 0 && field.substring(0, semicolon).strip().matches("[A-Za-z][A-Za-z0-9-]*")) {
      String value = field.substring(semicolon + 1).strip();
      return value.isEmpty() ? null : value;
    }
    return field.strip();
  }
}
