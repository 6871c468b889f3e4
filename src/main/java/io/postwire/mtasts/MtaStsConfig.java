package io.postwire.mtasts;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * MTA-STS (RFC 8461), for delivery and the audit alike ({@code postwire.mta-sts.*}). Each setting
 * falls back to its older name under {@code postwire.delivery.mta-sts.*}, then (except {@code
 * enabled}) under {@code postwire.audit.mta-sts.*}, so configurations written for those keep
 * working.
 */
@ConfigMapping(prefix = "postwire.mta-sts")
public interface MtaStsConfig {

  /** Whether delivery fetches and honours recipient domains' policies (the audit always checks). */
  @WithDefault("${postwire.delivery.mta-sts.enabled:true}")
  boolean enabled();

  /** The HTTPS port policies are fetched from (443; tests use a loopback port). */
  @WithDefault("${postwire.delivery.mta-sts.port:${postwire.audit.mta-sts.port:443}}")
  int port();

  /**
   * Trust anchors (PEM or PKCS#12 file) for the policy fetch and for the MX certificates checked
   * under an enforced policy; unset = the JDK's.
   */
  @WithDefault("${postwire.delivery.mta-sts.trust-store:${postwire.audit.mta-sts.trust-store:}}")
  Optional<String> trustStore();

  /** The PKCS#12 trust store's password. */
  @WithDefault(
      "${postwire.delivery.mta-sts.trust-store-password:"
          + "${postwire.audit.mta-sts.trust-store-password:}}")
  Optional<String> trustStorePassword();

  /** Deadline of one policy fetch from one address, connect to last byte. */
  @WithDefault("${postwire.delivery.mta-sts.timeout:${postwire.audit.mta-sts.timeout:10s}}")
  Duration timeout();
}
