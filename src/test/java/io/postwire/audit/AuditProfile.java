package io.postwire.audit;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/** The audit tests' profile: the service resolves through the in-JVM DNS server of the tests. */
public class AuditProfile implements QuarkusTestProfile {

  @Override
  public List<TestResourceEntry> testResources() {
    return List.of(new TestResourceEntry(AuditTestResource.class));
  }

  /** The tests audit one domain several times in a row: no pause between manual audits. */
  @Override
  public Map<String, String> getConfigOverrides() {
    return Map.of("postwire.audit.manual-interval", "0s");
  }
}
