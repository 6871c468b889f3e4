package io.postwire.inboxtest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Inbox test settings ({@code postwire.inbox-tests.*}). */
@ConfigMapping(prefix = "postwire.inbox-tests")
public interface InboxTestConfig {

  /** How long an inbox test's address takes mail and its report is kept; then it is purged. */
  @WithDefault("24h")
  Duration ttl();
}
