package io.postwire.message;

/**
 * What a send came to: the answer document as JSON text (for a batch, one result per item). The
 * resource chooses the HTTP status for it.
 */
public sealed interface SendOutcome {
  String body();

  /** Stored and queued now (for a batch: whatever each item came to). */
  record Accepted(String body) implements SendOutcome {}

  /** The answer of an earlier request with the same Idempotency-Key and the same body. */
  record Replayed(String body) implements SendOutcome {}
}
