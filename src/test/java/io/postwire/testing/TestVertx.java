package io.postwire.testing;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One Vert.x for a test class without Quarkus: started before the class's {@code @BeforeAll}
 * methods, closed (and waited for) after its {@code @AfterAll} methods. Register it on a static
 * field: {@code @RegisterExtension static final TestVertx VERTX = new TestVertx();}.
 */
public final class TestVertx implements BeforeAllCallback, AfterAllCallback {

  private volatile Vertx vertx;

  /** The running Vert.x. */
  public Vertx get() {
    Vertx running = vertx;
    if (running == null) {
      throw new IllegalStateException(
          "Vert.x is not running: register TestVertx on a static field");
    }
    return running;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    vertx = Vertx.vertx();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Vertx running = vertx;
    vertx = null;
    if (running != null) {
      running.close().toCompletionStage().toCompletableFuture().join();
    }
  }
}
