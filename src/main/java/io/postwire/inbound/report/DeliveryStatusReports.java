package io.postwire.inbound.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the second part of an RFC 3464 report, {@code message/delivery-status} (or RFC 6533 {@code
 * message/global-delivery-status}, UTF-8): one group of per-message fields (section 2.2), then one
 * group per recipient (section 2.3), groups separated by empty lines.
 */
final class DeliveryStatusReports {

  /** Field groups read at most (a group without a recipient still costs one). */
  private static final int MAX_GROUPS = 4 * InboundReports.MAX_RECIPIENTS;

  private DeliveryStatusReports() {}

  /** The report, or null when no group names a recipient. */
  static DeliveryReport parse(MimeEntity part, MimeEntity originalPart) {
    byte[] body = part.decodedBody(InboundReports.MAX_REPORT_PART);
    Headers perMessage = Headers.read(body, 0, body.length, true);
    String reportingMta = Addresses.mtaName(perMessage.first("reporting-mta"));
    List<RecipientStatus> recipients = new ArrayList<>();
    // Some writers put everything into one group: the per-message group may name a recipient too.
    RecipientStatus first = recipient(perMessage);
    if (first != null) {
      recipients.add(first);
    }
    int pos = perMessage.end;
    for (int groups = 0;
        pos < body.length
            && groups < MAX_GROUPS
            && recipients.size() < InboundReports.MAX_RECIPIENTS;
        groups++) {
      Headers group = Headers.read(body, pos, body.length, true);
      if (group.end <= pos) {
        break;
      }
      pos = group.end;
      RecipientStatus r = recipient(group);
      if (r != null) {
        recipients.add(r);
      }
    }
    if (recipients.isEmpty()) {
      return null;
    }
    OriginalMessage original =
        originalPart == null
            ? OriginalMessage.NONE
            : InboundReports.original(originalPart.embeddedHeaders());
    return new DeliveryReport(true, reportingMta, recipients, original);
  }

  /** One per-recipient group (RFC 3464 section 2.3); null when it names no recipient. */
  static RecipientStatus recipient(Headers g) {
    String finalRecipient = Addresses.typed(g.first("final-recipient"));
    String originalRecipient = Addresses.typed(g.first("original-recipient"));
    if (finalRecipient == null) {
      // Final-Recipient is required; a group with only Original-Recipient still names the address.
      finalRecipient = originalRecipient;
    }
    if (finalRecipient == null) {
      return null;
    }
    String diagnostic =
        Bytes.cap(
            InboundReports.blankToNull(g.first("diagnostic-code")), InboundReports.MAX_DIAGNOSTIC);
    String statusField = g.first("status");
    String status = statusField == null ? null : Codes.enhanced(Fields.stripComments(statusField));
    Action action = action(g.first("action"));
    if (status == null) {
      status = Codes.status(diagnostic);
    }
    if (action == null) {
      action = actionOf(status);
      if (action == null) {
        return null;
      }
    }
    if (status == null) {
      status =
          switch (action) {
            case FAILED -> "5.0.0";
            case DELAYED -> "4.0.0";
            default -> "2.0.0";
          };
    }
    return new RecipientStatus(
        finalRecipient,
        originalRecipient,
        action,
        status,
        diagnostic,
        Addresses.mtaName(g.first("remote-mta")));
  }

  /** RFC 3464 section 2.3.3 action-value, case-insensitive; null when absent or unknown. */
  static Action action(String value) {
    if (value == null) {
      return null;
    }
    String v = Fields.stripComments(value).strip().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "failed" -> Action.FAILED;
      case "delayed" -> Action.DELAYED;
      case "delivered" -> Action.DELIVERED;
      case "relayed" -> Action.RELAYED;
      case "expanded" -> Action.EXPANDED;
      default -> null;
    };
  }

  private static Action actionOf(String status) {
    if (status == null) {
      return null;
    }
    return switch (status.charAt(0)) {
      case '5' -> Action.FAILED;
      case '4' -> Action.DELAYED;
      case '2' -> Action.DELIVERED;
      default -> null;
    };
  }
}
