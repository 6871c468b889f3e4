package io.postwire.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One group, {@code postwire.mta-sts.*}, that still reads the documented older names. */
class MtaStsConfigTest {

  /** The mapping over {@code properties}, with Quarkus's duration syntax ({@code 10s}). */
  static MtaStsConfig config(Map<String, String> properties) {
    SmallRyeConfig config =
        new SmallRyeConfigBuilder()
            .addDefaultInterceptors()
            .withConverter(Duration.class, 100, new DurationConverter())
            .withMapping(MtaStsConfig.class)
            .withMapping(MtaStsOlderNames.Delivery.class)
            .withMapping(MtaStsOlderNames.Audit.class)
            .withValidateUnknown(true)
            .withSources(new PropertiesConfigSource(properties, "test", 100))
            .build();
    return config.getConfigMapping(MtaStsConfig.class);
  }

  @Test
  void defaultsWhenNothingIsSet() {
    MtaStsConfig config = config(Map.of());
    assertThat(config.enabled()).isTrue();
    assertThat(config.port()).isEqualTo(443);
    assertThat(config.trustStore()).isEmpty();
    assertThat(config.trustStorePassword()).isEmpty();
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void theDeliveryNamesStillWork() {
    MtaStsConfig config =
        config(
            Map.of(
                "postwire.delivery.mta-sts.enabled", "false",
                "postwire.delivery.mta-sts.port", "8443",
                "postwire.delivery.mta-sts.trust-store", "/etc/ca.p12",
                "postwire.delivery.mta-sts.trust-store-password", "secret",
                "postwire.delivery.mta-sts.timeout", "3s"));
    assertThat(config.enabled()).isFalse();
    assertThat(config.port()).isEqualTo(8443);
    assertThat(config.trustStore()).isEqualTo(Optional.of("/etc/ca.p12"));
    assertThat(config.trustStorePassword()).isEqualTo(Optional.of("secret"));
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void theAuditNamesStillWork() {
    MtaStsConfig config =
        config(
            Map.of(
                "postwire.audit.mta-sts.port", "9443",
                "postwire.audit.mta-sts.trust-store", "/etc/ca.pem",
                "postwire.audit.mta-sts.trust-store-password", "pw",
                "postwire.audit.mta-sts.timeout", "4s"));
    assertThat(config.enabled()).isTrue();
    assertThat(config.port()).isEqualTo(9443);
    assertThat(config.trustStore()).isEqualTo(Optional.of("/etc/ca.pem"));
    assertThat(config.trustStorePassword()).isEqualTo(Optional.of("pw"));
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(4));
  }

  @Test
  void theNewNamesWinOverTheOlderOnes() {
    MtaStsConfig config =
        config(
            Map.of(
                "postwire.mta-sts.port", "1443",
                "postwire.mta-sts.timeout", "1s",
                "postwire.mta-sts.trust-store", "/new.pem",
                "postwire.delivery.mta-sts.port", "8443",
                "postwire.delivery.mta-sts.trust-store", "/old.pem",
                "postwire.audit.mta-sts.port", "9443",
                "postwire.audit.mta-sts.timeout", "4s"));
    assertThat(config.port()).isEqualTo(1443);
    assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.trustStore()).isEqualTo(Optional.of("/new.pem"));
  }

  @Test
  void theDeliveryNameWinsOverTheAuditName() {
    MtaStsConfig config =
        config(
            Map.of(
                "postwire.delivery.mta-sts.port", "8443",
                "postwire.audit.mta-sts.port", "9443"));
    assertThat(config.port()).isEqualTo(8443);
  }
}
