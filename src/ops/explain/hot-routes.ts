/**
 * The statements behind ChamaHub's hot routes, run through the same
 * repository code the routes use, with sample values from the database.
 * `db explain --route` explains them; a test proves each uses its index.
 */
import { sql } from 'kysely';
import {
  isTransactionControl,
  withCapture,
  type CapturedStatement,
} from '../../db/inspector/capture.js';
import { countScans, type ScanCounts } from '../../db/inspector/scan-counts.js';
import type { Executor } from '../../db/transaction.js';
import {
  listActiveChamas,
  nearbyChamas,
  searchChamas,
} from '../../domain/chamas/chama-repository.js';
import { memberStatement } from '../../domain/contributions/contribution-repository.js';
import { findUserForLogin, usersWantingNotification } from '../../domain/users/user-repository.js';

interface Sample {
  readonly chamaId: bigint;
  readonly memberId: bigint;
  readonly email: string;
  readonly tag: string;
  /** The rarest word in the chamas' search text: a search that should use the index. */
  readonly rareWord: string;
}

export interface HotRoute {
  readonly name: string;
  readonly route: string;
  /** The index the statement is meant to use; the test holds the plan to it. */
  readonly intendedIndex: string;
  run(db: Executor, sample: Sample): Promise<unknown>;
}

export const HOT_ROUTES: readonly HotRoute[] = [
  {
    name: 'B1',
    route: 'GET /api/chamas',
    intendedIndex: 'chamas_active_newest_idx',
    run: (db) => listActiveChamas(db, { limit: 50 }),
  },
  {
    name: 'B2',
    route: 'GET /api/chamas/search',
    intendedIndex: 'chamas_search_vector_gin',
    run: (db, sample) => searchChamas(db, sample.rareWord, 20),
  },
  {
    name: 'B3',
    route: 'GET /api/chamas/:chamaId/members/:userId/statement',
    intendedIndex: 'contributions_member_statement_idx',
    run: (db, sample) =>
      memberStatement(db, {
        chamaId: sample.chamaId,
        readerId: sample.memberId,
        memberId: sample.memberId,
        limit: 50,
      }),
  },
  {
    name: 'login',
    route: 'POST /api/auth/login',
    intendedIndex: 'users_email_lower_key',
    run: (db, sample) => findUserForLogin(db, sample.email),
  },
  {
    name: 'nearby',
    route: 'GET /api/chamas/nearby',
    intendedIndex: 'chamas_meeting_location_gist',
    run: (db) => nearbyChamas(db, { lat: -1.2921, lng: 36.8219 }, 10),
  },
  {
    name: 'tags',
    route: 'GET /api/chamas?tag=',
    intendedIndex: 'chamas_tags_gin',
    run: (db, sample) => listActiveChamas(db, { limit: 50, tag: sample.tag }),
  },
  {
    name: 'preferences',
    route: 'GET /api/admin/users/notify',
    intendedIndex: 'users_preferences_gin',
    run: (db) => usersWantingNotification(db, 'push', 100),
  },
];

export function findHotRoute(name: string): HotRoute | undefined {
  return HOT_ROUTES.find((route) => route.name.toLowerCase() === name.toLowerCase());
}

/** Sample values: a member of a chama with contributions, a user's email, a tag in use. */
export async function loadSample(db: Executor): Promise<Sample> {
  const member = await sql<{ chama_id: bigint; member_id: bigint }>`
    SELECT chama_id, member_id FROM contributions ORDER BY id LIMIT 1`.execute(db);
  const user = await sql<{ email: string }>`SELECT email FROM users ORDER BY id LIMIT 1`.execute(
    db,
  );
  const tag = await sql<{ tag: string }>`
    SELECT unnest(tags) AS tag FROM chamas WHERE cardinality(tags) > 0 ORDER BY id LIMIT 1`.execute(
    db,
  );
  const rare = await sql<{ word: string }>`
    SELECT word FROM ts_stat('SELECT search_vector FROM chamas') ORDER BY ndoc, word LIMIT 1`.execute(
    db,
  );
  return {
    rareWord: rare.rows[0]?.word ?? 'harambee',
    chamaId: member.rows[0]?.chama_id ?? 1n,
    memberId: member.rows[0]?.member_id ?? 1n,
    email: user.rows[0]?.email ?? 'nobody@example.com',
    tag: tag.rows[0]?.tag ?? 'savings',
  };
}

export interface RouteTrace {
  /** The statements the route sent, with their parameters. */
  readonly statements: CapturedStatement[];
  /** The scans PostgreSQL counted while they ran, inside functions too (EXPLAIN cannot see there). */
  readonly scans: ScanCounts;
}

/**
 * Runs a hot route once and records what it sent and what PostgreSQL
 * scanned for it. `trx` must be a transaction: the counters are per transaction.
 */
export async function traceRoute(
  trx: Executor,
  route: HotRoute,
  sample: Sample,
): Promise<RouteTrace> {
  let sent: CapturedStatement[] = [];
  const scans = await countScans(trx, async () => {
    const { capture } = await withCapture(() => route.run(trx, sample));
    sent = capture.detail ?? [];
  });
  return { statements: sent.filter((captured) => !isTransactionControl(captured.sql)), scans };
}
