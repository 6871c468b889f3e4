package io.postwire.smtp.server;

import java.util.Arrays;

/**
 * Reads a DATA section (RFC 5321 §4.1.1.4, §4.5.2) in pieces as they arrive: it ends at CRLF.CRLF,
 * a dot starting a line is removed, and the content is kept up to a cap (beyond it the rest is read
 * and dropped, and {@link #overflowed()} says so).
 *
 * <p>A line starts only after CRLF: a bare LF is content (the raw path makes it CRLF later), so
 * neither LF.LF nor LF.CRLF ends the data; this keeps the end of data where every other server on
 * the way sees it.
 */
public final class DataReader {

  private enum State {
    /** At the start of a line (after CRLF, or at the start of data). */
    LINE_START,
    /** A dot was read at the start of a line. */
    DOT,
    /** A dot and CR were read at the start of a line. */
    DOT_CR,
    /** Inside a line. */
    TEXT,
    /** A CR was read inside a line. */
    CR
  }

  private final int cap;
  private final int maxLine;
  // the content kept so far: unsynchronized, since every octet of a message passes through emit
  private byte[] out;
  private int kept;
  private State state = State.LINE_START;
  private long size;
  private int lineLength;
  private boolean longLine;
  private boolean done;

  /**
   * @param cap most content octets kept
   * @param maxLine longest line in octets, CRLF included (RFC 5321 §4.5.3.1.6: 1000)
   */
  public DataReader(int cap, int maxLine) {
    this.cap = cap;
    this.maxLine = maxLine;
    this.out = new byte[Math.min(cap, 8 * 1024)];
  }

  /**
   * Reads from {@code b[offset, offset + length)} and returns how many octets belonged to the data
   * (all of them unless the end was reached; what follows is the next command).
   */
  public int feed(byte[] b, int offset, int length) {
    int i = offset;
    int end = offset + length;
    while (i < end && !done) {
      byte c = b[i++];
      switch (state) {
        case LINE_START -> {
          if (c == '.') {
            state = State.DOT;
            lineLength = 1;
          } else {
            text(c);
          }
        }
        case DOT -> {
          if (c == '\r') {
            state = State.DOT_CR;
          } else {
            // a stuffed dot: the first one is dropped
            text(c);
          }
        }
        case DOT_CR -> {
          if (c == '\n') {
            done = true;
          } else {
            // ".\r" then something else: the line's content is "\r" and what follows
            state = State.TEXT;
            emit((byte) '\r');
            count();
            text(c);
          }
        }
        case TEXT -> text(c);
        case CR -> {
          if (c == '\n') {
            emit((byte) '\r');
            emit((byte) '\n');
            state = State.LINE_START;
            lineLength = 0;
          } else {
            emit((byte) '\r');
            count();
            text(c);
          }
        }
      }
    }
    return i - offset;
  }

  private void text(byte c) {
    if (c == '\r') {
      state = State.CR;
      count();
      return;
    }
    state = State.TEXT;
    emit(c);
    count();
    if (c == '\n') {
      // a bare LF: content, but it ends the line for the length limit
      lineLength = 0;
    }
  }

  private void count() {
    lineLength++;
    // the CR of the CRLF is already counted; the LF adds one more
    if (lineLength + 1 > maxLine) {
      longLine = true;
    }
  }

  private void emit(byte c) {
    size++;
    if (size <= cap) {
      if (kept == out.length) {
        out = Arrays.copyOf(out, (int) Math.min(cap, 2L * out.length));
      }
      out[kept++] = c;
    }
  }

  /** Whether CRLF.CRLF was read. */
  public boolean done() {
    return done;
  }

  /** Whether the content was larger than the cap (and so was not kept whole). */
  public boolean overflowed() {
    return size > cap;
  }

  /** Content octets read, kept or not. */
  public long size() {
    return size;
  }

  /** Whether a line was longer than the limit. */
  public boolean longLine() {
    return longLine;
  }

  /** The content read, its final CRLF included. */
  public byte[] content() {
    return Arrays.copyOf(out, kept);
  }
}
