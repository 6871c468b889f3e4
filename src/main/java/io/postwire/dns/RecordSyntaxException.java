package io.postwire.dns;

/** A DNS text record that does not follow its grammar, with where the problem starts. */
public class RecordSyntaxException extends IllegalArgumentException {

  private final int position;

  /**
   * @param position the 1-based character position in the record text where the problem starts
   * @param message what is wrong, in the words of the record's RFC
   */
  public RecordSyntaxException(int position, String message) {
    super(message + " (at position " + position + ")");
    this.position = position;
  }

  /** The 1-based character position in the record text where the problem starts. */
  public int position() {
    return position;
  }
}
