package io.postwire.delivery;

import io.postwire.delivery.smtp.RelaySettings;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** The smarthost used in relay mode ({@code postwire.relay.*}). */
@ConfigMapping(prefix = "postwire.relay")
public interface RelayConfig {

  /** Host name or IP of the relay; required in relay mode. */
  Optional<String> host();

  /** Port of the relay. */
  @WithDefault("25")
  int port();

  /** SMTP AUTH user name, if the relay wants one. */
  Optional<String> username();

  /** SMTP AUTH password. */
  Optional<String> password();

  /**
   * {@code disabled}, {@code optional} (STARTTLS when offered) or {@code required}; any other value
   * stops the start.
   */
  @WithDefault("optional")
  RelaySettings.Starttls starttls();

  /**
   * Send the AUTH credentials over a connection without TLS. Off: a relay that offers no STARTTLS
   * gets no AUTH and every delivery is deferred.
   */
  @WithDefault("false")
  boolean allowPlaintextAuth();

  /**
   * With {@code starttls=required}, check that the relay's certificate is issued by a trusted
   * authority for {@link #host()}.
   */
  @WithDefault("true")
  boolean verifyCertificate();

  /** PEM or PKCS#12 file of the authorities trusted for the relay's certificate; the JDK's. */
  Optional<String> trustStore();

  /** Password of a PKCS#12 trust store. */
  Optional<String> trustStorePassword();
}
