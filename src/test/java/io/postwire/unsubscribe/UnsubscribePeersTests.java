package io.postwire.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import io.postwire.delivery.RelayDeliveryTests;
import io.postwire.testing.Db;
import io.postwire.testing.PeerProcess;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One-click unsubscribe against real peers: curl makes the POST exactly as Gmail's unsubscriber
 * does (RFC 8058 §3.2), and dkimpy (Debian's python3-dkim) verifies the delivered message with both
 * fields in its signature. The key records come from the domain document and are handed to dkimpy's
 * {@code dnsfunc}: no name is resolved. A missing peer fails these tests.
 */
@QuarkusTest
@TestProfile(UnsubscribeTests.Profile.class)
@Tag("peers")
class UnsubscribePeersTests {

  static final Path PYTHON = Path.of("/usr/bin/python3");
  static final Path CURL = Path.of("/usr/bin/curl");

  /** Verifies the message on stdin; prints PASS or FAIL, then the signature's h= names. */
  static final String VERIFY =
      String.join(
          "\n",
          "import sys, dkim",
          "from dkim.util import parse_tag_value",
          "records = dict(a.split('=', 1) for a in sys.argv[1:])",
          "def dnsfunc(name, timeout=5):",
          "    n = name.decode() if isinstance(name, bytes) else name",
          "    return records.get(n.rstrip('.'), '').encode()",
          "msg = sys.stdin.buffer.read()",
          "d = dkim.DKIM(msg)",
          "try:",
          "    ok = d.verify(dnsfunc=dnsfunc)",
          "except dkim.ValidationError as e:",
          "    ok = False",
          "print('PASS' if ok else 'FAIL')",
          "sig = [v for k, v in d.headers if k.lower() == b'dkim-signature'][0]",
          "h = parse_tag_value(b''.join(sig.split()))[b'h']",
          "print(h.decode().lower())",
          "");

  @Inject Pool pool;

  static List<String> dkimpy(byte[] message, Map<String, String> records) {
    assertThat(Files.isExecutable(PYTHON))
        .as("/usr/bin/python3 with Debian's python3-dkim is required")
        .isTrue();
    List<String> cmd =
        Stream.concat(
                Stream.of(PYTHON.toString(), "-c", VERIFY),
                records.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()))
            .collect(Collectors.toList());
    PeerProcess.Result result =
        PeerProcess.run("dkimpy", cmd, Map.of(), message, Duration.ofSeconds(60));
    return result.stdoutIfSucceeded().lines().collect(Collectors.toList());
  }

  @Test
  void dkimpyVerifiesTheSignedFieldsAndCurlsGmailStylePostUnsubscribes() throws Exception {
    String domain = UnsubscribeTests.register();
    String to = UnsubscribeTests.recipient();
    String id = UnsubscribeTests.send(UnsubscribeTests.message(domain, to, true));
    byte[] bytes = UnsubscribeTests.delivered(to);
    Map<String, String> records = RelayDeliveryTests.keyRecords(domain);

    List<String> verdict = dkimpy(bytes, records);
    assertThat(verdict.get(0)).as(String.join("\n", verdict)).isEqualTo("PASS");
    assertThat(List.of(verdict.get(1).split(":")))
        .contains("list-unsubscribe", "list-unsubscribe-post");
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    byte[] otherLink =
        text.replace(
                "List-Unsubscribe-Post: List-Unsubscribe=One-Click", "List-Unsubscribe-Post: x")
            .getBytes(StandardCharsets.ISO_8859_1);
    assertThat(dkimpy(otherLink, records).get(0)).isEqualTo("FAIL");

    String path = UnsubscribeTests.links(bytes).group(1);
    assertThat(Files.isExecutable(CURL)).as("/usr/bin/curl is required").isTrue();
    // what Gmail sends: curl -X POST -d 'List-Unsubscribe=One-Click' <url>
    String url = "http://127.0.0.1:" + RestAssured.port + path;
    PeerProcess.Result curl =
        PeerProcess.run(
            "curl",
            List.of(
                CURL.toString(),
                "-sS",
                "--max-time",
                "20",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                "POST",
                "-d",
                "List-Unsubscribe=One-Click",
                url),
            Map.of(),
            new byte[0],
            Duration.ofSeconds(30));
    assertThat(curl.stdoutIfSucceeded()).isEqualTo("200");
    assertThat(
            Db.count(
                pool,
                "select count(*) from suppression where address = $1 and domain = $2"
                    + " and reason = 'unsubscribe'",
                to,
                domain))
        .isEqualTo(1);
    assertThat(
            Db.count(
                pool,
                "select count(*) from event where message_id = $1 and type = 'unsubscribed'",
                UUID.fromString(id)))
        .isEqualTo(1);

    // a forged token: curl gets 404
    PeerProcess.Result forged =
        PeerProcess.run(
            "curl",
            List.of(
                CURL.toString(),
                "-sS",
                "--max-time",
                "20",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                "POST",
                "-d",
                "List-Unsubscribe=One-Click",
                url.substring(0, url.length() - 3) + "AAA"),
            Map.of(),
            new byte[0],
            Duration.ofSeconds(30));
    assertThat(forged.stdoutIfSucceeded()).isEqualTo("404");
  }
}
