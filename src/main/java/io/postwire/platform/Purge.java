package io.postwire.platform;

import io.smallrye.mutiny.Uni;
import java.util.Map;

/**
 * One capability's share of the periodic clean-up: a bean that removes its own rows past their
 * retention. {@link Housekeeping} runs every such bean, one after the other, under its lock; the
 * capability owns the tables and the statements.
 */
public interface Purge {

  /** Runs the purge; answers how many rows went, by what they were (in the order removed). */
  Uni<Map<String, Long>> purge();
}
