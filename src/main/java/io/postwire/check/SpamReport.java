package io.postwire.check;

import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What a spam engine said of a message.
 *
 * @param engine {@code spamassassin}
 * @param score the message's score
 * @param threshold the score from which the engine calls a message spam
 * @param flagged whether the engine called it spam ({@code Spam: True})
 * @param rules the rules that fired, with their scores and descriptions
 */
public record SpamReport(
    String engine, double score, double threshold, boolean flagged, List<Rule> rules) {

  /** A rule that fired. */
  @Schema(name = "SpamRule")
  public record Rule(String name, double score, String description) {}
}
