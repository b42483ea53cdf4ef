import { sql } from 'kysely';
import type { ContributionMethod, MembershipRole } from '../../db/schema.js';
import type { Executor } from '../../db/transaction.js';
import type { KeysetPosition } from '../pagination.js';

/** Everything recording a contribution needs to decide, in one statement. */
export async function contributionContext(
  db: Executor,
  chamaId: bigint,
  callerId: bigint,
  memberId: bigint,
) {
  const result = await sql<{
    is_active: boolean;
    currency: string;
    caller_role: MembershipRole | null;
    member_status: string | null;
    wallet_id: bigint;
    funding_id: bigint;
  }>`
    SELECT c.is_active, c.currency,
           (SELECT m.role FROM memberships m
             WHERE m.chama_id = c.id AND m.user_id = ${callerId} AND m.status = 'active') AS caller_role,
           (SELECT m.status FROM memberships m
             WHERE m.chama_id = c.id AND m.user_id = ${memberId}) AS member_status,
           (SELECT a.id FROM accounts a WHERE a.chama_id = c.id AND a.kind = 'wallet') AS wallet_id,
           (SELECT a.id FROM accounts a WHERE a.chama_id = c.id AND a.kind = 'funding') AS funding_id
      FROM chamas c
     WHERE c.id = ${chamaId}`.execute(db);
  return result.rows[0];
}

export interface NewContribution {
  readonly chamaId: bigint;
  readonly memberId: bigint;
  readonly amount: bigint;
  readonly method: ContributionMethod;
  readonly reference: string;
  readonly ledgerTransactionId: bigint;
  readonly recordedBy: bigint;
  readonly createdAt: Date;
}

export async function insertContribution(db: Executor, contribution: NewContribution) {
  return db
    .insertInto('contributions')
    .values({
      chama_id: contribution.chamaId,
      member_id: contribution.memberId,
      amount: contribution.amount,
      method: contribution.method,
      reference: contribution.reference,
      ledger_transaction_id: contribution.ledgerTransactionId,
      recorded_by: contribution.recordedBy,
      created_at: contribution.createdAt,
    })
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow();
}

export interface StatementRow {
  readonly allowed: boolean;
  readonly chama_exists: boolean;
  readonly id: bigint | null;
  readonly member_id: bigint | null;
  readonly first_name: string | null;
  readonly last_name: string | null;
  readonly amount: bigint | null;
  readonly method: ContributionMethod | null;
  readonly reference: string | null;
  readonly created_at: Date | null;
  readonly running_balance: bigint | null;
}

/**
 * Contract B3 and the chama statement, newest first. The running balance is
 * a window sum over the whole history in time order, computed before the page
 * is cut, so it is right on every page. The reader's membership is checked in
 * the same statement: one row with allowed = false means 403.
 * Served by contributions_member_statement_idx or contributions_chama_created_idx.
 */
export async function statement(
  db: Executor,
  options: {
    chamaId: bigint;
    readerId: bigint;
    memberId?: bigint | undefined;
    limit: number;
    after?: KeysetPosition | undefined;
  },
): Promise<StatementRow[]> {
  const { chamaId, readerId, memberId, limit, after } = options;
  const memberFilter = memberId === undefined ? sql`` : sql`AND c.member_id = ${memberId}`;
  const afterFilter = after
    ? sql`WHERE (w.created_at, w.id) < (${after.createdAt}, ${after.id})`
    : sql``;
  const result = await sql<StatementRow>`
    SELECT access.allowed, access.chama_exists, page.*
      FROM (SELECT EXISTS (SELECT 1 FROM memberships m
                            WHERE m.chama_id = ${chamaId} AND m.user_id = ${readerId}
                              AND m.status = 'active') AS allowed,
                   EXISTS (SELECT 1 FROM chamas WHERE id = ${chamaId}) AS chama_exists) AS access
      LEFT JOIN LATERAL (
        SELECT w.*, u.first_name, u.last_name
          FROM (SELECT c.id, c.member_id, c.amount, c.method, c.reference, c.created_at,
                       (sum(c.amount) OVER (ORDER BY c.created_at, c.id))::bigint AS running_balance
                  FROM contributions c
                 WHERE c.chama_id = ${chamaId} ${memberFilter}) AS w
          JOIN users u ON u.id = w.member_id
          ${afterFilter}
         ORDER BY w.created_at DESC, w.id DESC
         LIMIT ${limit + 1}
      ) AS page ON access.allowed
     ORDER BY page.created_at DESC, page.id DESC`.execute(db);
  return result.rows;
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
