package io.postwire.inbound;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A plain SMTP client for the inbound listener's tests: one command, one reply. */
final class InboundWire implements AutoCloseable {

  private final Socket socket;
  private final BufferedReader in;
  private final OutputStream out;

  private InboundWire(Socket socket) throws IOException {
    this.socket = socket;
    this.in =
        new BufferedReader(
            new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
    this.out = socket.getOutputStream();
  }

  /** Connects, reads the greeting and says EHLO. */
  static InboundWire open(int port) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    s.setSoTimeout(15_000);
    InboundWire wire = new InboundWire(s);
    wire.reply();
    wire.command("EHLO mx.remote.test");
    return wire;
  }

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

  String command(String line) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return reply();
  }

  /** DATA with {@code message} (CRLF line ends, dot-stuffed here); returns the final reply. */
  String data(String message) throws IOException {
    String ready = command("DATA");
    if (!ready.startsWith("354")) {
      return ready;
    }
    String stuffed = message.replace("\r\n.", "\r\n..");
    out.write(stuffed.getBytes(StandardCharsets.UTF_8));
    out.write(
        (stuffed.endsWith("\r\n") ? ".\r\n" : "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return reply();
  }

  /** One whole transaction: MAIL, one RCPT, DATA; returns the RCPT reply when refused. */
  static String send(int port, String mailFrom, String rcpt, String message) throws IOException {
    try (InboundWire wire = open(port)) {
      String mail = wire.command("MAIL FROM:<" + mailFrom + ">");
      if (!mail.startsWith("250")) {
        return mail;
      }
      String r = wire.command("RCPT TO:<" + rcpt + ">");
      if (!r.startsWith("250")) {
        return r;
      }
      return wire.data(message);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
