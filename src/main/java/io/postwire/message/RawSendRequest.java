package io.postwire.message;

import java.util.List;

/** The body of {@code POST /v1/messages/raw}: a message the caller built, and its envelope. */
public record RawSendRequest(
    String mailFrom, List<String> rcptTo, String raw, String sendAt, String expiresAt) {}
