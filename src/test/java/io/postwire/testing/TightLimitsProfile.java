package io.postwire.testing;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** Limits short enough to reach within a test: a 2 s body deadline. */
public class TightLimitsProfile implements QuarkusTestProfile {
  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("postwire.api.body-timeout", "2s");
  }
}
