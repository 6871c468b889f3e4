package io.postwire.platform;

import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * Makes the refusals that happen before a request reaches a resource (a body over the HTTP limit)
 * answer with problem details like every other error.
 */
public class HttpLimits {

  void install(@Observes Router router) {
    router.errorHandler(
        413,
        ctx ->
            ctx.response()
                .setStatusCode(413)
                .putHeader("Content-Type", Problem.MEDIA_TYPE)
                .end(
                    Json.encode(
                        Problem.of(
                            413,
                            "payload_too_large",
                            "The request body is larger than this service accepts",
                            List.of()))));
  }
}
