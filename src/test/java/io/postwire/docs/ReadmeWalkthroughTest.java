package io.postwire.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's "## The API" section shows the commands {@code docs/walkthrough.sh} runs, in the
 * order it runs them (WalkthroughTests runs the script), so the README cannot drift from what
 * works.
 */
class ReadmeWalkthroughTest {

  @Test
  void everyCommandOfTheApiSectionIsRunByTheWalkthroughInTheSameOrder() throws IOException {
    List<String> shown = commands(apiSection(Files.readString(Path.of("README.md"))));
    List<String> script =
        Files.readAllLines(WalkthroughTests.SCRIPT).stream().map(String::strip).toList();
    assertThat(shown).hasSizeGreaterThan(40);
    int at = 0;
    for (String line : shown) {
      int found = script.subList(at, script.size()).indexOf(line);
      if (found < 0) {
        fail(
            "README line not run by %s after its line %d (or not at all):%n%s",
            WalkthroughTests.SCRIPT, at, line);
      }
      at += found + 1;
    }
  }

  /** From "## The API" to the next second-level heading. */
  static String apiSection(String readme) {
    int start = readme.indexOf("\n## The API\n");
    assertThat(start).as("README has a \"## The API\" section").isNotNegative();
    int end = readme.indexOf("\n## ", start + 1);
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  /** The lines of its {@code sh} blocks that do something (no comments, no blank lines). */
  static List<String> commands(String section) {
    List<String> lines = new ArrayList<>();
    boolean inBlock = false;
    for (String line : section.split("\n", -1)) {
      if (line.startsWith("```")) {
        inBlock = !inBlock && line.equals("```sh");
        continue;
      }
      String command = line.strip();
      if (inBlock && !command.isEmpty() && !command.startsWith("#")) {
        lines.add(command);
      }
    }
    return lines;
  }
}
