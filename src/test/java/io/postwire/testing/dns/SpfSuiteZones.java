package io.postwire.testing.dns;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.Type;

/**
 * Loads the {@code zonedata} of an openspf test-suite scenario into a {@link TestDnsServer}, with
 * the conventions of the suite's own driver: SPF (type 99) records are also served as TXT unless
 * the name has TXT data of its own, {@code NONE} means no record, and {@code TIMEOUT} makes every
 * type without a record listed before it go unanswered.
 */
public final class SpfSuiteZones {

  private static final int[] QUERIED_TYPES = {
    Type.A, Type.AAAA, Type.MX, Type.TXT, Type.PTR, Type.SPF, Type.CNAME
  };

  private SpfSuiteZones() {}

  /**
   * Serves {@code zonedata} (name → list of {TYPE: value} maps or "TIMEOUT") from {@code server}.
   */
  @SuppressWarnings("unchecked")
  public static void load(TestDnsServer server, Map<String, Object> zonedata) {
    for (Map.Entry<String, Object> entry : zonedata.entrySet()) {
      String name = entry.getKey();
      List<Object> items = (List<Object>) entry.getValue();
      boolean hasTxt = false;
      for (Object item : items) {
        if (item instanceof Map<?, ?> map && map.containsKey("TXT")) {
          hasTxt = true;
        }
      }
      Set<Integer> answered = new HashSet<>();
      for (Object item : items) {
        if ("TIMEOUT".equals(item)) {
          for (int type : QUERIED_TYPES) {
            if (!answered.contains(type)) {
              server.timeout(name, type);
            }
          }
          continue;
        }
        for (Map.Entry<String, Object> record : ((Map<String, Object>) item).entrySet()) {
          String type = record.getKey().toUpperCase(Locale.ROOT);
          Object value = record.getValue();
          int typeCode = Type.value(type);
          if ("TIMEOUT".equals(value)) {
            server.timeout(name, typeCode);
            continue;
          }
          if ("NONE".equals(value)) {
            continue;
          }
          answered.add(typeCode);
          switch (type) {
            case "A" -> server.a(name, (String) value);
            case "AAAA" -> server.aaaa(name, (String) value);
            case "MX" -> {
              List<Object> mx = (List<Object>) value;
              server.mx(name, ((Number) mx.get(0)).intValue(), (String) mx.get(1));
            }
            case "PTR" -> server.ptr(name, (String) value);
            case "CNAME" -> server.cname(name, (String) value);
            case "TXT", "SPF" -> {
              List<String> strings = strings(value);
              if (strings.isEmpty()) {
                continue; // a TXT record without strings cannot be sent; the driver skips it too
              }
              String[] array = strings.toArray(String[]::new);
              if (type.equals("TXT")) {
                server.txt(name, array);
              } else {
                server.spf(name, array);
                if (!hasTxt) {
                  server.txt(name, array);
                  answered.add(Type.TXT);
                }
              }
            }
            default -> throw new IllegalArgumentException("record type " + type + " at " + name);
          }
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static List<String> strings(Object value) {
    if (value instanceof String text) {
      List<String> parts = new ArrayList<>();
      // longer texts are split like a zone file would have to
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      if (bytes.length <= 255) {
        return List.of(text);
      }
      for (int i = 0; i < text.length(); i += 200) {
        parts.add(text.substring(i, Math.min(text.length(), i + 200)));
      }
      return parts;
    }
    return (List<String>) value;
  }
}
