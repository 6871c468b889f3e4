package io.postwire.testing.dns;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * An authoritative DNS server for tests, on 127.0.0.1 (UDP and TCP, one ephemeral port), serving
 * records from zone text or added one by one, with names that can be made to time out or SERVFAIL.
 *
 * <pre>{@code
 * try (TestDnsServer dns = TestDnsServer.start()) {
 *   dns.zone("example.org", "@ MX 10 mx1\nmx1 A 127.0.0.2\n");
 *   dns.servfail("broken.example.org");
 *   new Dns(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(1), 0), null);
 * }
 * }</pre>
 */
public final class TestDnsServer implements AutoCloseable {

  private static final long TTL = 300;

  private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
  private final Map<Name, SOARecord> zones = new ConcurrentHashMap<>();
  private final Set<Name> timeouts = ConcurrentHashMap.newKeySet();
  private final Set<Name> servfails = ConcurrentHashMap.newKeySet();
  private final Set<String> typedTimeouts = ConcurrentHashMap.newKeySet();
  private final List<String> queryLog = new CopyOnWriteArrayList<>();
  private final AtomicInteger queryCount = new AtomicInteger();
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final ExecutorService threads = Executors.newCachedThreadPool(TestDnsServer::daemon);
  private volatile boolean running = true;

  private TestDnsServer() throws IOException {
    InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    ServerSocket tcpSocket = null;
    DatagramSocket udpSocket = null;
    // UDP and TCP must share one port number; retry when the UDP port is taken for TCP.
    for (int attempt = 0; attempt < 20 && udpSocket == null; attempt++) {
      DatagramSocket candidate = new DatagramSocket(new InetSocketAddress(loopback, 0));
      try {
        tcpSocket = new ServerSocket();
        tcpSocket.setReuseAddress(true);
        tcpSocket.bind(new InetSocketAddress(loopback, candidate.getLocalPort()), 50);
        udpSocket = candidate;
      } catch (IOException taken) {
        candidate.close();
        if (tcpSocket != null) {
          tcpSocket.close();
        }
      }
    }
    if (udpSocket == null) {
      throw new IOException("no free port for UDP and TCP on 127.0.0.1");
    }
    this.udp = udpSocket;
    this.tcp = tcpSocket;
    threads.execute(this::serveUdp);
    threads.execute(this::serveTcp);
  }

  /** Starts a server on 127.0.0.1 with an ephemeral port. */
  public static TestDnsServer start() {
    try {
      return new TestDnsServer();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The port, the same for UDP and TCP. */
  public int port() {
    return udp.getLocalPort();
  }

  /** The address to give a resolver. */
  public InetSocketAddress address() {
    return new InetSocketAddress(udp.getLocalAddress(), port());
  }

  /**
   * Loads zone text (master file syntax, RFC 1035 §5) with {@code origin} as {@code $ORIGIN} and a
   * default TTL of 300 seconds. An SOA is made up when the text has none, with a negative-caching
   * TTL of 60 seconds; names outside every zone get negative answers that must not be cached.
   */
  public TestDnsServer zone(String origin, String zoneText) {
    Name zoneName = name(origin);
    try (Master master =
        new Master(
            new ByteArrayInputStream(zoneText.getBytes(StandardCharsets.UTF_8)), zoneName, TTL)) {
      Record record;
      boolean hasSoa = false;
      while ((record = master.nextRecord()) != null) {
        if (record instanceof SOARecord soa) {
          zones.put(soa.getName(), soa);
          hasSoa = true;
        }
        add(record);
      }
      if (!hasSoa) {
        zones.put(zoneName, soa(zoneName, 60));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("bad zone text for " + origin + ": " + e.getMessage(), e);
    }
    return this;
  }

  /** Adds one record. */
  public TestDnsServer add(Record record) {
    records.computeIfAbsent(record.getName(), k -> new CopyOnWriteArrayList<>()).add(record);
    return this;
  }

  /** Removes every record of {@code type} at {@code owner} (a record that changes, e.g. an id). */
  public TestDnsServer remove(String owner, int type) {
    List<Record> list = records.get(name(owner));
    if (list != null) {
      list.removeIf(r -> r.getType() == type);
    }
    return this;
  }

  /** Adds an A record. */
  public TestDnsServer a(String owner, String ipv4) {
    return add(new ARecord(name(owner), DClass.IN, TTL, literal(ipv4)));
  }

  /** Adds an AAAA record. */
  public TestDnsServer aaaa(String owner, String ipv6) {
    return add(new AAAARecord(name(owner), DClass.IN, TTL, literal(ipv6)));
  }

  /** Adds an MX record; a target of {@code "."} makes the null MX. */
  public TestDnsServer mx(String owner, int preference, String target) {
    return add(new MXRecord(name(owner), DClass.IN, TTL, preference, name(target)));
  }

  /**
   * Adds a TXT record made of the given character-strings, each sent as its UTF-8 bytes exactly (no
   * zone-file escapes), at most 255 bytes each.
   */
  public TestDnsServer txt(String owner, String... strings) {
    return add(Record.newRecord(name(owner), Type.TXT, DClass.IN, TTL, characterStrings(strings)));
  }

  /** Adds a TXT record from a long text, split into 255-byte character-strings. */
  public TestDnsServer longTxt(String owner, String text) {
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < text.length(); i += 255) {
      strings.add(text.substring(i, Math.min(text.length(), i + 255)));
    }
    return txt(owner, strings.toArray(String[]::new));
  }

  /** Adds a record of the obsolete SPF type 99 (RFC 7208 §3.1 / §14.1). */
  public TestDnsServer spf(String owner, String... strings) {
    return add(Record.newRecord(name(owner), Type.SPF, DClass.IN, TTL, characterStrings(strings)));
  }

  private static byte[] characterStrings(String... strings) {
    ByteArrayOutputStream rdata = new ByteArrayOutputStream();
    for (String string : strings) {
      byte[] bytes = string.getBytes(StandardCharsets.UTF_8);
      if (bytes.length > 255) {
        throw new IllegalArgumentException("character-string over 255 bytes: " + string);
      }
      rdata.write(bytes.length);
      rdata.write(bytes, 0, bytes.length);
    }
    return rdata.toByteArray();
  }

  /** Adds a PTR record. */
  public TestDnsServer ptr(String owner, String target) {
    return add(new PTRRecord(name(owner), DClass.IN, TTL, name(target)));
  }

  /** Adds a CNAME record. */
  public TestDnsServer cname(String owner, String target) {
    return add(new CNAMERecord(name(owner), DClass.IN, TTL, name(target)));
  }

  /** Adds an NS record. */
  public TestDnsServer ns(String owner, String target) {
    return add(new NSRecord(name(owner), DClass.IN, TTL, name(target)));
  }

  /** Makes every query for {@code owner} go unanswered, so clients time out. */
  public TestDnsServer timeout(String owner) {
    timeouts.add(name(owner));
    return this;
  }

  /** Makes queries for {@code owner} of one type go unanswered. */
  public TestDnsServer timeout(String owner, int type) {
    typedTimeouts.add(name(owner) + " " + type);
    return this;
  }

  /** Makes every query for {@code owner} answer SERVFAIL. */
  public TestDnsServer servfail(String owner) {
    servfails.add(name(owner));
    return this;
  }

  /** Forgets all records, zones, timeouts and SERVFAIL names. */
  public TestDnsServer clear() {
    records.clear();
    zones.clear();
    timeouts.clear();
    typedTimeouts.clear();
    servfails.clear();
    queryLog.clear();
    return this;
  }

  /** How many queries the server has received. */
  public int queryCount() {
    return queryCount.get();
  }

  /** The queries received, as {@code "name TYPE"}, oldest first. */
  public List<String> queries() {
    return List.copyOf(queryLog);
  }

  @Override
  public void close() {
    running = false;
    udp.close();
    try {
      tcp.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    threads.shutdownNow();
  }

  private void serveUdp() {
    byte[] buffer = new byte[65535];
    while (running) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        udp.receive(packet);
        byte[] query = Arrays.copyOf(packet.getData(), packet.getLength());
        Message request = new Message(query);
        Message response = answer(request);
        if (response == null) {
          continue;
        }
        OPTRecord opt = request.getOPT();
        int limit = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
        byte[] wire = response.toWire(limit); // sets TC when the answer does not fit
        udp.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
      } catch (SocketException closed) {
        return;
      } catch (IOException malformed) {
        // a packet that is not a DNS message gets no answer, like a real server under attack
      }
    }
  }

  private void serveTcp() {
    while (running) {
      try {
        Socket socket = tcp.accept();
        threads.execute(() -> serveTcpConnection(socket));
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serveTcpConnection(Socket socket) {
    try (socket) {
      socket.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      while (running) {
        int length = in.readUnsignedShort();
        byte[] query = new byte[length];
        in.readFully(query);
        Message response = answer(new Message(query));
        if (response == null) {
          continue;
        }
        byte[] wire = response.toWire();
        out.writeShort(wire.length);
        out.write(wire);
        out.flush();
      }
    } catch (IOException done) {
      // client closed or sent garbage
    }
  }

  /** Builds the authoritative answer, or null to stay silent. */
  Message answer(Message request) {
    queryCount.incrementAndGet();
    Record question = request.getQuestion();
    Message response = new Message(request.getHeader().getID());
    Header header = response.getHeader();
    header.setFlag(Flags.QR);
    if (request.getHeader().getFlag(Flags.RD)) {
      header.setFlag(Flags.RD);
    }
    if (question == null) {
      header.setRcode(Rcode.FORMERR);
      return response;
    }
    response.addRecord(question, Section.QUESTION);
    Name qname = question.getName();
    int qtype = question.getType();
    queryLog.add(qname + " " + Type.string(qtype));
    if (timeouts.contains(qname) || typedTimeouts.contains(qname + " " + qtype)) {
      return null;
    }
    if (servfails.contains(qname)) {
      header.setRcode(Rcode.SERVFAIL);
      return response;
    }
    header.setFlag(Flags.AA);
    header.setFlag(Flags.RA);
    Name current = qname;
    for (int hops = 0; hops < 16; hops++) {
      List<Record> node = node(current);
      if (node == null) {
        header.setRcode(Rcode.NXDOMAIN);
        response.addRecord(soaFor(current), Section.AUTHORITY);
        return response;
      }
      List<Record> matching = new ArrayList<>();
      Record cname = null;
      for (Record record : node) {
        if (record.getType() == qtype || qtype == Type.ANY) {
          matching.add(record);
        } else if (record.getType() == Type.CNAME) {
          cname = record;
        }
      }
      if (!matching.isEmpty()) {
        for (Record record : matching) {
          response.addRecord(withOwner(record, current), Section.ANSWER);
        }
        return response;
      }
      if (cname == null) {
        response.addRecord(soaFor(current), Section.AUTHORITY); // NODATA
        return response;
      }
      response.addRecord(withOwner(cname, current), Section.ANSWER);
      current = ((CNAMERecord) cname).getTarget();
      if (timeouts.contains(current)) {
        return null;
      }
      if (servfails.contains(current)) {
        header.setRcode(Rcode.SERVFAIL);
        return response;
      }
    }
    return response;
  }

  /**
   * The records at a name: its own, a wildcard's (RFC 4592) when the name does not exist, an empty
   * list for an empty non-terminal, or null when the name does not exist at all.
   */
  private List<Record> node(Name name) {
    List<Record> own = records.get(name);
    if (own != null && !own.isEmpty()) {
      return own;
    }
    if (hasDescendant(name)) {
      return List.of();
    }
    for (int labels = name.labels() - 1; labels >= 1; labels--) {
      Name ancestor = new Name(name, name.labels() - labels);
      boolean exists = records.containsKey(ancestor) || hasDescendantOtherThan(ancestor, name);
      if (exists) {
        try {
          List<Record> wildcard =
              records.get(Name.concatenate(Name.fromConstantString("*"), ancestor));
          return wildcard != null && !wildcard.isEmpty() ? wildcard : null;
        } catch (NameTooLongException e) {
          return null;
        }
      }
    }
    return null;
  }

  private boolean hasDescendant(Name name) {
    for (Name owner : records.keySet()) {
      if (!owner.equals(name) && owner.subdomain(name)) {
        return true;
      }
    }
    return zones.containsKey(name);
  }

  private boolean hasDescendantOtherThan(Name ancestor, Name name) {
    for (Name owner : records.keySet()) {
      if (!owner.equals(ancestor) && owner.subdomain(ancestor) && !name.subdomain(owner)) {
        return true;
      }
    }
    return false;
  }

  private static Record withOwner(Record record, Name owner) {
    return record.getName().isWild() ? record.withName(owner) : record;
  }

  private SOARecord soaFor(Name name) {
    SOARecord best = null;
    for (Map.Entry<Name, SOARecord> zone : zones.entrySet()) {
      if (name.subdomain(zone.getKey())
          && (best == null || zone.getKey().labels() > best.getName().labels())) {
        best = zone.getValue();
      }
    }
    // Outside every loaded zone: a root SOA with TTL 0 keeps negative answers out of caches.
    return best != null ? best : soa(Name.root, 0);
  }

  private static SOARecord soa(Name zone, long negativeTtl) {
    try {
      Name host =
          zone.equals(Name.root)
              ? Name.fromString("ns.test.")
              : Name.concatenate(Name.fromString("ns"), zone);
      return new SOARecord(
          zone, DClass.IN, negativeTtl, host, host, 1, 3600, 600, 86400, negativeTtl);
    } catch (TextParseException | NameTooLongException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Name name(String text) {
    if (text.isEmpty() || text.equals(".")) {
      return Name.root;
    }
    try {
      return Name.fromString(text, Name.root);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("bad DNS name '" + text + "': " + e.getMessage(), e);
    }
  }

  private static InetAddress literal(String address) {
    if (!address.matches("[0-9A-Fa-f:.]+")) {
      throw new IllegalArgumentException("not an IP literal: " + address);
    }
    try {
      return InetAddress.getByName(address); // a literal: no lookup happens
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP literal: " + address, e);
    }
  }

  private static Thread daemon(Runnable task) {
    Thread thread = new Thread(task, "test-dns-server");
    thread.setDaemon(true);
    return thread;
  }
}
