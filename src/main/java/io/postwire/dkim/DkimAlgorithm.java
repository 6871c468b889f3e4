package io.postwire.dkim;

/** The DKIM signing algorithms Postwire signs with (RFC 6376 §3.3, RFC 8463 §3). */
public enum DkimAlgorithm {
  /** RSA with SHA-256 (RFC 6376 §3.3.1); keys of at least 1024 bits per RFC 8301 §3.2. */
  RSA_SHA256("rsa-sha256", "rsa"),
  /** Ed25519 over the SHA-256 hash of the signed data (RFC 8463 §3). */
  ED25519_SHA256("ed25519-sha256", "ed25519");

  private final String wireName;
  private final String keyType;

  DkimAlgorithm(String wireName, String keyType) {
    this.wireName = wireName;
    this.keyType = keyType;
  }

  /** The value of the {@code a=} tag of a DKIM-Signature. */
  public String wireName() {
    return wireName;
  }

  /** The value of the {@code k=} tag of the key record in DNS. */
  public String keyType() {
    return keyType;
  }

  /**
   * The algorithm whose {@code a=} value is {@code wireName}.
   *
   * @throws IllegalArgumentException for an algorithm Postwire does not sign with
   */
  public static DkimAlgorithm fromWireName(String wireName) {
    for (DkimAlgorithm a : values()) {
      if (a.wireName.equals(wireName)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown DKIM algorithm: " + wireName);
  }
}
