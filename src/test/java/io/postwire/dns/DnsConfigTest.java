package io.postwire.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code dns} reads the SPF receiver name from its own settings, defaulting to the EHLO name. */
class DnsConfigTest {

  static DnsConfig config(Map<String, String> properties) {
    return new SmallRyeConfigBuilder()
        .addDefaultInterceptors()
        .withConverter(Duration.class, 100, new DurationConverter())
        .withMapping(DnsConfig.class)
        .withSources(new PropertiesConfigSource(properties, "test", 100))
        .build()
        .getConfigMapping(DnsConfig.class);
  }

  @Test
  void theReceiverNameIsTheEhloName() {
    assertThat(config(Map.of("postwire.delivery.ehlo-name", "mx.example.org")).receiverName())
        .isEqualTo("mx.example.org");
  }

  @Test
  void theReceiverNameIsPostwireWithoutAnEhloName() {
    assertThat(config(Map.of()).receiverName()).isEqualTo("postwire");
  }

  @Test
  void theReceiverNameMayBeSetForDnsAlone() {
    assertThat(
            config(
                    Map.of(
                        "postwire.delivery.ehlo-name", "mx.example.org",
                        "postwire.dns.receiver-name", "spf.example.org"))
                .receiverName())
        .isEqualTo("spf.example.org");
  }
}
