package io.postwire.reliability;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.postwire.reliability.HostileInputTests.Probe;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded generator of hostile requests against the messages, batch, raw, domains, suppressions
 * and tools endpoints. Each request says whether API.md requires it to be refused.
 */
final class HostileRequests {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JSON_TYPE = "application/json";
  private static final List<String> HEADER_FIELDS =
      List.of(
          "from",
          "to",
          "cc",
          "bcc",
          "replyTo",
          "subject",
          "headerName",
          "headerValue",
          "filename",
          "contentType",
          "contentId");
  private static final List<String> MESSAGE_FIELDS =
      List.of(
          "from",
          "to",
          "cc",
          "bcc",
          "replyTo",
          "subject",
          "text",
          "html",
          "headers",
          "attachments",
          "tags",
          "metadata",
          "sendAt",
          "expiresAt");
  private static final List<String> BREAKS =
      List.of("\r\n", "\n", "\r", "\r\nBcc: evil@example.net\r\n", "\n\n", "\r\n\r\n<html>");

  private static final String SPECIALS = "<>@\",;:\\()[]=?.%";

  private final String domain;

  HostileRequests(String domain) {
    this.domain = domain;
  }

  /** The expensive cases, once per run: 10,000 recipients, a 50 MB body, an 11 MB text. */
  List<Probe> fixedCases() {
    List<Probe> cases = new ArrayList<>();
    Map<String, Object> many = valid();
    List<String> recipients = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      recipients.add("r" + i + "@example.org");
    }
    many.put("to", recipients);
    cases.add(json("10000-recipients", "/v1/messages", many, true));
    byte[] fifty = new byte[50 * 1024 * 1024];
    Arrays.fill(fifty, (byte) 'a');
    byte[] head =
        ("{\"from\":\"a@" + domain + "\",\"to\":[\"b@example.org\"],\"text\":\"")
            .getBytes(StandardCharsets.US_ASCII);
    cases.add(
        new Probe(
            "50MB-body",
            "POST",
            "/v1/messages",
            JSON_TYPE,
            HostileInputTests.concat(head, fifty, "\"}".getBytes(StandardCharsets.US_ASCII)),
            null,
            true));
    Map<String, Object> big = valid();
    big.put("text", "x".repeat(11 * 1024 * 1024));
    cases.add(json("11MB-text", "/v1/messages", big, true));
    Map<String, Object> bigAttachment = valid();
    bigAttachment.put(
        "attachments",
        List.of(
            Map.of(
                "filename",
                "a.bin",
                "contentType",
                "application/octet-stream",
                "content",
                Base64.getEncoder().encodeToString(new byte[9 * 1024 * 1024]))));
    cases.add(
        json("9MB-attachment-over-max-size-when-encoded", "/v1/messages", bigAttachment, true));
    return cases;
  }

  Map<String, Object> valid() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("from", "Sender <s@" + domain + ">");
    m.put("to", new ArrayList<>(List.of("bob@example.org")));
    m.put("subject", "Hello");
    m.put("text", "body");
    return m;
  }

  Probe next(Random r) {
    int kind = r.nextInt(100);
    if (kind < 25) {
      return headerInjection(r);
    } else if (kind < 40) {
      return wrongType(r);
    } else if (kind < 52) {
      return randomJson(r);
    } else if (kind < 57) {
      return deepNesting(r);
    } else if (kind < 65) {
      return invalidUtf8(r);
    } else if (kind < 72) {
      return badAttachment(r);
    } else if (kind < 78) {
      return rawMessage(r);
    } else if (kind < 83) {
      return brokenJson(r);
    } else if (kind < 87) {
      return tooMany(r);
    } else if (kind < 90) {
      return hostilePath(r);
    } else if (kind < 93) {
      return reservedHeader(r);
    } else if (kind < 96) {
      return wrongMediaType(r);
    } else if (kind < 97) {
      return hugeString(r);
    }
    return badIdempotencyKey(r);
  }

  private Probe headerInjection(Random r) {
    String field = HEADER_FIELDS.get(r.nextInt(HEADER_FIELDS.size()));
    String brk = BREAKS.get(r.nextInt(BREAKS.size()));
    Map<String, Object> m = valid();
    String evil = "x" + brk + "y";
    switch (field) {
      case "from" -> m.put("from", "Sender" + brk + " <s@" + domain + ">");
      case "to", "cc", "bcc" ->
          m.put(
              field,
              List.of(
                  r.nextBoolean() ? "Bob" + brk + " <bob@example.org>" : "bob@example.org" + brk));
      case "replyTo" -> m.put("replyTo", "R" + brk + " <r@example.org>");
      case "subject" -> m.put("subject", "Hello" + brk + "Bcc: victim@example.net");
      case "headerName" -> m.put("headers", Map.of("X-A" + brk + "B", "v"));
      case "headerValue" -> m.put("headers", Map.of("X-Campaign", evil));
      default -> {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("filename", "a.txt");
        a.put("contentType", "text/plain");
        a.put(
            "content",
            Base64.getEncoder().encodeToString("hi".getBytes(StandardCharsets.US_ASCII)));
        a.put(
            field,
            field.equals("filename")
                ? "a" + brk + ".txt"
                : field.equals("contentType") ? "text/plain" + brk + "X-Evil: 1" : "cid" + brk);
        m.put("attachments", List.of(a));
      }
    }
    return maybeBatch(r, "crlf-" + field, m, true);
  }

  private Probe maybeBatch(Random r, String kind, Object message, boolean mustRefuse) {
    if (r.nextInt(5) == 0) {
      return json(kind + "-batch", "/v1/messages/batch", List.of(message), mustRefuse);
    }
    return json(kind, "/v1/messages", message, mustRefuse);
  }

  private Object wrongValue(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> r.nextLong();
      case 1 -> r.nextDouble() * 1e300;
      case 2 -> r.nextBoolean();
      case 3 -> Map.of("k", List.of(1, 2));
      case 4 -> List.of(Map.of(), 3, "x");
      case 5 -> "not-a-" + r.nextInt(1000);
      case 6 -> List.of();
      default -> Map.of();
    };
  }

  private Probe wrongType(Random r) {
    Map<String, Object> m = valid();
    String field = MESSAGE_FIELDS.get(r.nextInt(MESSAGE_FIELDS.size()));
    Object value = wrongValue(r);
    if (r.nextBoolean()) {
      m.put(field, value);
    } else {
      // wrong types one level down
      switch (field) {
        case "to", "cc", "bcc", "tags" -> m.put(field, List.of(value));
        case "headers", "metadata" -> m.put(field, Map.of("X-K", value));
        case "attachments" -> m.put(field, List.of(Map.of("filename", value, "content", value)));
        default -> m.put(field, value);
      }
    }
    if (r.nextInt(10) == 0) {
      m.put("from", null);
    }
    // a scalar may be read as a string and make a valid message: only a structure must be refused
    boolean mustRefuse =
        isStringField(field) && (value instanceof Map<?, ?> || value instanceof List<?>);
    return maybeBatch(r, "wrong-type-" + field, m, mustRefuse);
  }

  private static boolean isStringField(String field) {
    return List.of("from", "subject", "text", "html", "replyTo", "sendAt", "expiresAt")
        .contains(field);
  }

  private Object randomValue(Random r, int depth) {
    int k = depth > 6 ? r.nextInt(5) : r.nextInt(7);
    return switch (k) {
      case 0 -> null;
      case 1 -> r.nextInt();
      case 2 -> randomString(r, r.nextInt(40));
      case 3 -> r.nextBoolean();
      case 4 -> r.nextGaussian();
      case 5 -> {
        List<Object> list = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
          list.add(randomValue(r, depth + 1));
        }
        yield list;
      }
      default -> {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = r.nextInt(5); i > 0; i--) {
          map.put(
              r.nextInt(4) == 0
                  ? MESSAGE_FIELDS.get(r.nextInt(MESSAGE_FIELDS.size()))
                  : randomString(r, 8),
              randomValue(r, depth + 1));
        }
        yield map;
      }
    };
  }

  static String randomString(Random r, int length) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < length; i++) {
      int c =
          switch (r.nextInt(6)) {
            case 0 -> r.nextInt(0x20);
            case 1 -> 0x20 + r.nextInt(0x5f);
            case 2 -> 0x80 + r.nextInt(0x780);
            case 3 -> 0x1F300 + r.nextInt(0x300);
            case 4 -> SPECIALS.charAt(r.nextInt(SPECIALS.length()));
            default -> 'a' + r.nextInt(26);
          };
      s.appendCodePoint(c);
    }
    return s.toString();
  }

  private static final List<String> JSON_PATHS =
      List.of(
          "/v1/messages",
          "/v1/messages/batch",
          "/v1/messages/raw",
          "/v1/domains",
          "/v1/api-keys",
          "/v1/tools/spf");

  private Probe randomJson(Random r) {
    String path = JSON_PATHS.get(r.nextInt(JSON_PATHS.size()));
    Object value = randomValue(r, 0);
    // random keys never name a registered domain and a valid sender, so nothing can be accepted
    boolean mustRefuse = !path.equals("/v1/tools/spf") && !path.equals("/v1/api-keys");
    if (value instanceof Map<?, ?> map
        && (map.containsKey("from") || path.equals("/v1/messages/batch"))) {
      mustRefuse = mustRefuse && !path.equals("/v1/messages/batch");
    }
    if (path.equals("/v1/api-keys") && value instanceof Map<?, ?> map && map.containsKey("name")) {
      value = List.of(value);
    }
    if (path.equals("/v1/tools/spf")) {
      // never a valid ip: the SPF tool would start DNS lookups
      value = Map.of("ip", randomString(r, 10), "sender", value == null ? "x" : value.toString());
    }
    return json("random-json" + path, path, value, mustRefuse);
  }

  private Probe deepNesting(Random r) {
    int depth = 500 + r.nextInt(r.nextBoolean() ? 2000 : 200_000);
    boolean arrays = r.nextBoolean();
    StringBuilder s =
        new StringBuilder(
            "{\"from\":\"a@"
                + domain
                + "\",\"to\":[\"b@example.org\"],\"text\":\"x\",\"metadata\":");
    for (int i = 0; i < depth; i++) {
      s.append(arrays ? "[" : "{\"a\":");
    }
    s.append("1");
    for (int i = 0; i < depth; i++) {
      s.append(arrays ? "]" : "}");
    }
    s.append("}");
    String path = r.nextBoolean() ? "/v1/messages" : "/v1/messages/batch";
    if (path.endsWith("batch")) {
      s.insert(0, "[").append("]");
    }
    // metadata is free-form: nesting within the parser's limit may be accepted
    return new Probe(
        "deep-nesting-" + (arrays ? "arrays" : "objects"),
        "POST",
        path,
        JSON_TYPE,
        s.toString().getBytes(StandardCharsets.UTF_8),
        null,
        depth > 1000);
  }

  private Probe invalidUtf8(Random r) {
    Map<String, Object> m = valid();
    String field = List.of("from", "subject", "text", "to").get(r.nextInt(4));
    String marker = "@@BAD@@";
    if (field.equals("to")) {
      m.put("to", List.of("b" + marker + "@example.org"));
    } else {
      m.put(field, m.get(field) + marker);
    }
    byte[][] bad = {
      {(byte) 0xC3, 0x28},
      {(byte) 0xFF},
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
      {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
      {(byte) 0xC0, (byte) 0xAF},
      {(byte) 0xE2, (byte) 0x82}
    };
    String text = toJson(m);
    int at = text.indexOf(marker);
    byte[] body =
        HostileInputTests.concat(
            text.substring(0, at).getBytes(StandardCharsets.UTF_8),
            bad[r.nextInt(bad.length)],
            text.substring(at + marker.length()).getBytes(StandardCharsets.UTF_8));
    return new Probe("invalid-utf8-" + field, "POST", "/v1/messages", JSON_TYPE, body, null, true);
  }

  private Probe badAttachment(Random r) {
    Map<String, Object> m = valid();
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("filename", "a.pdf");
    a.put(
        "contentType",
        List.of("application/pdf", "", "not a type", "text/plain; charset=\"", "multipart/mixed")
            .get(r.nextInt(5)));
    a.put(
        "content",
        List.of("!!!not base64!!!", "YWJj$", "Zm9v=YmFy", "=", "YQ=a", randomString(r, 20) + "@")
            .get(r.nextInt(6)));
    m.put("attachments", List.of(a));
    return maybeBatch(r, "bad-base64", m, true);
  }

  private Probe rawMessage(Random r) {
    Map<String, Object> m = new LinkedHashMap<>();
    String brk = BREAKS.get(r.nextInt(BREAKS.size()));
    int variant = r.nextInt(5);
    m.put("mailFrom", variant == 0 ? "a@" + domain + brk : "a@" + domain);
    m.put(
        "rcptTo",
        variant == 1
            ? List.of("b@example.org" + brk + "RCPT TO:<c@example.org>")
            : List.of("b@example.org"));
    String raw =
        switch (variant) {
          case 2 -> "not base64 at all!";
          case 3 ->
              Base64.getEncoder()
                  .encodeToString(randomString(r, 200).getBytes(StandardCharsets.UTF_8));
          default ->
              Base64.getEncoder()
                  .encodeToString(
                      ("From: a@" + domain + "\r\n\r\nbody").getBytes(StandardCharsets.US_ASCII));
        };
    m.put("raw", raw);
    // variant 3 is random text: with no From header it cannot be accepted; variant 4 is valid
    return json("raw-" + variant, "/v1/messages/raw", m, variant != 4);
  }

  private Probe brokenJson(Random r) {
    String text = toJson(valid());
    String broken =
        switch (r.nextInt(6)) {
          case 0 -> text.substring(0, r.nextInt(text.length()));
          case 1 -> text + "}";
          case 2 -> text.replace("\"", "'");
          case 3 -> "";
          case 4 -> text.replace(":", "=");
          default -> "\u0000" + text;
        };
    return new Probe(
        "broken-json",
        "POST",
        r.nextBoolean() ? "/v1/messages" : "/v1/messages/batch",
        JSON_TYPE,
        broken.getBytes(StandardCharsets.UTF_8),
        null,
        true);
  }

  private Probe tooMany(Random r) {
    if (r.nextBoolean()) {
      Map<String, Object> m = valid();
      List<String> to = new ArrayList<>();
      for (int i = 51 + r.nextInt(500); i > 0; i--) {
        to.add("r" + i + "@example.org");
      }
      m.put(List.of("to", "cc", "bcc").get(r.nextInt(3)), to);
      return json("too-many-recipients", "/v1/messages", m, true);
    }
    List<Object> batch = new ArrayList<>();
    for (int i = 0; i < 501; i++) {
      batch.add(valid());
    }
    return json("batch-too-large", "/v1/messages/batch", batch, true);
  }

  private Probe hostilePath(Random r) {
    String junk = URLEncoder.encode(randomString(r, 1 + r.nextInt(30)), StandardCharsets.UTF_8);
    String path =
        switch (r.nextInt(8)) {
          case 0 -> "/v1/messages/" + junk;
          case 1 -> "/v1/messages?limit=" + junk + "&after=" + junk;
          case 2 -> "/v1/messages?status=" + junk + "&recipient=" + junk;
          case 3 -> "/v1/domains/" + junk;
          case 4 -> "/v1/domains/" + junk + "/audit";
          case 5 -> "/v1/suppressions/" + junk;
          case 6 -> "/v1/api-keys?limit=-" + r.nextInt() + "&after=" + junk;
          default -> "/v1/messages?limit=" + r.nextLong();
        };
    String method = r.nextInt(4) == 0 ? "DELETE" : "GET";
    // deleting a suppression or cancelling is harmless; deleting a domain could hit our own
    if (method.equals("DELETE") && path.startsWith("/v1/domains")) {
      method = "GET";
    }
    return new Probe("hostile-path", method, path, null, null, null, false);
  }

  private Probe reservedHeader(Random r) {
    Map<String, Object> m = valid();
    String name =
        List.of(
                "From",
                "to",
                "CC",
                "Bcc",
                "Reply-To",
                "Subject",
                "Date",
                "Message-ID",
                "MIME-Version",
                "Content-Type",
                "content-transfer-encoding",
                "DKIM-Signature",
                "Return-Path",
                "Received",
                "",
                " ",
                "X Y",
                "X:Y",
                "Ä")
            .get(r.nextInt(19));
    m.put("headers", Map.of(name, "v"));
    return maybeBatch(r, "reserved-header", m, true);
  }

  private Probe wrongMediaType(Random r) {
    String type =
        List.of(
                "text/plain",
                "application/xml",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded")
            .get(r.nextInt(4));
    return new Probe(
        "media-type",
        "POST",
        "/v1/messages",
        type,
        toJson(valid()).getBytes(StandardCharsets.UTF_8),
        null,
        true);
  }

  private Probe hugeString(Random r) {
    Map<String, Object> m = valid();
    String field = List.of("subject", "from", "to", "headerValue", "filename").get(r.nextInt(5));
    String huge = "h".repeat(1_000_000 + r.nextInt(2_000_000));
    switch (field) {
      case "from" -> m.put("from", huge + "@" + domain);
      case "to" -> m.put("to", List.of(huge + "@example.org"));
      case "headerValue" -> m.put("headers", Map.of("X-Huge", huge));
      case "filename" ->
          m.put(
              "attachments",
              List.of(Map.of("filename", huge, "contentType", "text/plain", "content", "aGk=")));
      default -> m.put("subject", huge);
    }
    // an over-long local part (RFC 5321 4.5.3.1.1: 64 octets) cannot be accepted; long text may be
    return json("huge-" + field, "/v1/messages", m, field.equals("from") || field.equals("to"));
  }

  private Probe badIdempotencyKey(Random r) {
    String key = "k".repeat(256 + r.nextInt(2000));
    return new Probe(
        "idempotency-key-too-long",
        "POST",
        "/v1/messages",
        JSON_TYPE,
        toJson(valid()).getBytes(StandardCharsets.UTF_8),
        key,
        true);
  }

  private static Probe json(String kind, String path, Object body, boolean mustRefuse) {
    return new Probe(
        kind,
        "POST",
        path,
        JSON_TYPE,
        toJson(body).getBytes(StandardCharsets.UTF_8),
        null,
        mustRefuse);
  }

  static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
