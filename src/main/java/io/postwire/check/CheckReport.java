package io.postwire.check;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The answer of {@code POST /v1/messages/check} (API.md "Pre-send check and inbox test").
 *
 * @param score 0 to 100, see {@link CheckService#score}
 * @param grade {@code A} to {@code F}, see {@link CheckService#grade}
 * @param findings what was found, errors first
 * @param spam spamd's verdict, or null without one
 * @param authentication the From domain's latest audit
 * @param size the rendered message's size
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record CheckReport(
    int score,
    String grade,
    List<Finding> findings,
    SpamReport spam,
    Authentication authentication,
    Size size) {

  /**
   * The statuses of the From domain's latest audit ({@code pass}, {@code warn}, {@code fail},
   * {@code unknown}; null when the domain has not been audited yet).
   */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  @Schema(name = "CheckAuthentication")
  public record Authentication(String spf, String dkim, String dmarc, String audit) {}

  /**
   * @param bytes the rendered message's length in octets, before its DKIM signature
   * @param clipsInGmail whether its HTML is over Gmail's 102 KB
   */
  @Schema(name = "CheckSize")
  public record Size(int bytes, boolean clipsInGmail) {}
}
