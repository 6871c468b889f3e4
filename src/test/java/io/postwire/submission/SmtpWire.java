package io.postwire.submission;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** A raw SMTP client on loopback: writes bytes as given and reads whole replies. */
final class SmtpWire implements AutoCloseable {

  private Socket socket;
  private BufferedReader in;
  private OutputStream out;

  private SmtpWire(Socket socket) throws IOException {
    use(socket);
  }

  static SmtpWire connect(int port) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    s.setSoTimeout(15_000);
    return new SmtpWire(s);
  }

  /** Connects with TLS from the first octet. */
  static SmtpWire connectTls(int port) throws Exception {
    SSLSocket s =
        (SSLSocket)
            trustAll().getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
    s.setSoTimeout(15_000);
    s.startHandshake();
    return new SmtpWire(s);
  }

  private void use(Socket s) throws IOException {
    socket = s;
    in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
    out = s.getOutputStream();
  }

  /** Sends {@code text} as it is (CRLF line ends are the caller's). */
  void write(String text) throws IOException {
    write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  void write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads one reply, all its lines joined by "\n"; null when the server closed. */
  String reply() throws IOException {
    List<String> lines = new ArrayList<>();
    while (true) {
      String line = in.readLine();
      if (line == null) {
        return lines.isEmpty() ? null : String.join("\n", lines);
      }
      lines.add(line);
      if (line.length() < 4 || line.charAt(3) != '-') {
        return String.join("\n", lines);
      }
    }
  }

  /** Sends a command line and reads its reply. */
  String command(String line) throws IOException {
    write(line + "\r\n");
    return reply();
  }

  /** Greeting, EHLO, STARTTLS, EHLO again. */
  void secure() throws Exception {
    reply();
    command("EHLO client.test");
    String ready = command("STARTTLS");
    if (!ready.startsWith("220")) {
      throw new IllegalStateException(ready);
    }
    upgrade();
    command("EHLO client.test");
  }

  /** The TLS handshake on the open connection (after a 220 to STARTTLS). */
  void upgrade() throws Exception {
    SSLSocket tls =
        (SSLSocket)
            trustAll().getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
    tls.setSoTimeout(15_000);
    tls.startHandshake();
    use(tls);
  }

  /** TLS and AUTH PLAIN with {@code key}; returns the AUTH reply. */
  String login(String key) throws Exception {
    secure();
    return command("AUTH PLAIN " + plain("user", key));
  }

  static String plain(String user, String password) {
    return Base64.getEncoder()
        .encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** Whether the server has closed the connection (reads until the end or a timeout). */
  boolean closedByServer() throws IOException {
    try {
      return in.readLine() == null;
    } catch (SocketException e) {
      return true;
    }
  }

  static SSLContext trustAll() throws Exception {
    TrustManager trust =
        new X509TrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String type) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String type) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {trust}, null);
    return context;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
