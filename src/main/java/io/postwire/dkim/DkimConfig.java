package io.postwire.dkim;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/** DKIM settings ({@code postwire.dkim.*}). */
@ConfigMapping(prefix = "postwire.dkim")
public interface DkimConfig {

  /**
   * Encrypts DKIM private keys at rest: base64 of 32 random bytes (AES-256-GCM). Required in prod;
   * dev and test use a fixed, documented key.
   */
  Optional<String> masterKey();
}
