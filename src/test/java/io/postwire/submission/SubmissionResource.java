package io.postwire.submission;

import io.postwire.testing.GreenMailResource;
import io.postwire.testing.Ports;
import io.postwire.testing.smtp.TestCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * SMTP submission on two free loopback ports (STARTTLS and implicit TLS) with a self-signed
 * certificate and small limits, delivering in relay mode to GreenMail.
 */
public class SubmissionResource extends GreenMailResource {

  public static volatile int port;
  public static volatile int tlsPort;

  /** The limits the tests run into; a message at the size limit is read off the event loop. */
  public static final int MAX_SIZE = 300_000;

  public static final int MAX_RECIPIENTS = 3;
  public static final int MAX_PER_IP = 6;

  @Override
  public Map<String, String> start() {
    Map<String, String> config = new HashMap<>(super.start());
    try {
      Path dir = Files.createTempDirectory("submission-tls");
      TestCertificates.selfSignedPem("localhost", dir);
      port = Ports.free();
      tlsPort = Ports.free();
      config.put("postwire.submission.port", Integer.toString(port));
      config.put("postwire.submission.implicit-tls-port", Integer.toString(tlsPort));
      config.put("postwire.submission.tls.cert", dir.resolve("cert.pem").toString());
      config.put("postwire.submission.tls.key", dir.resolve("key.pem").toString());
      config.put("postwire.submission.max-size", Integer.toString(MAX_SIZE));
      config.put("postwire.submission.max-recipients", Integer.toString(MAX_RECIPIENTS));
      config.put("postwire.submission.max-connections-per-ip", Integer.toString(MAX_PER_IP));
      config.put("postwire.submission.idle-timeout", "3s");
      config.put("postwire.submission.max-errors", "5");
      return config;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
