package io.postwire.inbound.report;

final class AutoReplies {
  private AutoReplies() {}

  static AutoReply detect(Headers h) {
    return null;
  }
}
