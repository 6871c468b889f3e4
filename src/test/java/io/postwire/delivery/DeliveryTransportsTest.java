package io.postwire.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.delivery.smtp.RelaySettings;
import io.postwire.testing.smtp.TestCertificates;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up checks of the delivery settings: trust stores for verified TLS (the relay's and
 * MTA-STS's) are loaded at start-up, and budgets or a relay STARTTLS level that cannot work stop
 * the start.
 */
class DeliveryTransportsTest {

  /** The relay settings as SmallRye Config maps them at start-up, from these properties only. */
  private static RelayConfig relayConfig(Map<String, String> properties) {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .withMapping(RelayConfig.class)
            .withSources(new PropertiesConfigSource(properties, "test", 250))
            .build();
    return config.getConfigMapping(RelayConfig.class);
  }

  @Test
  void aRelayStarttlsTypoStopsTheStartNamingTheSetting() {
    assertThatThrownBy(() -> relayConfig(Map.of("postwire.relay.starttls", "requird")))
        .hasMessageContaining("postwire.relay.starttls")
        .hasMessageContaining("requird");
  }

  @Test
  void readsTheRelayStarttlsLevelsByTheirConfigNames() {
    assertThat(relayConfig(Map.of()).starttls()).isEqualTo(RelaySettings.Starttls.OPTIONAL);
    assertThat(relayConfig(Map.of("postwire.relay.starttls", "disabled")).starttls())
        .isEqualTo(RelaySettings.Starttls.DISABLED);
    assertThat(relayConfig(Map.of("postwire.relay.starttls", "optional")).starttls())
        .isEqualTo(RelaySettings.Starttls.OPTIONAL);
    assertThat(relayConfig(Map.of("postwire.relay.starttls", "required")).starttls())
        .isEqualTo(RelaySettings.Starttls.REQUIRED);
  }

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
  void budgetsThatCannotWorkStopTheStartNamingEverySetting() {
    DeliveryConfig config =
        (DeliveryConfig)
            Proxy.newProxyInstance(
                DeliveryConfig.class.getClassLoader(),
                new Class<?>[] {DeliveryConfig.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "claimMaxBytes" -> 0L;
                      case "attemptTimeout" -> Duration.ZERO;
                      case "connectionWaitTimeout" -> Duration.ofSeconds(-1);
                      case "maxMxHosts" -> 0;
                      default -> throw new UnsupportedOperationException(method.getName());
                    });

    assertThatThrownBy(() -> DeliveryTransports.checkBudgets(config))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("POSTWIRE_DELIVERY_CLAIM_MAX_BYTES")
        .hasMessageContaining("POSTWIRE_DELIVERY_ATTEMPT_TIMEOUT")
        .hasMessageContaining("POSTWIRE_DELIVERY_CONNECTION_WAIT_TIMEOUT")
        .hasMessageContaining("POSTWIRE_DELIVERY_MAX_MX_HOSTS");
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
