package io.postwire.security;

import io.postwire.dkim.DkimKeyService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code POST /v1/admin/rekey}: the last step of a master-key rotation (README, Deploy): re-seals
 * the stored DKIM private keys under the current {@code postwire.dkim.master-key}.
 */
@Path("/v1/admin/rekey")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin")
public class RekeyResource {

  private final DkimKeyService keys;
  private final CurrentPrincipal current;

  public RekeyResource(DkimKeyService keys, CurrentPrincipal current) {
    this.keys = keys;
    this.current = current;
  }

  @POST
  @Operation(
      summary =
          "Re-seal every DKIM private key under the current master key (admin); run it once every"
              + " replica has the new key and the old one in postwire.dkim.previous-master-keys")
  @APIResponse(
      responseCode = "200",
      description = "how many keys were re-sealed, were already current, and open with no key",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = DkimKeyService.Rekeyed.class)))
  public Uni<DkimKeyService.Rekeyed> rekey() {
    current.get().requireAdmin();
    return keys.rekey();
  }
}
