package io.postwire.dns;

import java.util.ArrayList;
import java.util.List;

/**
 * An SPF macro-string (RFC 7208 §7.1): literal text and macros such as {@code %{ir}} to be expanded
 * for one check.
 *
 * @param parts the literals and macros in order
 */
public record MacroString(List<Part> parts) {

  public MacroString {
    parts = List.copyOf(parts);
  }

  /** A piece of a macro-string. */
  public sealed interface Part {}

  /** Text taken as it is ({@code %%}, {@code %_}, {@code %-} already turned into %, space, %20). */
  public record Literal(String text) implements Part {}

  /**
   * A macro-expand {@code %{letter digits r delimiters}} (RFC 7208 §7.1).
   *
   * @param letter the macro letter, lower case
   * @param urlEscape true for an upper-case letter: the expansion is URL-escaped (§7.3)
   * @param keep how many right-hand parts to keep, 0 for all
   * @param reverse the {@code r} transformer
   * @param delimiters the characters to split on, {@code "."} when none are given
   */
  public record Macro(char letter, boolean urlEscape, int keep, boolean reverse, String delimiters)
      implements Part {}

  /** Letters allowed in a domain-spec; c, r and t only appear in explanation text (§7.2). */
  static final String DOMAIN_LETTERS = "slodiphv";

  static final String ALL_LETTERS = "slodiphcrtv";

  /**
   * Parses {@code text} starting at 1-based {@code position} in the record, for error messages.
   *
   * @param letters the macro letters allowed here
   * @param visibleOnly true in records (macro-literal is %x21-24 / %x26-7E); false for explanation
   *     text, which also allows spaces
   */
  static MacroString parse(String text, int position, String letters, boolean visibleOnly) {
    List<Part> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '%') {
        if (i + 1 >= text.length()) {
          throw new RecordSyntaxException(position + i, "'%' at the end of a macro-string");
        }
        char next = text.charAt(i + 1);
        if (next == '%') {
          literal.append('%');
          i += 2;
          continue;
        }
        if (next == '_') {
          literal.append(' ');
          i += 2;
          continue;
        }
        if (next == '-') {
          literal.append("%20");
          i += 2;
          continue;
        }
        if (next != '{') {
          throw new RecordSyntaxException(
              position + i, "'%' must be followed by {, %, _ or -, not '" + next + "'");
        }
        int close = text.indexOf('}', i + 2);
        if (close < 0) {
          throw new RecordSyntaxException(position + i, "unterminated macro, missing '}'");
        }
        if (literal.length() > 0) {
          parts.add(new Literal(literal.toString()));
          literal.setLength(0);
        }
        parts.add(macro(text.substring(i + 2, close), position + i, letters));
        i = close + 1;
        continue;
      }
      boolean allowed = c >= 0x21 && c <= 0x7e || !visibleOnly && c == ' ';
      if (!allowed) {
        throw new RecordSyntaxException(
            position + i, String.format("character U+%04X not allowed in a macro-string", (int) c));
      }
      literal.append(c);
      i++;
    }
    if (literal.length() > 0) {
      parts.add(new Literal(literal.toString()));
    }
    return new MacroString(parts);
  }

  private static Macro macro(String body, int position, String letters) {
    if (body.isEmpty()) {
      throw new RecordSyntaxException(position, "empty macro %{}");
    }
    char letter = body.charAt(0);
    char lower = Character.toLowerCase(letter);
    if (letters.indexOf(lower) < 0 || !Character.isLetter(letter)) {
      throw new RecordSyntaxException(
          position,
          ALL_LETTERS.indexOf(lower) >= 0
              ? "macro letter '" + letter + "' is only allowed in explanation text"
              : "unknown macro letter '" + letter + "'");
    }
    int i = 1;
    int digitsStart = i;
    while (i < body.length() && Character.isDigit(body.charAt(i))) {
      i++;
    }
    int keep = 0;
    if (i > digitsStart) {
      String digits = body.substring(digitsStart, i);
      if (digits.length() > 3 || Integer.parseInt(digits) == 0 || Integer.parseInt(digits) > 128) {
        throw new RecordSyntaxException(position, "macro digit transformer must be 1-128");
      }
      keep = Integer.parseInt(digits);
    }
    boolean reverse = false;
    if (i < body.length() && (body.charAt(i) == 'r' || body.charAt(i) == 'R')) {
      reverse = true;
      i++;
    }
    String delimiters = body.substring(i);
    for (char d : delimiters.toCharArray()) {
      if (".-+,/_=".indexOf(d) < 0) {
        throw new RecordSyntaxException(position, "invalid macro delimiter '" + d + "'");
      }
    }
    return new Macro(
        lower,
        Character.isUpperCase(letter),
        keep,
        reverse,
        delimiters.isEmpty() ? "." : delimiters);
  }

  /** Whether the string ends with a macro (a domain-end of its own, RFC 7208 §7.1). */
  boolean endsWithMacro() {
    return !parts.isEmpty() && parts.get(parts.size() - 1) instanceof Macro;
  }

  /** The literal text after the last macro, or the whole text when there is none. */
  String trailingLiteral() {
    if (parts.isEmpty() || endsWithMacro()) {
      return "";
    }
    return ((Literal) parts.get(parts.size() - 1)).text();
  }

  /** Whether the string has no parts at all. */
  boolean isEmpty() {
    return parts.isEmpty();
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder();
    for (Part part : parts) {
      if (part instanceof Literal literal) {
        text.append(literal.text().replace("%", "%%"));
      } else if (part instanceof Macro macro) {
        text.append("%{")
            .append(macro.urlEscape() ? Character.toUpperCase(macro.letter()) : macro.letter())
            .append(macro.keep() > 0 ? String.valueOf(macro.keep()) : "")
            .append(macro.reverse() ? "r" : "")
            .append(macro.delimiters().equals(".") ? "" : macro.delimiters())
            .append('}');
      }
    }
    return text.toString();
  }
}
