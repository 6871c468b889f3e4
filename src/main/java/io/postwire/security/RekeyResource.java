package io.postwire.security;

import io.postwire.dkim.DkimKeyService.Rekeyed;
import io.postwire.dkim.MasterKeySealed;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.inject.Instance;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code POST /v1/admin/rekey}: the last step of a master-key rotation (README, Deploy): re-seals
 * everything stored under the master key (the DKIM private keys, the webhook secrets: every {@link
 * MasterKeySealed}) under the current {@code postwire.dkim.master-key}.
 */
@Path("/v1/admin/rekey")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin")
public class RekeyResource {

  private final List<MasterKeySealed> kinds;
  private final CurrentPrincipal current;

  public RekeyResource(Instance<MasterKeySealed> kinds, CurrentPrincipal current) {
    this.kinds = kinds.stream().sorted(Comparator.comparing(MasterKeySealed::kind)).toList();
    this.current = current;
  }

  /**
   * What a rekey did, in all (the sums of every kind: re-sealed now, already under the current key,
   * opened by no configured key) and per kind ({@code dkimKeys}, {@code webhookSecrets}).
   */
  public record RekeyReport(
      int resealed, int current, int unreadable, Map<String, Rekeyed> kinds) {}

  @POST
  @Operation(
      summary =
          "Re-seal every DKIM private key and webhook secret under the current master key (admin);"
              + " run it once every replica has the new key and the old one in"
              + " postwire.dkim.previous-master-keys")
  @APIResponse(
      responseCode = "200",
      description =
          "how many secrets were re-sealed, were already current, and open with no key; in all"
              + " and per kind",
      content =
          @Content(
              mediaType = "application/json",
              schema = @Schema(implementation = RekeyReport.class)))
  public Uni<RekeyReport> rekey() {
    current.get().requireAdmin();
    Uni<Map<String, Rekeyed>> done = Uni.createFrom().item(new LinkedHashMap<>());
    // one kind after the other: each reads and rewrites its whole table
    for (MasterKeySealed kind : kinds) {
      done = done.chain(map -> kind.rekey().map(r -> put(map, kind.kind(), r)));
    }
    return done.map(
        map ->
            new RekeyReport(
                map.values().stream().mapToInt(Rekeyed::resealed).sum(),
                map.values().stream().mapToInt(Rekeyed::current).sum(),
                map.values().stream().mapToInt(Rekeyed::unreadable).sum(),
                map));
  }

  private static Map<String, Rekeyed> put(Map<String, Rekeyed> map, String kind, Rekeyed r) {
    map.put(kind, r);
    return map;
  }
}
