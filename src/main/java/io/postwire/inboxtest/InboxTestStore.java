package io.postwire.inboxtest;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.UUID;

/** Every statement on the {@code inbox_test} table. An expired test is invisible everywhere. */
@ApplicationScoped
public class InboxTestStore {

  /** Rows removed per purge statement. */
  static final int PURGE_BATCH = 1000;

  private static final String INSERT =
      """
      insert into inbox_test (id, api_key_id, token, address, expires_at)
      values ($1, $2, $3, $4, now() + $5::bigint * interval '1 second')
      returning expires_at""";

  // $2 null: an admin key, which sees every test.
  private static final String FIND =
      """
      select id, address, expires_at, received_at, report::text as report from inbox_test
      where id = $1 and expires_at > now() and ($2::uuid is null or api_key_id = $2)""";

  private static final String LIVE =
      """
      select report is not null as received from inbox_test
      where token = $1 and expires_at > now()""";

  // First message wins: a report already stored is never replaced.
  private static final String SAVE_REPORT =
      """
      update inbox_test set report = $2::text::jsonb, received_at = now()
      where token = $1 and report is null and expires_at > now()""";

  private static final String PURGE =
      """
      delete from inbox_test where id in
      (select id from inbox_test where expires_at <= now() limit $1)""";

  /** An inbox test as its creator sees it; {@code report} is JSON text, null while waiting. */
  public record Stored(
      UUID id,
      String address,
      OffsetDateTime expiresAt,
      OffsetDateTime receivedAt,
      String report) {}

  /** Whether a live test has its report already. */
  public enum Liveness {
    UNKNOWN,
    WAITING,
    RECEIVED
  }

  private final Pool pool;

  public InboxTestStore(Pool pool) {
    this.pool = pool;
  }

  /** Stores a new test; answers when it expires. */
  public Uni<OffsetDateTime> create(
      UUID id, UUID keyId, String token, String address, Duration ttl) {
    return pool.preparedQuery(INSERT)
        .execute(Tuple.of(id, keyId, token, address, ttl.toSeconds()))
        .map(rows -> rows.iterator().next().getOffsetDateTime("expires_at"));
  }

  /** The live test {@code id} if {@code keyId} may see it (null: admin), else null. */
  public Uni<Stored> find(UUID id, UUID keyId) {
    return pool.preparedQuery(FIND)
        .execute(Tuple.of(id, keyId))
        .map(
            rows -> {
              if (rows.size() == 0) {
                return null;
              }
              Row r = rows.iterator().next();
              return new Stored(
                  r.getUUID("id"),
                  r.getString("address"),
                  r.getOffsetDateTime("expires_at"),
                  r.getOffsetDateTime("received_at"),
                  r.getString("report"));
            });
  }

  /** Whether the token names a live test, and whether it has received its message. */
  public Uni<Liveness> liveness(String token) {
    return pool.preparedQuery(LIVE)
        .execute(Tuple.of(token))
        .map(
            rows ->
                rows.size() == 0
                    ? Liveness.UNKNOWN
                    : rows.iterator().next().getBoolean("received")
                        ? Liveness.RECEIVED
                        : Liveness.WAITING);
  }

  /** Stores the report unless the test has one already or expired; true when stored. */
  public Uni<Boolean> saveReport(String token, String reportJson) {
    return pool.preparedQuery(SAVE_REPORT)
        .execute(Tuple.of(token, reportJson))
        .map(rows -> rows.rowCount() == 1);
  }

  /** Removes expired tests in bounded batches; answers how many went. */
  public Uni<Long> purgeExpired() {
    return purgeFrom(0);
  }

  private Uni<Long> purgeFrom(long done) {
    return pool.preparedQuery(PURGE)
        .execute(Tuple.of(PURGE_BATCH))
        .map(RowSet::rowCount)
        .chain(n -> n < PURGE_BATCH ? Uni.createFrom().item(done + n) : purgeFrom(done + n));
  }
}
