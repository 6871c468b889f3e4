package io.postwire.dkim;

import io.smallrye.config.ConfigMapping;
import java.util.List;
import java.util.Optional;

/** DKIM settings ({@code postwire.dkim.*}). */
@ConfigMapping(prefix = "postwire.dkim")
public interface DkimConfig {

  /**
   * Encrypts DKIM private keys at rest: base64 of 32 random bytes (AES-256-GCM). Required in prod;
   * dev and test use a fixed, documented key.
   */
  Optional<String> masterKey();

  /**
   * Master keys used before the current one (comma list, same form), during a rotation: DKIM keys
   * sealed under one of them still open, and {@code POST /v1/admin/rekey} re-seals them under
   * {@link #masterKey()}. Remove them once the rekey reports nothing left under an old key.
   */
  Optional<List<String>> previousMasterKeys();
}
