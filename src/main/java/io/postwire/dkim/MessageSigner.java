package io.postwire.dkim;

import io.smallrye.mutiny.Uni;

/**
 * Produces the DKIM-Signature header field(s) for a message at its first delivery attempt. The
 * pipeline stores the result once (first writer wins), so every later transaction sends the same
 * signed bytes.
 */
public interface MessageSigner {

  /**
   * The header field(s) to prepend, each ending in CRLF, or an empty string when the domain has no
   * active key. Runs expensive work off the event loop itself.
   */
  Uni<String> sign(String domain, byte[] message);
}
