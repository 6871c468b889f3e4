package io.postwire.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The a= and k= names of RFC 6376 §3.3 and §3.6.1 and RFC 8463 §3–4. */
class DkimAlgorithmTest {

  @Test
  void wireAndKeyTypeNames() {
    assertThat(DkimAlgorithm.RSA_SHA256.wireName()).isEqualTo("rsa-sha256");
    assertThat(DkimAlgorithm.RSA_SHA256.keyType()).isEqualTo("rsa");
    assertThat(DkimAlgorithm.ED25519_SHA256.wireName()).isEqualTo("ed25519-sha256");
    assertThat(DkimAlgorithm.ED25519_SHA256.keyType()).isEqualTo("ed25519");
  }

  @Test
  void parsesWireNamesAndRejectsOthers() {
    assertThat(DkimAlgorithm.fromWireName("ed25519-sha256"))
        .isEqualTo(DkimAlgorithm.ED25519_SHA256);
    assertThat(DkimAlgorithm.fromWireName("rsa-sha256")).isEqualTo(DkimAlgorithm.RSA_SHA256);
    assertThatThrownBy(() -> DkimAlgorithm.fromWireName("rsa-sha1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rsa-sha1");
    assertThatThrownBy(() -> DkimAlgorithm.fromWireName(null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
