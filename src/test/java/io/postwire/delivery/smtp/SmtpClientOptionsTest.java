package io.postwire.delivery.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.security.KeyStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each wither of {@link SmtpClientOptions} changes its own settings and keeps every other one. */
class SmtpClientOptionsTest {

  /** Every component differs from every other, so a value copied into the wrong place shows. */
  private static final SmtpClientOptions BASE =
      new SmtpClientOptions(
          "client.example.test",
          Duration.ofSeconds(1),
          Duration.ofSeconds(2),
          Duration.ofSeconds(3),
          Duration.ofSeconds(4),
          Duration.ofSeconds(5),
          Duration.ofSeconds(6),
          Duration.ofSeconds(7),
          Duration.ofSeconds(8),
          11,
          12,
          13,
          14,
          null,
          "user",
          "secret",
          false,
          Duration.ofSeconds(9));

  @Test
  void withTimeoutsSetsTheConnectAndEveryCommandTimeoutOnly() {
    Duration t = Duration.ofMillis(250);
    SmtpClientOptions changed = BASE.withTimeouts(t);

    assertThat(differences(BASE, changed))
        .containsOnlyKeys(
            "connectTimeout",
            "greetingTimeout",
            "commandTimeout",
            "rcptTimeout",
            "dataInitTimeout",
            "dataBlockTimeout",
            "dataEndTimeout")
        .allSatisfy((name, value) -> assertThat(value).isEqualTo(t));
  }

  @Test
  void withIdleTimeoutSetsOnlyTheIdleTimeout() {
    assertThat(differences(BASE, BASE.withIdleTimeout(Duration.ofMinutes(3))))
        .containsExactly(Map.entry("idleTimeout", Duration.ofMinutes(3)));
  }

  @Test
  void withPoolSetsOnlyThePoolLimits() {
    assertThat(differences(BASE, BASE.withPool(21, 22, 23, 24)))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "maxConnectionsPerHost", 21,
                "maxQueuedPerHost", 22,
                "maxMessagesPerConnection", 23,
                "maxHosts", 24));
  }

  @Test
  void withTrustStoreSetsOnlyTheTrustStore() throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    assertThat(differences(BASE, BASE.withTrustStore(store)))
        .containsExactly(Map.entry("trustStore", store));
  }

  @Test
  void withCredentialsSetsOnlyTheCredentialsAndRefusesHalfOfThem() {
    assertThat(differences(BASE, BASE.withCredentials("other", "pw")))
        .containsExactlyInAnyOrderEntriesOf(Map.of("username", "other", "password", "pw"));
    assertThatThrownBy(() -> BASE.withCredentials("other", null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void withPlaintextAuthSetsOnlyThatPermission() {
    assertThat(differences(BASE, BASE.withPlaintextAuth(true)))
        .containsExactly(Map.entry("allowPlaintextAuth", true));
  }

  @Test
  void withQueueTimeoutSetsOnlyTheWaitForAConnection() {
    assertThat(differences(BASE, BASE.withQueueTimeout(Duration.ofMillis(300))))
        .containsExactly(Map.entry("queueTimeout", Duration.ofMillis(300)));
  }

  @Test
  void aCopyIsValidatedAsAnyOptionsAre() {
    assertThatThrownBy(() -> BASE.withQueueTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeouts must be positive");
    assertThatThrownBy(() -> BASE.withPool(0, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pool limits");
  }

  @Test
  void theBaseHasNoTwoEqualSettings() {
    Map<String, Object> values = components(BASE);
    values.values().removeIf(Objects::isNull);
    assertThat(Set.copyOf(values.values())).hasSameSizeAs(values.values());
  }

  /** The components of {@code after} that differ from {@code before}, with their new values. */
  private static Map<String, Object> differences(
      SmtpClientOptions before, SmtpClientOptions after) {
    Map<String, Object> was = components(before);
    Map<String, Object> now = components(after);
    Map<String, Object> changed = new LinkedHashMap<>();
    now.forEach(
        (name, value) -> {
          if (!Objects.equals(value, was.get(name))) {
            changed.put(name, value);
          }
        });
    return changed;
  }

  private static Map<String, Object> components(SmtpClientOptions options) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (RecordComponent c : SmtpClientOptions.class.getRecordComponents()) {
      try {
        values.put(c.getName(), c.getAccessor().invoke(options));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return values;
  }
}
