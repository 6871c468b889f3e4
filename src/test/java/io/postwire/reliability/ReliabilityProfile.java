package io.postwire.reliability;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * Sandbox delivery with a short API key cache, so a deleted key is seen as deleted within a second;
 * shared by the access matrix and the hostile-input tests so Quarkus boots once for both.
 */
public class ReliabilityProfile implements QuarkusTestProfile {
  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("postwire.api.key-cache-ttl", "300ms");
  }
}
