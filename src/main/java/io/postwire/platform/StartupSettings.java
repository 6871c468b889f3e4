package io.postwire.platform;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The settings a prod start needs, checked before anything touches the database: every one that is
 * missing or malformed is reported at once, by the environment variable an operator sets (API.md,
 * start-up clarifications). Whether an admin key exists needs the database; {@link StartupChecks}
 * checks that after the migrations.
 */
public final class StartupSettings {

  static final String REACTIVE_URL = "quarkus.datasource.reactive.url";
  static final String JDBC_URL = "quarkus.datasource.jdbc.url";
  static final String USERNAME = "quarkus.datasource.username";
  static final String MASTER_KEY = "postwire.dkim.master-key";
  static final String PREVIOUS_MASTER_KEYS = "postwire.dkim.previous-master-keys";
  static final String MODE = "postwire.delivery.mode";
  static final String DELIVERY_ENABLED = "postwire.delivery.enabled";
  static final String EHLO_NAME = "postwire.delivery.ehlo-name";
  static final String RELAY_HOST = "postwire.relay.host";
  static final String BOOTSTRAP_KEY = "postwire.api.bootstrap-key";
  static final String SUBMISSION_TLS_PORT = "postwire.submission.implicit-tls-port";
  static final String SUBMISSION_CERT = "postwire.submission.tls.cert";
  static final String SUBMISSION_KEY = "postwire.submission.tls.key";

  /** What application.properties gives the reactive URL in prod when none is set. */
  static final String UNSET_URL = "postgresql://127.0.0.1:1/unset";

  /** Shortest bootstrap key accepted: it is an admin credential. */
  static final int MIN_BOOTSTRAP_KEY = 20;

  private static final Pattern HOST_NAME =
      Pattern.compile(
          "(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+");

  private StartupSettings() {}

  /** The environment variable that sets {@code property} (MicroProfile Config's mapping). */
  public static String env(String property) {
    return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  /**
   * Every problem with the settings, one sentence each, naming the environment variable; empty when
   * the start may go on.
   *
   * @param settings a property's value, empty when unset
   */
  public static List<String> problems(Function<String, Optional<String>> settings) {
    Function<String, Optional<String>> value =
        name -> settings.apply(name).map(String::strip).filter(v -> !v.isEmpty());
    List<String> problems = new ArrayList<>();

    Optional<String> url = value.apply(REACTIVE_URL).filter(u -> !u.equals(UNSET_URL));
    if (url.isEmpty()) {
      problems.add(
          env(REACTIVE_URL)
              + " is required: the PostgreSQL URL, e.g. postgresql://db:5432/postwire");
    } else {
      String reactive = url.get();
      String scheme =
          reactive.contains("://") ? reactive.substring(0, reactive.indexOf("://")) : "";
      if (!scheme.equals("postgresql") && !scheme.equals("postgres")) {
        problems.add(
            env(REACTIVE_URL)
                + " must be a PostgreSQL URL such as postgresql://db:5432/postwire (it starts with"
                + " neither postgresql:// nor postgres://)");
      } else if (!hostAndDatabase(reactive)) {
        problems.add(
            env(REACTIVE_URL)
                + " must name a host and a database, as in postgresql://db:5432/postwire");
      } else if (derivedJdbcUrl(value, reactive)
          && (!scheme.equals("postgresql") || URI.create(reactive).getRawUserInfo() != null)) {
        problems.add(
            env(REACTIVE_URL)
                + " cannot be turned into the JDBC URL the migrations use: write it as"
                + " postgresql://host:port/database with the account in "
                + env(USERNAME)
                + " and QUARKUS_DATASOURCE_PASSWORD, or set "
                + env(JDBC_URL));
      }
    }
    if (value.apply(USERNAME).isEmpty() && !url.map(StartupSettings::hasAccount).orElse(false)) {
      problems.add(env(USERNAME) + " is required: the PostgreSQL account");
    }

    Optional<String> masterKey = value.apply(MASTER_KEY);
    if (masterKey.isEmpty()) {
      problems.add(
          env(MASTER_KEY)
              + " is required: the base64 of 32 random bytes (openssl rand -base64 32), generated"
              + " once and kept");
    } else {
      masterKeyProblem(masterKey.get()).ifPresent(p -> problems.add(env(MASTER_KEY) + " " + p));
    }
    value
        .apply(PREVIOUS_MASTER_KEYS)
        .ifPresent(
            keys -> {
              String[] each = keys.split(",");
              for (int i = 0; i < each.length; i++) {
                int n = i + 1;
                masterKeyProblem(each[i].strip())
                    .ifPresent(
                        p -> problems.add(env(PREVIOUS_MASTER_KEYS) + " (key " + n + ") " + p));
              }
            });

    String mode = value.apply(MODE).orElse("mx").toLowerCase(Locale.ROOT);
    boolean delivering = !value.apply(DELIVERY_ENABLED).orElse("true").equalsIgnoreCase("false");
    switch (mode) {
      case "mx" -> {
        Optional<String> ehlo = value.apply(EHLO_NAME);
        if (delivering && ehlo.isEmpty()) {
          problems.add(
              env(EHLO_NAME)
                  + " is required in mx mode: the sending host's name, e.g. mta.example.com, with"
                  + " forward and reverse DNS matching the egress IP");
        }
        ehlo.filter(name -> !HOST_NAME.matcher(name).matches())
            .ifPresent(
                name ->
                    problems.add(
                        env(EHLO_NAME)
                            + " must be a fully qualified host name, e.g. mta.example.com"));
      }
      case "relay" -> {
        if (value.apply(RELAY_HOST).isEmpty()) {
          problems.add(env(RELAY_HOST) + " is required in relay mode: the smarthost's name");
        }
      }
      case "sandbox" -> {}
      default -> problems.add(env(MODE) + " must be mx, relay or sandbox (it is \"" + mode + "\")");
    }

    boolean tlsCert = value.apply(SUBMISSION_CERT).isPresent();
    boolean tlsKey = value.apply(SUBMISSION_KEY).isPresent();
    if (tlsCert != tlsKey) {
      problems.add(
          env(SUBMISSION_CERT)
              + " and "
              + env(SUBMISSION_KEY)
              + " go together: the PEM certificate and its private key");
    } else if (!tlsCert && value.apply(SUBMISSION_TLS_PORT).isPresent()) {
      problems.add(
          env(SUBMISSION_TLS_PORT)
              + " needs "
              + env(SUBMISSION_CERT)
              + " and "
              + env(SUBMISSION_KEY)
              + " (PEM files)");
    }

    value
        .apply(BOOTSTRAP_KEY)
        .filter(
            key ->
                key.length() < MIN_BOOTSTRAP_KEY || !key.chars().allMatch(c -> c > 32 && c < 127))
        .ifPresent(
            key ->
                problems.add(
                    env(BOOTSTRAP_KEY)
                        + " must be at least "
                        + MIN_BOOTSTRAP_KEY
                        + " printable characters without spaces, e.g. pw_$(openssl rand -hex 32)"));
    return problems;
  }

  /** Why a master key cannot be used (never quoting it), or empty. */
  static Optional<String> masterKeyProblem(String key) {
    try {
      Arrays.fill(MasterKeys.decode(key), (byte) 0);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of("is not usable: " + e.getMessage());
    }
  }

  private static boolean hasAccount(String url) {
    try {
      return URI.create(url).getRawUserInfo() != null;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean hostAndDatabase(String url) {
    try {
      URI uri = URI.create(url);
      String path = uri.getPath();
      return uri.getHost() != null && path != null && path.length() > 1;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** True when the JDBC URL is the one application.properties derives from the reactive URL. */
  private static boolean derivedJdbcUrl(Function<String, Optional<String>> value, String reactive) {
    return value.apply(JDBC_URL).map(jdbc -> jdbc.equals("jdbc:" + reactive)).orElse(true);
  }
}
