package io.postwire.testing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Limits short enough to reach within a test: a 2 s body deadline, and three lookups of unknown
 * keys per client address, refilled at one every 100 s.
 */
public class TightLimitsProfile implements QuarkusTestProfile {
  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of(
        "postwire.api.body-timeout", "2s",
        "postwire.api.failed-auth-rate", "0.01",
        "postwire.api.failed-auth-burst", "3");
  }
}
