package io.postwire.inboxtest;

import com.google.common.io.BaseEncoding;
import java.security.SecureRandom;

/**
 * Inbox-test tokens: 160 random bits in lower-case base32 (RFC 4648 §6, no padding), so the address
 * is unguessable and survives servers that lower-case local parts.
 */
final class InboxTokens {

  /** Characters in a token: 20 bytes in base32. */
  static final int LENGTH = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  private InboxTokens() {}

  static String next() {
    byte[] bytes = new byte[20];
    RANDOM.nextBytes(bytes);
    return BaseEncoding.base32().lowerCase().omitPadding().encode(bytes);
  }
}
