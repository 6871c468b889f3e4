package io.postwire.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.testing.smtp.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trust stores for verified TLS (the relay's and MTA-STS's): loaded at start-up, or no start. */
class DeliveryTransportsTest {

  @Test
  void loadsAPemTrustStore(@TempDir Path dir) throws Exception {
    TestCertificates ca = TestCertificates.newAuthority();
    Path pem = dir.resolve("relay-ca.pem");
    Files.writeString(
        pem,
        "-----BEGIN CERTIFICATE-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(ca.caCertificate().getEncoded())
            + "\n-----END CERTIFICATE-----\n",
        StandardCharsets.US_ASCII);

    KeyStore store =
        DeliveryTransports.trustStore(
            "postwire.relay.trust-store", pem.toString(), Optional.empty());

    assertThat(Collections.list(store.aliases())).hasSize(1);
    assertThat(store.getCertificate(store.aliases().nextElement())).isEqualTo(ca.caCertificate());
  }

  @Test
  void anUnusableTrustStoreStopsTheStartNamingTheSetting(@TempDir Path dir) {
    String missing = dir.resolve("missing.pem").toString();

    assertThatThrownBy(
            () ->
                DeliveryTransports.trustStore(
                    "postwire.relay.trust-store", missing, Optional.empty()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("postwire.relay.trust-store " + missing + " is unusable");
  }
}
