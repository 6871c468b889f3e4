package io.postwire.audit;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;

/** The audit tests' profile: the service resolves through the in-JVM DNS server of the tests. */
public class AuditProfile implements QuarkusTestProfile {

  @Override
  public List<TestResourceEntry> testResources() {
    return List.of(new TestResourceEntry(AuditTestResource.class));
  }
}
