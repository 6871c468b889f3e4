package io.postwire.dns;

import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.LongSupplier;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;

/**
 * A resolver that keeps whole answers, as wire bytes, under a budget in bytes rather than in
 * entries: answers on random names under a wildcard with 64 KB of records each would otherwise fill
 * the heap long before an entry limit is reached. TTLs are honoured (RFC 1035 §3.2.1, negative
 * answers for the SOA's minimum as RFC 2308 §5 says) and capped, and an answer over the size cap is
 * neither cached nor used.
 */
final class CachingResolver implements Resolver {

  /** What an entry costs beyond its wire bytes: key, map node, array header. */
  static final int ENTRY_OVERHEAD = 128;

  private final Resolver delegate;
  private final int maxEntries;
  private final long maxBytes;
  private final long maxTtlSeconds;
  private final int maxAnswerBytes;
  private final LongSupplier nanoClock;
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;

  private record Key(Name name, int type, int dclass) {}

  private record Entry(byte[] wire, long expiresAtNanos) {
    long cost() {
      return (long) wire.length + ENTRY_OVERHEAD;
    }
  }

  /**
   * @param delegate the resolver that asks the servers
   * @param maxEntries the most answers kept; 0 keeps none
   * @param maxBytes the most bytes the kept answers may take
   * @param maxTtl the longest an answer is kept, whatever its TTL says
   * @param maxAnswerBytes the largest answer used at all, in wire bytes
   */
  CachingResolver(
      Resolver delegate,
      int maxEntries,
      long maxBytes,
      Duration maxTtl,
      int maxAnswerBytes,
      LongSupplier nanoClock) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.maxTtlSeconds = maxTtl.toSeconds();
    this.maxAnswerBytes = maxAnswerBytes;
    this.nanoClock = nanoClock;
  }

  /** The bytes the kept answers take now, overhead included. */
  synchronized long bytes() {
    return bytes;
  }

  /** The number of answers kept now. */
  synchronized int size() {
    return entries.size();
  }

  @Override
  public CompletionStage<Message> sendAsync(Message query) {
    return sendAsync(query, ForkJoinPool.commonPool());
  }

  @Override
  public CompletionStage<Message> sendAsync(Message query, Executor executor) {
    Record question = query.getQuestion();
    Key key =
        question == null
            ? null
            : new Key(question.getName(), question.getType(), question.getDClass());
    if (key != null) {
      byte[] cached = cached(key);
      if (cached != null) {
        try {
          Message answer = new Message(cached);
          answer.getHeader().setID(query.getHeader().getID());
          return CompletableFuture.completedFuture(answer);
        } catch (IOException e) {
          forget(key); // cannot happen for bytes we wrote; ask again
        }
      }
    }
    return delegate
        .sendAsync(query, executor)
        .thenApply(
            answer -> {
              byte[] wire = answer.toWire();
              if (wire.length > maxAnswerBytes) {
                throw new AnswerTooLargeException(
                    "answer of "
                        + wire.length
                        + " bytes is over the "
                        + maxAnswerBytes
                        + "-byte cap (postwire.dns.max-answer-size)");
              }
              if (key != null) {
                long ttl = cacheableTtl(answer);
                if (ttl > 0) {
                  store(key, wire, ttl);
                }
              }
              return answer;
            });
  }

  /** An answer over the size cap: a failure of the lookup, never a partial answer. */
  static final class AnswerTooLargeException extends RuntimeException {
    AnswerTooLargeException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * How long an answer may be kept, in seconds (0: not at all): the smallest TTL of its answer
   * records, or for NXDOMAIN and NODATA the SOA's negative TTL (RFC 2308 §5); capped.
   */
  private long cacheableTtl(Message answer) {
    if (maxEntries <= 0 || answer.getHeader().getFlag(Flags.TC)) {
      return 0;
    }
    int rcode = answer.getRcode();
    List<Record> records = answer.getSection(Section.ANSWER);
    long ttl;
    if (rcode == Rcode.NOERROR && !records.isEmpty()) {
      ttl = Long.MAX_VALUE;
      for (Record record : records) {
        ttl = Math.min(ttl, record.getTTL());
      }
    } else if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
      ttl = 0;
      for (Record record : answer.getSection(Section.AUTHORITY)) {
        if (record instanceof SOARecord soa) {
          ttl = Math.min(soa.getTTL(), soa.getMinimum());
        }
      }
    } else {
      return 0; // SERVFAIL, REFUSED and the like may pass
    }
    return Math.min(ttl, maxTtlSeconds);
  }

  private synchronized byte[] cached(Key key) {
    Entry entry = entries.get(key);
    if (entry == null) {
      return null;
    }
    if (nanoClock.getAsLong() - entry.expiresAtNanos() >= 0) {
      remove(key);
      return null;
    }
    return entry.wire();
  }

  private synchronized void forget(Key key) {
    remove(key);
  }

  private synchronized void store(Key key, byte[] wire, long ttlSeconds) {
    Entry entry = new Entry(wire, nanoClock.getAsLong() + Duration.ofSeconds(ttlSeconds).toNanos());
    if (entry.cost() > maxBytes) {
      return;
    }
    remove(key);
    entries.put(key, entry);
    bytes += entry.cost();
    // Least recently used first; expired entries go as they are met.
    Iterator<Map.Entry<Key, Entry>> eldest = entries.entrySet().iterator();
    while ((bytes > maxBytes || entries.size() > maxEntries) && eldest.hasNext()) {
      Map.Entry<Key, Entry> next = eldest.next();
      bytes -= next.getValue().cost();
      eldest.remove();
    }
  }

  private void remove(Key key) {
    Entry old = entries.remove(key);
    if (old != null) {
      bytes -= old.cost();
    }
  }

  @Override
  public void setPort(int port) {
    delegate.setPort(port);
  }

  @Override
  public void setTCP(boolean flag) {
    delegate.setTCP(flag);
  }

  @Override
  public void setIgnoreTruncation(boolean flag) {
    delegate.setIgnoreTruncation(flag);
  }

  @Override
  public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
    delegate.setEDNS(version, payloadSize, flags, options);
  }

  @Override
  public void setTSIGKey(TSIG key) {
    delegate.setTSIGKey(key);
  }

  @Override
  public void setTimeout(Duration timeout) {
    delegate.setTimeout(timeout);
  }

  @Override
  public Duration getTimeout() {
    return delegate.getTimeout();
  }
}
