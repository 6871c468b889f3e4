package io.postwire.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The prod start-up check over plain settings: every problem at once, by environment variable. */
class StartupSettingsTest {

  static final String MASTER_KEY = "cG9zdHdpcmUtZGV2LW1hc3Rlci1rZXktMzItYnl0ZXM=";

  static Map<String, String> complete() {
    Map<String, String> settings = new HashMap<>();
    settings.put("quarkus.datasource.reactive.url", "postgresql://db.internal:5432/postwire");
    settings.put("quarkus.datasource.jdbc.url", "jdbc:postgresql://db.internal:5432/postwire");
    settings.put("quarkus.datasource.username", "postwire");
    settings.put("postwire.dkim.master-key", MASTER_KEY);
    settings.put("postwire.delivery.ehlo-name", "mta.example.com");
    settings.put("postwire.api.bootstrap-key", "pw_0123456789abcdef0123456789abcdef");
    return settings;
  }

  static Function<String, Optional<String>> of(Map<String, String> settings) {
    return name -> Optional.ofNullable(settings.get(name));
  }

  @Test
  void acceptsACompleteProdConfiguration() {
    assertThat(StartupSettings.problems(of(complete()))).isEmpty();
  }

  @Test
  void reportsEveryMissingSettingAtOnceByItsEnvironmentVariable() {
    // nothing set: application.properties' placeholder URL and the JDBC URL derived from it
    List<String> problems =
        StartupSettings.problems(
            of(
                Map.of(
                    "quarkus.datasource.reactive.url",
                    StartupSettings.UNSET_URL,
                    "quarkus.datasource.jdbc.url",
                    "jdbc:" + StartupSettings.UNSET_URL)));
    assertThat(problems).hasSize(4);
    assertThat(String.join("\n", problems))
        .contains("QUARKUS_DATASOURCE_REACTIVE_URL is required")
        .contains("QUARKUS_DATASOURCE_USERNAME is required")
        .contains("POSTWIRE_DKIM_MASTER_KEY is required")
        .contains("POSTWIRE_DELIVERY_EHLO_NAME is required in mx mode")
        .doesNotContain("quarkus.datasource.jdbc.url");
  }

  @Test
  void theProdPlaceholderUrlIsTheOneTheCheckTakesForUnset() throws Exception {
    // the placeholder keeps the datasource beans active until the check runs; if the two drift
    // apart, a prod start without a URL would try to connect instead of saying what is missing
    String properties = Files.readString(Path.of("src/main/resources/application.properties"));
    assertThat(properties)
        .contains("%prod.quarkus.datasource.reactive.url=" + StartupSettings.UNSET_URL + "\n")
        .contains("quarkus.flyway.migrate-at-start=false");
  }

  @Test
  void reportsMalformedValuesWithoutQuotingSecrets() {
    Map<String, String> settings = complete();
    settings.put("quarkus.datasource.reactive.url", "mysql://db/postwire");
    settings.put("postwire.dkim.master-key", "c2hvcnQta2V5");
    settings.put("postwire.delivery.ehlo-name", "localhost");
    settings.put("postwire.api.bootstrap-key", "secret1");
    List<String> problems = StartupSettings.problems(of(settings));
    assertThat(problems)
        .hasSize(4)
        .anySatisfy(p -> assertThat(p).startsWith("QUARKUS_DATASOURCE_REACTIVE_URL must be"))
        .anySatisfy(p -> assertThat(p).startsWith("POSTWIRE_DKIM_MASTER_KEY is not usable"))
        .anySatisfy(p -> assertThat(p).startsWith("POSTWIRE_DELIVERY_EHLO_NAME must be"))
        .anySatisfy(p -> assertThat(p).startsWith("POSTWIRE_API_BOOTSTRAP_KEY must be"));
    assertThat(String.join("\n", problems)).doesNotContain("c2hvcnQta2V5", "secret1");
  }

  @Test
  void aReactiveUrlJdbcCannotUseNeedsAnExplicitJdbcUrl() {
    Map<String, String> settings = complete();
    settings.remove("quarkus.datasource.username");
    settings.put("quarkus.datasource.reactive.url", "postgres://u:p@db:5432/postwire");
    settings.put("quarkus.datasource.jdbc.url", "jdbc:postgres://u:p@db:5432/postwire");
    assertThat(StartupSettings.problems(of(settings)))
        .singleElement()
        .satisfies(p -> assertThat(p).contains("QUARKUS_DATASOURCE_JDBC_URL"));
    settings.put("quarkus.datasource.jdbc.url", "jdbc:postgresql://db:5432/postwire");
    assertThat(StartupSettings.problems(of(settings))).isEmpty();
  }

  @Test
  void submissionTlsNeedsCertificateAndKeyTogether() {
    Map<String, String> settings = complete();
    settings.put("postwire.submission.port", "587");
    assertThat(StartupSettings.problems(of(settings))).isEmpty();
    settings.put("postwire.submission.implicit-tls-port", "465");
    assertThat(StartupSettings.problems(of(settings)))
        .singleElement()
        .satisfies(p -> assertThat(p).startsWith("POSTWIRE_SUBMISSION_IMPLICIT_TLS_PORT needs"));
    settings.put("postwire.submission.tls.cert", "/etc/postwire/cert.pem");
    assertThat(StartupSettings.problems(of(settings)))
        .singleElement()
        .satisfies(p -> assertThat(p).contains("POSTWIRE_SUBMISSION_TLS_KEY go together"));
    settings.put("postwire.submission.tls.key", "/etc/postwire/key.pem");
    assertThat(StartupSettings.problems(of(settings))).isEmpty();
  }

  @Test
  void requiresTheRelayHostInRelayModeAndNoEhloNameInSandboxMode() {
    Map<String, String> settings = complete();
    settings.remove("postwire.delivery.ehlo-name");
    settings.put("postwire.delivery.mode", "relay");
    assertThat(StartupSettings.problems(of(settings)))
        .singleElement()
        .satisfies(p -> assertThat(p).startsWith("POSTWIRE_RELAY_HOST is required"));
    settings.put("postwire.delivery.mode", "sandbox");
    assertThat(StartupSettings.problems(of(settings))).isEmpty();
    settings.put("postwire.delivery.mode", "carrier-pigeon");
    assertThat(StartupSettings.problems(of(settings)))
        .singleElement()
        .satisfies(p -> assertThat(p).startsWith("POSTWIRE_DELIVERY_MODE must be"));
  }

  @Test
  void checksSettingsBeforeMigratingAndTheAdminKeyAfter() {
    StartupChecks checks = new StartupChecks(null, null, null);
    List<String> steps = new ArrayList<>();
    assertThatThrownBy(
            () ->
                checks.run(
                    true,
                    of(Map.of()),
                    () -> steps.add("migrate"),
                    () -> {
                      steps.add("admin");
                      return true;
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("QUARKUS_DATASOURCE_REACTIVE_URL")
        .hasMessageContaining("POSTWIRE_DKIM_MASTER_KEY");
    assertThat(steps).isEmpty();

    Map<String, String> noBootstrap = complete();
    noBootstrap.remove("postwire.api.bootstrap-key");
    assertThatThrownBy(
            () ->
                checks.run(
                    true,
                    of(noBootstrap),
                    () -> steps.add("migrate"),
                    () -> {
                      steps.add("admin");
                      return false;
                    }))
        .hasMessageContaining("POSTWIRE_API_BOOTSTRAP_KEY is required");
    assertThat(steps).containsExactly("migrate", "admin");

    steps.clear();
    checks.run(true, of(noBootstrap), () -> steps.add("migrate"), () -> true);
    checks.run(false, of(Map.of()), () -> steps.add("migrate"), () -> false);
    assertThat(steps).containsExactly("migrate", "migrate");
  }
}
