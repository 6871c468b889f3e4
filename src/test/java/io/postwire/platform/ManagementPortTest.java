package io.postwire.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.net.URL;
import org.junit.jupiter.api.Test;

/**
 * Health and metrics name every tenant's domains and need no API key, so the packaged (prod)
 * service serves them on the management interface (port 9000), which stays off the public entry
 * point; dev and test keep everything on one port. The management switch is fixed at build time, so
 * the @QuarkusTest classes (test profile) cannot see it: this reads application.properties as each
 * profile would.
 */
class ManagementPortTest {

  static SmallRyeConfig configFor(String profile) throws Exception {
    URL properties =
        ManagementPortTest.class.getClassLoader().getResource("application.properties");
    return new SmallRyeConfigBuilder()
        .withProfile(profile)
        .withSources(new PropertiesConfigSource(properties, 250))
        .build();
  }

  static boolean managementEnabled(SmallRyeConfig config) {
    return config.getOptionalValue("quarkus.management.enabled", Boolean.class).orElse(false);
  }

  @Test
  void prodServesHealthAndMetricsOnTheManagementPort9000() throws Exception {
    SmallRyeConfig prod = configFor("prod");
    assertThat(managementEnabled(prod)).isTrue();
    assertThat(prod.getOptionalValue("quarkus.management.port", Integer.class).orElse(9000))
        .isEqualTo(9000);
    // health and metrics move with the management interface; OpenAPI and Swagger UI stay public
    assertThat(
            prod.getOptionalValue("quarkus.smallrye-health.management.enabled", Boolean.class)
                .orElse(true))
        .isTrue();
    assertThat(
            prod.getOptionalValue("quarkus.micrometer.export.prometheus.path", String.class)
                .orElse("/q/metrics"))
        .isEqualTo("/q/metrics");
    assertThat(
            prod.getOptionalValue("quarkus.smallrye-openapi.management.enabled", Boolean.class)
                .orElse(true))
        .isFalse();
  }

  @Test
  void devAndTestKeepOnePort() throws Exception {
    assertThat(managementEnabled(configFor("dev"))).isFalse();
    assertThat(managementEnabled(configFor("test"))).isFalse();
  }
}
