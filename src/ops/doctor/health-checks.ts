/** The guide's monitoring queries turned into verdicts. */
import { sql } from 'kysely';
import type { Engine } from '../../db/database.js';
import type { AnyKysely } from '../../db/schema.js';
import { outcome, type CheckOutcome, type Finding } from './finding.js';

const MIN_READS_FOR_HIT_RATE = 10_000;

export async function checkHealth(db: AnyKysely, engine: Engine): Promise<CheckOutcome> {
  const findings: Finding[] = [];

  const cache = await sql<{ hit: number; read: number }>`
    SELECT blks_hit::float8 AS hit, blks_read::float8 AS read
      FROM pg_stat_database WHERE datname = current_database()`.execute(db);
  const { hit = 0, read = 0 } = cache.rows[0] ?? {};
  const rate = hit + read === 0 ? 1 : hit / (hit + read);
  const enoughReads = hit + read >= MIN_READS_FOR_HIT_RATE;
  findings.push({
    area: 'health',
    check: 'cache hit rate',
    severity: !enoughReads || rate >= 0.99 ? 'ok' : 'warn',
    evidence: enoughReads
      ? `${(rate * 100).toFixed(2)} % of block reads came from shared buffers`
      : `only ${hit + read} block reads since the statistics were reset: too few to judge`,
    ...(enoughReads && rate < 0.99
      ? {
          fix: 'raise shared_buffers (see `chamahub db tune`) or find the queries that read the most with `chamahub db stats`',
        }
      : {}),
  });

  if (engine === 'postgres') {
    const sessions = await sql<{ pid: number; state: string; seconds: number; query: string }>`
      SELECT pid, state, extract(epoch FROM now() - coalesce(xact_start, query_start))::float8 AS seconds,
             left(query, 120) AS query
        FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND ((state = 'active' AND now() - query_start > interval '5 minutes')
           OR (state LIKE 'idle in transaction%' AND now() - state_change > interval '1 minute'))`.execute(
      db,
    );
    for (const row of sessions.rows) {
      findings.push({
        area: 'health',
        check: row.state === 'active' ? 'long-running query' : 'idle in transaction',
        severity: 'warn',
        evidence: `pid ${row.pid} ${row.state} for ${Math.round(row.seconds)} s: ${row.query}`,
        fix: `SELECT pg_cancel_backend(${row.pid});  -- or pg_terminate_backend; set idle_in_transaction_session_timeout`,
      });
    }
    if (sessions.rows.length === 0) {
      findings.push({
        area: 'health',
        check: 'sessions',
        severity: 'ok',
        evidence: 'no query running over 5 minutes, no session idle in a transaction over 1 minute',
      });
    }
    const connections = await sql<{ used: number; max: number }>`
      SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS used,
             current_setting('max_connections')::int AS max`.execute(db);
    const { used = 0, max = 1 } = connections.rows[0] ?? {};
    const share = used / max;
    findings.push({
      area: 'health',
      check: 'connections',
      severity: share >= 0.95 ? 'critical' : share >= 0.8 ? 'warn' : 'ok',
      evidence: `${used} of max_connections ${max} in use (${Math.round(share * 100)} %)`,
      ...(share >= 0.8
        ? {
            fix: 'put PgBouncer in front (`chamahub pgbouncer config`) or lower DB_POOL_MAX per process',
          }
        : {}),
    });
  }

  const sequences = await sql<{ name: string; share: number; last: string; max: string }>`
    SELECT schemaname || '.' || sequencename AS name, last_value::float8 / max_value::float8 AS share,
           last_value::text AS last, max_value::text AS max
      FROM pg_sequences
     WHERE last_value IS NOT NULL AND last_value::float8 / max_value::float8 > 0.75
     ORDER BY share DESC`.execute(db);
  for (const row of sequences.rows) {
    findings.push({
      area: 'health',
      check: 'sequence near its limit',
      severity: row.share > 0.9 ? 'critical' : 'warn',
      evidence: `${row.name} is at ${row.last} of ${row.max} (${(row.share * 100).toFixed(1)} %): inserts fail when it runs out`,
      fix: `ALTER SEQUENCE ${row.name} AS bigint;  -- and the column: ALTER TABLE … ALTER COLUMN … TYPE bigint`,
    });
  }
  if (sequences.rows.length === 0) {
    findings.push({
      area: 'health',
      check: 'sequences',
      severity: 'ok',
      evidence: 'every sequence is below 75 % of its range',
    });
  }

  const vacuum = await sql<{ table: string; dead: number; live: number }>`
    SELECT relname AS table, n_dead_tup::float8 AS dead, n_live_tup::float8 AS live
      FROM pg_stat_user_tables
     WHERE n_dead_tup > 1000 AND n_dead_tup > 0.2 * greatest(n_live_tup, 1)
     ORDER BY n_dead_tup DESC`.execute(db);
  for (const row of vacuum.rows) {
    findings.push({
      area: 'health',
      check: 'table needs vacuum',
      severity: 'warn',
      evidence: `${row.table} has ${row.dead} dead rows against ${row.live} live ones`,
      fix: `VACUUM (ANALYZE) ${row.table};  -- and check autovacuum is on`,
    });
  }

  const wraparound = await sql<{ age: number }>`
    SELECT age(datfrozenxid)::float8 AS age FROM pg_database WHERE datname = current_database()`.execute(
    db,
  );
  const age = wraparound.rows[0]?.age ?? 0;
  findings.push({
    area: 'health',
    check: 'transaction ID wraparound',
    severity: age > 1_200_000_000 ? 'critical' : age > 500_000_000 ? 'warn' : 'ok',
    evidence: `the oldest unfrozen transaction ID is ${age.toLocaleString('en-US')} transactions old (PostgreSQL stops at 2,000,000,000)`,
    ...(age > 500_000_000
      ? { fix: 'VACUUM (FREEZE) the oldest tables; check autovacuum keeps up' }
      : {}),
  });
  return outcome(findings);
}
