package io.postwire.analytics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** The CSV writer against an RFC 4180 reader: whatever the fields hold, they read back as given. */
class CsvProperties {

  /** An RFC 4180 (§2) reader: CRLF records, fields quoted with doubled inner quotes. */
  static List<List<String>> read(String csv) {
    List<List<String>> records = new ArrayList<>();
    List<String> record = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    int i = 0;
    boolean quoted = false;
    while (i < csv.length()) {
      char c = csv.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
          field.append('"');
          i += 2;
          continue;
        }
        if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
        i++;
        continue;
      }
      if (c == '"') {
        assertThat(field).as("a quote only opens a field").isEmpty();
        quoted = true;
      } else if (c == ',') {
        record.add(field.toString());
        field.setLength(0);
      } else if (c == '\r' && i + 1 < csv.length() && csv.charAt(i + 1) == '\n') {
        record.add(field.toString());
        field.setLength(0);
        records.add(record);
        record = new ArrayList<>();
        i++;
      } else {
        assertThat(c).as("no bare CR or LF outside quotes").isNotIn('\r', '\n');
        field.append(c);
      }
      i++;
    }
    assertThat(quoted).as("every quoted field is closed").isFalse();
    assertThat(record).as("every record ends with CRLF").isEmpty();
    return records;
  }

  @Property
  void everyFieldReadsBackAsWritten(
      @ForAll @Size(min = 1, max = 5) List<@StringLength(max = 20) String> values) {
    List<String> header = new ArrayList<>();
    Map<String, Object> row = new LinkedHashMap<>();
    for (int i = 0; i < values.size(); i++) {
      header.add("f" + i);
      row.put("f" + i, values.get(i));
    }
    List<List<String>> read = read(Csv.write(header, List.of(row)));
    assertThat(read).hasSize(2);
    assertThat(read.get(0)).isEqualTo(header);
    assertThat(read.get(1)).isEqualTo(values);
  }

  @Test
  void quotesOnlyWhatNeedsItAndWritesNullAsEmpty() {
    assertThat(Csv.field("plain")).isEqualTo("plain");
    assertThat(Csv.field(0.25)).isEqualTo("0.25");
    assertThat(Csv.field(null)).isEmpty();
    assertThat(Csv.field("a,b")).isEqualTo("\"a,b\"");
    assertThat(Csv.field("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
    assertThat(Csv.field("two\r\nlines")).isEqualTo("\"two\r\nlines\"");
  }
}
