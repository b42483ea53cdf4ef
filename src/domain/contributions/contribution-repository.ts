import { sql } from 'kysely';
import type { ContributionMethod } from '../../db/schema.js';
import type { Executor } from '../../db/transaction.js';
import { isoTime, moneyText, renderPage, type RenderedPage } from '../../db/rendered-page.js';
import type { KeysetPosition } from '../pagination.js';

export interface NewContribution {
  readonly chamaId: bigint;
  readonly memberId: bigint;
  readonly amount: bigint;
  readonly method: ContributionMethod;
  readonly reference: string;
  readonly recordedBy: bigint;
}

/** Why record_contribution refused, or 'recorded'. */
export type RecordingOutcome =
  | 'recorded'
  | 'chama_not_found'
  | 'not_a_member'
  | 'role_not_allowed'
  | 'chama_inactive'
  | 'member_not_active';

/**
 * Checks who may record and writes the contribution with the ledger
 * transaction that credits the chama wallet, in one call to the function
 * record_contribution (migration 0004): one round trip, and its own
 * transaction when the caller has none. A reference already used fails on
 * contributions_reference_key and writes nothing.
 */
export async function recordContribution(db: Executor, contribution: NewContribution) {
  const result = await sql<{
    outcome: RecordingOutcome;
    contribution_id: bigint | null;
    recorded_at: Date | null;
  }>`
    SELECT outcome, contribution_id, recorded_at
      FROM record_contribution(${contribution.chamaId}, ${contribution.recordedBy},
                               ${contribution.memberId}, ${contribution.amount},
                               ${contribution.method}, ${contribution.reference})`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('record_contribution returned no row');
  return row;
}

export interface RenderedStatement extends Partial<RenderedPage> {
  readonly allowed: boolean;
  readonly chama_exists: boolean;
}

/**
 * Contract B3: a member's contributions in a chama, newest first, with the
 * member's running total on every row, rendered as JSON by the function
 * member_statement (migration 0004), whose plans PostgreSQL keeps per
 * connection. The reader's membership is checked in the same call:
 * allowed = false means 403. Served by contributions_member_statement_idx.
 */
export async function memberStatement(
  db: Executor,
  options: {
    chamaId: bigint;
    readerId: bigint;
    memberId: bigint;
    limit: number;
    after?: KeysetPosition | undefined;
  },
): Promise<RenderedStatement> {
  const { chamaId, readerId, memberId, limit, after } = options;
  const result = await sql<RenderedStatement>`
    SELECT allowed, chama_exists, items, next_created_at, next_id
      FROM member_statement(${chamaId}, ${readerId}, ${memberId}, ${limit},
                            ${after?.createdAt ?? null}::timestamptz, ${after?.id ?? null}::bigint)`.execute(
    db,
  );
  return result.rows[0] as RenderedStatement;
}

/**
 * The whole chama's statement, newest first, naming each row's member, with
 * the running total of the chama's contributions. The running balance is a
 * window sum over the whole history in time order, computed before the page
 * is cut, so it is right on every page. Served by contributions_chama_created_idx.
 */
export async function chamaStatement(
  db: Executor,
  options: {
    chamaId: bigint;
    readerId: bigint;
    limit: number;
    after?: KeysetPosition | undefined;
  },
): Promise<RenderedStatement> {
  const { chamaId, readerId, limit, after } = options;
  const afterFilter = after
    ? sql`WHERE (w.created_at, w.id) < (${after.createdAt}::timestamptz, ${after.id})`
    : sql``;
  const rows = sql`
    SELECT w.id, w.created_at,
           json_build_object(
             'id', w.id, 'amount', ${moneyText(sql`w.amount`)}, 'method', w.method,
             'reference', w.reference, 'createdAt', ${isoTime(sql`w.created_at`)},
             'runningBalance', ${moneyText(sql`w.running_balance`)},
             'memberId', w.member_id,
             'memberName', (SELECT u.first_name || ' ' || u.last_name FROM users u WHERE u.id = w.member_id)
           ) AS item
      FROM (SELECT c.id, c.member_id, c.amount, c.method, c.reference, c.created_at,
                   sum(c.amount) OVER (ORDER BY c.created_at, c.id) AS running_balance
              FROM contributions c
             WHERE c.chama_id = ${chamaId}) AS w
     ${afterFilter}
     ORDER BY w.created_at DESC, w.id DESC
     LIMIT ${limit + 1}`;
  const result = await sql<RenderedStatement>`
    SELECT access.allowed, access.chama_exists, page.*
      FROM (SELECT EXISTS (SELECT 1 FROM memberships m
                            WHERE m.chama_id = ${chamaId} AND m.user_id = ${readerId}
                              AND m.status = 'active') AS allowed,
                   EXISTS (SELECT 1 FROM chamas WHERE id = ${chamaId}) AS chama_exists) AS access
      LEFT JOIN LATERAL (${renderPage(rows, limit)}) AS page ON access.allowed`.execute(db);
  return result.rows[0] as RenderedStatement;
}

/** Members ranked by what they paid in a period; ties share a rank (RANK()). */
export async function topContributors(
  db: Executor,
  chamaId: bigint,
  period: { from: Date; to: Date },
  limit: number,
) {
  const result = await sql<{
    member_id: bigint;
    first_name: string;
    last_name: string;
    total: bigint;
    contributions: bigint;
    rank: bigint;
  }>`
    SELECT t.member_id, u.first_name, u.last_name, t.total, t.contributions,
           rank() OVER (ORDER BY t.total DESC) AS rank
      FROM (SELECT c.member_id, sum(c.amount)::bigint AS total, count(*) AS contributions
              FROM contributions c
             WHERE c.chama_id = ${chamaId}
               AND c.created_at >= ${period.from} AND c.created_at < ${period.to}
             GROUP BY c.member_id) AS t
      JOIN users u ON u.id = t.member_id
     ORDER BY rank, t.member_id
     LIMIT ${limit}`.execute(db);
  return result.rows;
}
