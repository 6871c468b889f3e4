package io.postwire.platform;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads request bodies ourselves (rather than letting the framework bind them) so that every
 * failure gets its API.md code: unreadable JSON is 400 {@code malformed_json}, a readable document
 * of the wrong shape is 422 {@code validation_failed} naming the field.
 */
@ApplicationScoped
public class Json {

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final ObjectMapper mapper;

  public Json(ObjectMapper mapper) {
    this.mapper =
        mapper
            .copy()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  /** Parses a whole body into a tree, or fails with 400 {@code malformed_json}. */
  public JsonNode tree(byte[] body) {
    if (body == null || body.length == 0) {
      throw Refusal.malformed("The request body is empty");
    }
    if (!isUtf8(body)) {
      // RFC 8259 section 8.1: JSON exchanged between systems is UTF-8; the parser lets some
      // ill-formed sequences (surrogates, overlong forms) through, which we would then store
      throw Refusal.malformed("The request body is not valid UTF-8");
    }
    try {
      JsonNode node = mapper.readTree(body);
      if (node == null || node.isMissingNode()) {
        throw Refusal.malformed("The request body is empty");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw Refusal.malformed("The request body is not valid JSON");
    } catch (IOException e) {
      throw Refusal.malformed("The request body could not be read");
    }
  }

  /**
   * Whether {@code b} is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
   * past U+10FFFF), checked in place: a request body is mostly ASCII, and decoding it to characters
   * only to check it cost a tenth of the service's CPU with realistic mail.
   */
  static boolean isUtf8(byte[] b) {
    int n = b.length;
    int i = 0;
    while (i < n) {
      // eight ASCII bytes at a time: most of a body is ASCII
      if (i + 8 <= n && ((long) LONGS.get(b, i) & 0x8080808080808080L) == 0) {
        i += 8;
        continue;
      }
      int c = b[i];
      if (c >= 0) {
        i++;
        continue;
      }
      c &= 0xff;
      if (c < 0xc2 || c > 0xf4) {
        return false;
      }
      int need = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
      if (i + need >= n) {
        return false;
      }
      int c1 = b[i + 1] & 0xff;
      if ((c1 & 0xc0) != 0x80
          || c == 0xe0 && c1 < 0xa0
          || c == 0xed && c1 >= 0xa0
          || c == 0xf0 && c1 < 0x90
          || c == 0xf4 && c1 >= 0x90) {
        return false;
      }
      for (int k = 2; k <= need; k++) {
        if ((b[i + k] & 0xc0) != 0x80) {
          return false;
        }
      }
      i += need + 1;
    }
    return true;
  }

  /** Parses a whole body and binds it to a type: 400 or 422 as {@link #tree} and {@link #bind}. */
  public <T> T read(byte[] body, Class<T> type) {
    return bind(tree(body), type, "");
  }

  /**
   * Binds a parsed tree to a type, or fails with 422 {@code validation_failed} naming the field.
   */
  public <T> T bind(JsonNode node, Class<T> type, String pathPrefix) {
    if (!node.isObject()) {
      throw Refusal.field(
          "validation_failed", pathPrefix.isEmpty() ? "$" : pathPrefix, "must be a JSON object");
    }
    refuseNul(node, pathPrefix);
    try {
      return mapper.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      String field = pathPrefix + path(e);
      String problem = e instanceof MismatchedInputException ? "has the wrong type" : "is invalid";
      throw Refusal.field("validation_failed", field.isEmpty() ? "$" : field, problem);
    }
  }

  /**
   * Refuses U+0000 anywhere in a request: a mail header or a 7bit body cannot carry NUL (RFC 5322
   * §3.5, RFC 2045 §2.7) and PostgreSQL's text and jsonb cannot store it. Refuses a lone UTF-16
   * surrogate too ({@code "\ud800"} in JSON): it is no character, and has no UTF-8 form.
   */
  private static void refuseNul(JsonNode node, String path) {
    if (node.isTextual()) {
      String text = node.textValue();
      if (text.indexOf('\0') >= 0) {
        throw Refusal.field(
            "validation_failed", path.isEmpty() ? "$" : path, "must not contain NUL (U+0000)");
      }
      if (loneSurrogate(text)) {
        throw Refusal.field(
            "validation_failed",
            path.isEmpty() ? "$" : path,
            "must not contain a lone surrogate (not a Unicode character)");
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        refuseNul(node.get(i), path + "[" + i + "]");
      }
    } else if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getKey().indexOf('\0') >= 0) {
          throw Refusal.field(
              "validation_failed",
              path.isEmpty() ? "$" : path,
              "a member name must not contain NUL (U+0000)");
        }
        refuseNul(field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey());
      }
    }
  }

  private static boolean loneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return true;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  public byte[] write(Object value) {
    try {
      return mapper.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot serialize " + value.getClass(), e);
    }
  }

  private static String path(JsonProcessingException e) {
    if (!(e instanceof JsonMappingException mapping)) {
      return "";
    }
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : mapping.getPath()) {
      if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      } else if (ref.getFieldName() != null) {
        if (!path.isEmpty()) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      }
    }
    return path.toString();
  }
}
