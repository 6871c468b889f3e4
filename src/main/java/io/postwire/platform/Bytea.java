package io.postwire.platform;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

/**
 * Message content to and from {@code bytea} without copies: a rendered message is the largest value
 * the service stores and reads, once each per message.
 */
public final class Bytea {

  private Bytea() {}

  /** A parameter holding {@code bytes}: the client encodes them from the array itself. */
  public static Buffer param(byte[] bytes) {
    return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
  }

  /**
   * A column's bytes: the array the client decoded the value into when it holds exactly the value
   * (a fresh array per value, which nothing else writes), else a copy.
   */
  public static byte[] bytes(Buffer value) {
    ByteBuf buf = value.getByteBuf();
    if (buf.hasArray()
        && buf.arrayOffset() + buf.readerIndex() == 0
        && buf.readableBytes() == buf.array().length) {
      return buf.array();
    }
    return value.getBytes();
  }
}
