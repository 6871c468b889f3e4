package io.postwire.inbound.report;

import java.util.List;

final class TextBounces {
  private TextBounces() {}

  static DeliveryReport parse(MimeEntity root, List<MimeEntity> leaves, boolean hadStatusPart) {
    return null;
  }
}
