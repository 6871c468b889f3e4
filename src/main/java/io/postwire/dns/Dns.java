package io.postwire.dns;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SPFRecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupResult;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;
import org.xbill.DNS.lookup.RedirectLoopException;
import org.xbill.DNS.lookup.RedirectOverflowException;

/**
 * The service's one DNS resolver: dnsjava's asynchronous {@link LookupSession} over the configured
 * servers with a bounded, TTL-honouring cache. Results come back on the caller's Vert.x context.
 */
public final class Dns {

  /** CNAMEs followed for one name; a longer chain is a broken name, not a passing failure. */
  static final int MAX_CNAME_HOPS = 16;

  private final LookupSession session;
  private final CachingResolver cache;

  /**
   * Builds the resolver once.
   *
   * @param settings servers, timeout and cache size
   * @param vertx the Vert.x instance whose event loops call this; may be null outside Vert.x. The
   *     context a result returns to is the one current at subscription, so the instance itself is
   *     not consulted.
   */
  public Dns(DnsSettings settings, Vertx vertx) {
    this.cache = cachingResolver(settings);
    this.session =
        LookupSession.builder()
            .resolver(cache)
            .clearSearchPath()
            .ndots(1)
            .clearCaches()
            .maxRedirects(MAX_CNAME_HOPS)
            .build();
  }

  /** The bytes the cached answers take now (for tests and diagnostics). */
  long cachedBytes() {
    return cache.bytes();
  }

  private static CachingResolver cachingResolver(DnsSettings settings) {
    ExtendedResolver resolver;
    if (settings.servers().isEmpty()) {
      resolver = new ExtendedResolver(); // the system's resolvers, production only
    } else {
      List<Resolver> resolvers = new ArrayList<>();
      for (var server : settings.servers()) {
        SimpleResolver simple = new SimpleResolver(server);
        // UDP first; a truncated answer is retried over TCP (RFC 7766 §5).
        simple.setTCP(false);
        simple.setIgnoreTruncation(false);
        simple.setTimeout(settings.timeout());
        resolvers.add(simple);
      }
      resolver = new ExtendedResolver(resolvers);
    }
    resolver.setTimeout(settings.timeout());
    resolver.setRetries(1);
    // dnsjava's own cache counts entries, not bytes: answers are cached below the session instead.
    return new CachingResolver(
        resolver,
        settings.cacheSize(),
        settings.cacheMaxBytes(),
        settings.cacheMaxTtl(),
        settings.maxAnswerSize(),
        System::nanoTime);
  }

  /**
   * Queries {@code name} (taken as absolute) for records of {@code type}. Temporary failures are an
   * outcome here, not a failed {@link Uni}, because SPF tells them apart from the other cases.
   */
  public Uni<LookupOutcome> lookup(String name, int type) {
    Name absolute;
    try {
      absolute = absolute(name);
    } catch (TextParseException e) {
      // A name the DNS cannot carry cannot exist.
      return Uni.createFrom().item(new LookupOutcome.NxDomain());
    }
    return onCallerContext(() -> session.lookupAsync(absolute, type, DClass.IN))
        .onItem()
        .transform(Dns::outcomeOf)
        .onFailure()
        .recoverWithItem(Dns::failureOutcome);
  }

  /**
   * The mail exchangers of {@code domain} (RFC 5321 §5.1, RFC 7505). Fails with {@link
   * DnsTemporaryException} on SERVFAIL or timeout.
   */
  public Uni<MxResult> mx(String domain) {
    String bare = stripDot(domain);
    return lookup(bare, Type.MX)
        .onItem()
        .transformToUni(
            outcome -> {
              if (outcome instanceof LookupOutcome.Records found) {
                return Uni.createFrom().item(exchangers(found.records()));
              }
              if (outcome instanceof LookupOutcome.NxDomain) {
                return Uni.createFrom().item(new MxResult.NoSuchDomain());
              }
              if (outcome instanceof LookupOutcome.TempError failure) {
                return Uni.createFrom()
                    .failure(
                        new DnsTemporaryException(
                            "MX lookup for " + bare + ": " + failure.reason()));
              }
              // RFC 5321 §5.1: no MX but an address makes the domain its own exchanger.
              return addresses(bare)
                  .onItem()
                  .transform(
                      found ->
                          found.isEmpty()
                              ? new MxResult.NoMailHosts()
                              : new MxResult.Implicit(bare));
            });
  }

  private static MxResult exchangers(List<Record> records) {
    List<MxHost> hosts = new ArrayList<>();
    for (Record record : records) {
      if (record instanceof MXRecord mx) {
        hosts.add(new MxHost(mx.getPriority(), stripDot(mx.getTarget().toString())));
      }
    }
    // RFC 7505 §3: "0 ." alone says the domain takes no mail; beside real MX records it is noise.
    boolean onlyNull = hosts.stream().allMatch(h -> h.host().isEmpty());
    if (onlyNull) {
      return new MxResult.NullMx();
    }
    hosts.removeIf(h -> h.host().isEmpty());
    // RFC 5321 §5.1: random order among equal preferences; shuffle, then a stable sort.
    Collections.shuffle(hosts, ThreadLocalRandom.current());
    hosts.sort(Comparator.comparingInt(MxHost::preference));
    return new MxResult.Hosts(hosts);
  }

  /**
   * The A and AAAA addresses of {@code host}, IPv4 first, built from the record bytes. Empty when
   * the name does not exist or has no address. Fails with {@link DnsTemporaryException} only when
   * no address was found and a query failed temporarily.
   */
  public Uni<List<InetAddress>> addresses(String host) {
    String bare = stripDot(host);
    return Uni.combine()
        .all()
        .unis(lookup(bare, Type.A), lookup(bare, Type.AAAA))
        .asTuple()
        .onItem()
        .transform(
            both -> {
              List<InetAddress> found = new ArrayList<>();
              addAddresses(both.getItem1(), found);
              addAddresses(both.getItem2(), found);
              if (found.isEmpty()) {
                for (LookupOutcome outcome : List.of(both.getItem1(), both.getItem2())) {
                  if (outcome instanceof LookupOutcome.TempError failure) {
                    throw new DnsTemporaryException(
                        "address lookup for " + bare + ": " + failure.reason());
                  }
                }
              }
              return List.copyOf(found);
            });
  }

  private static void addAddresses(LookupOutcome outcome, List<InetAddress> into) {
    if (!(outcome instanceof LookupOutcome.Records found)) {
      return;
    }
    for (Record record : found.records()) {
      byte[] bytes = null;
      if (record instanceof ARecord a) {
        bytes = a.getAddress().getAddress();
      } else if (record instanceof AAAARecord aaaa) {
        bytes = aaaa.getAddress().getAddress();
      }
      if (bytes != null) {
        try {
          into.add(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException e) {
          throw new IllegalStateException("address record of wrong length", e);
        }
      }
    }
  }

  /**
   * The TXT records of {@code name}, each one's character-strings joined without separator (RFC
   * 7208 §3.3). Empty when none; fails with {@link DnsTemporaryException} on SERVFAIL or timeout.
   */
  public Uni<List<String>> txt(String name) {
    return lookup(stripDot(name), Type.TXT).onItem().transform(Dns::texts);
  }

  /** The joined character-strings of the TXT records in a lookup outcome. */
  public static List<String> texts(LookupOutcome outcome) {
    List<String> texts = new ArrayList<>();
    for (Record record : outcome.recordsOrEmpty()) {
      if (record instanceof TXTRecord txt) {
        texts.add(joined(txt.getStringsAsByteArrays()));
      } else if (record instanceof SPFRecord spf) {
        texts.add(joined(spf.getStringsAsByteArrays()));
      }
    }
    return List.copyOf(texts);
  }

  private static String joined(List<byte[]> strings) {
    StringBuilder text = new StringBuilder();
    for (byte[] bytes : strings) {
      text.append(new String(bytes, StandardCharsets.UTF_8));
    }
    return text.toString();
  }

  private static LookupOutcome outcomeOf(LookupResult result) {
    List<Record> records = result.getRecords();
    return records.isEmpty() ? new LookupOutcome.NoData() : new LookupOutcome.Records(records);
  }

  private static LookupOutcome failureOutcome(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof NoSuchDomainException) {
      return new LookupOutcome.NxDomain();
    }
    if (cause instanceof NoSuchRRSetException) {
      return new LookupOutcome.NoData();
    }
    if (cause instanceof RedirectOverflowException || cause instanceof RedirectLoopException) {
      // A CNAME chain too long or looping will not mend by asking again: the name does not resolve,
      // which is permanent (a temporary error would defer mail for days).
      return new LookupOutcome.NxDomain();
    }
    String reason = cause.getClass().getSimpleName();
    if (cause.getMessage() != null) {
      reason += ": " + cause.getMessage();
    }
    return new LookupOutcome.TempError(reason);
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /**
   * Runs a dnsjava query and emits its result on the Vert.x context that subscribed, if any:
   * dnsjava completes on its own executor, and Hibernate Reactive must be called back on its
   * context.
   */
  private <T> Uni<T> onCallerContext(Supplier<CompletionStage<T>> query) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              Context context = Vertx.currentContext();
              query
                  .get()
                  .whenComplete(
                      (item, failure) -> {
                        Runnable emit =
                            () -> {
                              if (failure != null) {
                                emitter.fail(unwrap(failure));
                              } else {
                                emitter.complete(item);
                              }
                            };
                        if (context != null) {
                          context.runOnContext(ignored -> emit.run());
                        } else {
                          emit.run();
                        }
                      });
            });
  }

  private static Name absolute(String name) throws TextParseException {
    return Name.fromString(stripDot(name), Name.root);
  }

  private static String stripDot(String name) {
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }
}
