package io.postwire.delivery.smtp;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The connections of {@link DirectSmtpTransport}: a bounded pool per host name, whose limit also
 * holds per IP address across host names, a bounded queue of transactions waiting for a connection,
 * idle connections kept for the next transaction (RFC 5321 §3.3), and each host's rate ({@link
 * RateShaper}). At most {@link SmtpClientOptions#maxHosts()} host pools are kept; the least
 * recently used one with nothing in flight is closed beyond it.
 *
 * <p>All state is guarded by one lock; promises are completed and connections closed outside it.
 */
final class SmtpConnectionPool {

  private final Vertx vertx;
  private final SmtpClientOptions options;
  private final HostLimits defaultLimits;
  private final Object lock = new Object();
  // access order: the eldest entry is the least recently used host (LRU eviction)
  private final LinkedHashMap<String, HostPool> pools = new LinkedHashMap<>(16, 0.75f, true);
  // connections open or being opened per IP address, whatever host names led to it
  private final Map<String, AddressSlots> addresses = new HashMap<>();
  private final RateShaper rates;
  private boolean closed;

  SmtpConnectionPool(Vertx vertx, SmtpClientOptions options, HostLimits defaultLimits) {
    this.vertx = vertx;
    this.options = options;
    this.defaultLimits = defaultLimits;
    this.rates = new RateShaper(options.maxHosts());
  }

  /**
   * Sets {@code limits} on the host's pool and takes a turn under its rate (see {@link
   * RateShaper#reserve}): the milliseconds until this message's turn (0 = now).
   */
  long reserve(String host, String ip, HostLimits limits) {
    synchronized (lock) {
      HostPool pool = pool(host);
      pool.limits = limits;
      return rates.reserve(pool.rate, ip, limits.ratePerMinute());
    }
  }

  /**
   * A connection to the transaction's host: an idle pooled one, or a permit to open one (admitted
   * by its address too), or a place in the host's or the address's queue; else a refusal.
   */
  Future<Lease> acquire(SmtpTransaction tx, TransactionAbort abort) {
    return acquireHost(tx, abort)
        .compose(lease -> lease.permit() ? admit(lease, tx, abort) : Future.succeededFuture(lease));
  }

  private Future<Lease> acquireHost(SmtpTransaction tx, TransactionAbort abort) {
    List<Runnable> after = new ArrayList<>();
    Future<Lease> lease;
    synchronized (lock) {
      if (closed) {
        return Future.succeededFuture(Lease.refused("transport closed"));
      }
      HostPool pool = pool(tx.host());
      SmtpConnection idle = takeIdle(pool, tx, after);
      if (idle != null) {
        lease = Future.succeededFuture(new Lease(pool, idle, null));
      } else if (pool.total < pool.limits.maxConnections()) {
        pool.total++;
        lease = Future.succeededFuture(new Lease(pool, null, null));
      } else if (pool.waiters.size() < options.maxQueuedPerHost()) {
        // an idle connection for another address or TLS policy makes room for this one once it
        // is closed: the host never sees more than its limit
        SmtpConnection other = pool.idle.poll();
        if (other != null) {
          vertx.cancelTimer(other.idleTimer);
          after.add(() -> retire(pool, other));
        }
        lease = enqueue(pool.waiters, pool, tx, abort, after);
      } else {
        lease =
            Future.succeededFuture(
                Lease.refused(
                    "too many transactions waiting for "
                        + tx.host()
                        + " ("
                        + pool.waiters.size()
                        + ")"));
      }
    }
    after.forEach(Runnable::run);
    return lease;
  }

  /**
   * Turns a host's permit into a connection slot of the address it connects to. Receivers limit
   * connections per client IP whatever MX name led to them, so many names for one address share one
   * limit (the host's {@code maxConnections}); without a slot the transaction waits, and a refusal
   * gives the host's permit back.
   */
  private Future<Lease> admit(Lease permit, SmtpTransaction tx, TransactionAbort abort) {
    String ip = tx.addressOrHost();
    HostPool pool = permit.pool;
    List<Runnable> after = new ArrayList<>();
    Future<Lease> admitted;
    synchronized (lock) {
      AddressSlots slots = addresses.computeIfAbsent(ip, k -> new AddressSlots());
      if (slots.open < pool.limits.maxConnections()) {
        slots.open++;
        admitted = Future.succeededFuture(permit);
      } else if (slots.waiters.size() < options.maxQueuedPerHost()) {
        // an idle connection to this address under another host name holds a slot: close it
        closeIdleTo(ip, after);
        admitted = enqueue(slots.waiters, pool, tx, abort, after);
      } else {
        admitted =
            Future.succeededFuture(
                Lease.refused(
                    "too many transactions waiting for address "
                        + ip
                        + " ("
                        + slots.waiters.size()
                        + ")"));
      }
    }
    after.forEach(Runnable::run);
    return admitted.map(
        lease -> {
          if (lease.refusal != null) {
            releaseHostPermit(pool);
          }
          return lease;
        });
  }

  /**
   * Queues a transaction for a connection; it gives up after {@link
   * SmtpClientOptions#queueTimeout()}, or when it is cancelled. Call under {@link #lock}.
   */
  private Future<Lease> enqueue(
      ArrayDeque<Waiter> queue,
      HostPool pool,
      SmtpTransaction tx,
      TransactionAbort abort,
      List<Runnable> after) {
    Waiter w = new Waiter(tx, pool, queue);
    queue.add(w);
    w.timer =
        vertx.setTimer(
            options.queueTimeout().toMillis(),
            t ->
                expire(
                    w,
                    "no connection to "
                        + tx.host()
                        + " ["
                        + tx.addressOrHost()
                        + "] free within "
                        + options.queueTimeout()));
    Runnable leave = () -> expire(w, TransactionAbort.CANCELLED);
    if (!abort.waiting(leave)) {
      after.add(leave);
    }
    return w.promise.future();
  }

  /** Takes {@code w} out of its queue, if it is still there, with a refusal. */
  private void expire(Waiter w, String why) {
    boolean mine;
    synchronized (lock) {
      mine = w.queue.remove(w);
    }
    if (mine) {
      vertx.cancelTimer(w.timer);
      w.promise.tryComplete(Lease.refused(why));
    }
  }

  /** Closes one idle connection to {@code ip}, whatever its host pool. Call under {@link #lock}. */
  private void closeIdleTo(String ip, List<Runnable> after) {
    for (HostPool p : pools.values()) {
      for (Iterator<SmtpConnection> it = p.idle.iterator(); it.hasNext(); ) {
        SmtpConnection c = it.next();
        if (c.ip.equals(ip)) {
          it.remove();
          vertx.cancelTimer(c.idleTimer);
          after.add(() -> retire(p, c));
          return;
        }
      }
    }
  }

  /** Closes an idle connection taken out of its pool with QUIT, then frees its permit. */
  private void retire(HostPool pool, SmtpConnection c) {
    c.context.runOnContext(
        v -> c.quit(options.commandTimeout()).onComplete(ar -> releasePermit(pool, c.ip)));
  }

  private SmtpConnection takeIdle(HostPool pool, SmtpTransaction tx, List<Runnable> after) {
    for (Iterator<SmtpConnection> it = pool.idle.iterator(); it.hasNext(); ) {
      SmtpConnection c = it.next();
      if (!c.open()) {
        it.remove();
        pool.total--;
        freeAddress(c.ip, after);
      } else if (matches(c, tx)) {
        it.remove();
        vertx.cancelTimer(c.idleTimer);
        return c;
      }
    }
    return null;
  }

  private static boolean matches(SmtpConnection c, SmtpTransaction tx) {
    return c.port == tx.port() && c.policy == tx.tls() && c.ip.equals(tx.addressOrHost());
  }

  /**
   * Returns a connection of {@code lease}'s host after a transaction; {@code clean} = the dialogue
   * is in a known state.
   */
  void release(Lease lease, SmtpConnection c, boolean clean) {
    release(lease.pool, c, clean);
  }

  private void release(HostPool pool, SmtpConnection c, boolean clean) {
    boolean keep = clean && c.open() && c.messages < pool.limits.maxMessagesPerConnection();
    List<Runnable> after = new ArrayList<>();
    synchronized (lock) {
      Waiter same = null;
      if (keep && !closed) {
        for (Waiter w : pool.waiters) {
          if (matches(c, w.tx)) {
            same = w;
            break;
          }
        }
      }
      AddressSlots slots = addresses.get(c.ip);
      boolean addressWanted = slots != null && !slots.waiters.isEmpty();
      if (same != null) {
        pool.waiters.remove(same);
        vertx.cancelTimer(same.timer);
        Waiter w = same;
        after.add(() -> w.promise.complete(new Lease(pool, c, null)));
      } else if (keep && !closed && pool.waiters.isEmpty() && !addressWanted) {
        pool.idle.add(c);
        c.idleTimer =
            vertx.setTimer(pool.limits.idleTimeout().toMillis(), t -> idleExpired(pool, c));
      } else {
        // the slot is free only once the connection is closed, so neither the host nor the
        // address ever sees more connections than the limit; the waiters (of this host for
        // another address or policy, or of another host for this address) get it then
        boolean graceful = keep || (clean && c.open());
        after.add(
            () ->
                (graceful ? c.quit(options.commandTimeout()) : close(c))
                    .onComplete(ar -> releasePermit(pool, c.ip)));
      }
    }
    after.forEach(Runnable::run);
  }

  /**
   * A connection to {@code ip} under {@code lease}'s permit is gone (or was never opened): free
   * both its slots.
   */
  void releasePermit(Lease lease, String ip) {
    releasePermit(lease.pool, ip);
  }

  private void releasePermit(HostPool pool, String ip) {
    List<Runnable> after;
    synchronized (lock) {
      pool.total--;
      after = wake(pool);
      freeAddress(ip, after);
    }
    after.forEach(Runnable::run);
  }

  /** A host permit that never got an address slot. */
  private void releaseHostPermit(HostPool pool) {
    List<Runnable> after;
    synchronized (lock) {
      pool.total--;
      after = wake(pool);
    }
    after.forEach(Runnable::run);
  }

  /** An address slot of a connection whose host pool is gone. */
  private void releaseAddress(String ip) {
    List<Runnable> after = new ArrayList<>();
    synchronized (lock) {
      freeAddress(ip, after);
    }
    after.forEach(Runnable::run);
  }

  /** Frees a slot of {@code ip} and gives free slots to its waiters. Call under {@link #lock}. */
  private void freeAddress(String ip, List<Runnable> after) {
    AddressSlots slots = addresses.get(ip);
    if (slots == null) {
      return;
    }
    slots.open--;
    while (!slots.waiters.isEmpty()
        && slots.open < slots.waiters.peek().pool.limits.maxConnections()) {
      Waiter w = slots.waiters.poll();
      slots.open++;
      vertx.cancelTimer(w.timer);
      after.add(() -> w.promise.complete(new Lease(w.pool, null, null)));
    }
    if (slots.open <= 0 && slots.waiters.isEmpty()) {
      addresses.remove(ip);
    }
  }

  /** Gives free connection slots to waiting transactions; run the result outside the lock. */
  private List<Runnable> wake(HostPool pool) {
    List<Runnable> after = new ArrayList<>();
    while (pool.total < pool.limits.maxConnections() && !pool.waiters.isEmpty()) {
      Waiter w = pool.waiters.poll();
      pool.total++;
      vertx.cancelTimer(w.timer);
      after.add(() -> w.promise.complete(new Lease(pool, null, null)));
    }
    return after;
  }

  private void idleExpired(HostPool pool, SmtpConnection c) {
    boolean mine;
    synchronized (lock) {
      mine = pool.idle.remove(c);
    }
    if (mine) {
      c.quit(options.commandTimeout()).onComplete(ar -> releasePermit(pool, c.ip));
    }
  }

  /** The pool of {@code host}, made (and the least recently used ones evicted) if new. */
  private HostPool pool(String host) {
    String key = key(host);
    HostPool pool = pools.get(key);
    if (pool == null) {
      pool = new HostPool(defaultLimits);
      pools.put(key, pool);
      evict();
    }
    return pool;
  }

  /** Drops least recently used pools that have nothing in flight, closing their idle links. */
  private void evict() {
    Iterator<HostPool> it = pools.values().iterator();
    while (pools.size() > options.maxHosts() && it.hasNext()) {
      HostPool p = it.next();
      if (p.total == p.idle.size() && p.waiters.isEmpty()) {
        it.remove();
        for (SmtpConnection c : p.idle) {
          vertx.cancelTimer(c.idleTimer);
          quitLater(c);
        }
        p.total = 0;
        p.idle.clear();
      }
    }
  }

  private void quitLater(SmtpConnection c) {
    c.context.runOnContext(
        v -> c.quit(options.commandTimeout()).onComplete(ar -> releaseAddress(c.ip)));
  }

  private static Future<Void> close(SmtpConnection c) {
    c.close();
    return Future.succeededFuture();
  }

  private static String key(String host) {
    return host.toLowerCase(Locale.ROOT);
  }

  /** Connections open (or being opened) to {@code host} right now. */
  int openConnections(String host) {
    synchronized (lock) {
      HostPool pool = pools.get(key(host));
      return pool == null ? 0 : pool.total;
    }
  }

  /** Connections open (or being opened) right now, per host name. */
  Map<String, Integer> openConnectionsByHost() {
    synchronized (lock) {
      Map<String, Integer> counts = new LinkedHashMap<>();
      pools.forEach((host, pool) -> counts.put(host, pool.total));
      return counts;
    }
  }

  /** Idle pooled connections to {@code host}. */
  int idleConnections(String host) {
    synchronized (lock) {
      HostPool pool = pools.get(key(host));
      return pool == null ? 0 : pool.idle.size();
    }
  }

  /** Transactions waiting for a connection to {@code host}. */
  int queuedTransactions(String host) {
    synchronized (lock) {
      HostPool pool = pools.get(key(host));
      return pool == null ? 0 : pool.waiters.size();
    }
  }

  /** Host pools held right now. */
  int hostPools() {
    synchronized (lock) {
      return pools.size();
    }
  }

  /**
   * Takes no more transactions, refuses the waiting ones and sends QUIT on idle connections; the
   * result completes when those are closed. Busy connections close when their transaction ends.
   */
  Future<Void> close() {
    List<SmtpConnection> idle = new ArrayList<>();
    synchronized (lock) {
      closed = true;
      for (HostPool pool : pools.values()) {
        idle.addAll(pool.idle);
        pool.total -= pool.idle.size();
        pool.idle.clear();
        refuseAll(pool.waiters);
      }
      for (AddressSlots slots : addresses.values()) {
        refuseAll(slots.waiters);
      }
    }
    List<Future<Void>> quits = new ArrayList<>();
    Duration quick = min(options.commandTimeout(), Duration.ofSeconds(2));
    for (SmtpConnection c : idle) {
      Promise<Void> done = Promise.promise();
      c.context.runOnContext(v -> c.quit(quick).onComplete(done));
      quits.add(done.future());
    }
    return Future.join(quits).mapEmpty();
  }

  /** Empties {@code queue}, each waiter refused. Call under {@link #lock}. */
  private void refuseAll(ArrayDeque<Waiter> queue) {
    for (Waiter w : queue) {
      vertx.cancelTimer(w.timer);
      w.promise.tryComplete(Lease.refused("transport closed"));
    }
    queue.clear();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Per-host pool state, guarded by {@link #lock}. */
  static final class HostPool {
    final ArrayDeque<SmtpConnection> idle = new ArrayDeque<>();
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    int total;
    HostLimits limits;
    // the token bucket of the host's rate: receivers throttle per sending IP, so do we
    final TokenBucket rate = new TokenBucket();

    HostPool(HostLimits limits) {
      this.limits = limits;
    }
  }

  /** Connection slots of one IP address, guarded by {@link #lock}. */
  private static final class AddressSlots {
    final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    int open;
  }

  /** A transaction waiting in {@code queue} (its host's or its address's) for a connection. */
  private static final class Waiter {
    final SmtpTransaction tx;
    final HostPool pool;
    final ArrayDeque<Waiter> queue;
    final Promise<Lease> promise = Promise.promise();
    long timer = -1;

    Waiter(SmtpTransaction tx, HostPool pool, ArrayDeque<Waiter> queue) {
      this.tx = tx;
      this.pool = pool;
      this.queue = queue;
    }
  }

  /**
   * A pooled connection, a permit to open one (held until {@link #release} or {@link
   * #releasePermit}), or a refusal.
   */
  record Lease(HostPool pool, SmtpConnection connection, String refusal) {
    static Lease refused(String why) {
      return new Lease(null, null, why);
    }

    boolean permit() {
      return connection == null && refusal == null;
    }
  }
}
