package io.postwire.platform;

import jakarta.ws.rs.QueryParam;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

/** The paging parameters every list takes, {@code ?limit=&after=} (a {@code @BeanParam}). */
public class PageRequest {

  /**
   * Taken as text, so that {@code abc} is a 422 naming the field rather than the framework's 404.
   */
  @Parameter(
      description = Page.LIMIT_DOC,
      schema =
          @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "500", defaultValue = "50"))
  @QueryParam("limit")
  String limit;

  @Parameter(description = "the `next` cursor of the previous page")
  @QueryParam("after")
  String after;

  /**
   * The page size asked for, validated: default 50, 1..500 (else 422 {@code validation_failed}).
   */
  public int limit() {
    return Page.limit(limit);
  }

  public String after() {
    return after;
  }
}
