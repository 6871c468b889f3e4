package io.postwire.dkim;

import io.smallrye.mutiny.Uni;

/**
 * Something stored sealed under the master key ({@code postwire.dkim.master-key}): what {@code POST
 * /v1/admin/rekey} re-seals under the current key in a rotation. The DKIM private keys are one kind
 * ({@link DkimKeyService}); packages above this one that seal their own secrets under the master
 * key implement it too, so the rekey reaches them without this package knowing them.
 */
public interface MasterKeySealed {

  /** The kind's name in the rekey's answer, e.g. {@code dkimKeys}. */
  String kind();

  /**
   * Re-seals under the current master key everything of this kind that opens only with a previous
   * one; a row is replaced only if it still holds what was read.
   */
  Uni<DkimKeyService.Rekeyed> rekey();
}
