import { sql } from 'kysely';
import type { ContributionMethod, MembershipRole } from '../../db/schema.js';
import type { Executor } from '../../db/transaction.js';
import { isoTime, moneyText, renderPage, type RenderedPage } from '../../db/rendered-page.js';
import { ledgerTransactionCtes } from '../ledger/ledger-repository.js';
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
  readonly recordedBy: bigint;
  /** The chama's funding and wallet accounts: money comes in from one to the other. */
  readonly fundingId: bigint;
  readonly walletId: bigint;
}

/**
 * The contribution and the ledger transaction that credits the chama wallet,
 * written in one statement (one round trip) inside the caller's transaction.
 */
export async function insertContribution(db: Executor, contribution: NewContribution) {
  const ledger = ledgerTransactionCtes({
    kind: 'contribution',
    createdBy: contribution.recordedBy,
    entries: [
      { accountId: contribution.fundingId, amount: -contribution.amount },
      { accountId: contribution.walletId, amount: contribution.amount },
    ],
  });
  const result = await sql<{ id: bigint; created_at: Date }>`
    WITH ${ledger}
    INSERT INTO contributions (chama_id, member_id, amount, method, reference,
                               ledger_transaction_id, recorded_by, created_at)
    SELECT ${contribution.chamaId}, ${contribution.memberId}, ${contribution.amount},
           ${contribution.method}, ${contribution.reference}, tx.id, ${contribution.recordedBy},
           tx.created_at
      FROM tx
    RETURNING id, created_at`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('the contribution was not written');
  return row;
}

export interface RenderedStatement extends Partial<RenderedPage> {
  readonly allowed: boolean;
  readonly chama_exists: boolean;
}

/**
 * Contract B3 and the chama statement, newest first, rendered as JSON by
 * PostgreSQL. The running balance is a window sum over the whole history in
 * time order, computed before the page is cut, so it is right on every page.
 * The reader's membership is checked in the same statement: allowed = false
 * means 403. The chama statement (no member) also names each row's member.
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
): Promise<RenderedStatement> {
  const { chamaId, readerId, memberId, limit, after } = options;
  const wholeChama = memberId === undefined;
  const memberFilter = wholeChama ? sql`` : sql`AND c.member_id = ${memberId}`;
  const memberFields = wholeChama
    ? sql`, 'memberId', w.member_id,
          'memberName', (SELECT u.first_name || ' ' || u.last_name FROM users u WHERE u.id = w.member_id)`
    : sql``;
  const afterFilter = after
    ? sql`WHERE (w.created_at, w.id) < (${after.createdAt}::timestamptz, ${after.id})`
    : sql``;
  const rows = sql`
    SELECT w.id, w.created_at,
           json_build_object(
             'id', w.id, 'amount', ${moneyText(sql`w.amount`)}, 'method', w.method,
             'reference', w.reference, 'createdAt', ${isoTime(sql`w.created_at`)},
             'runningBalance', ${moneyText(sql`w.running_balance`)} ${memberFields}
           ) AS item
      FROM (SELECT c.id, c.member_id, c.amount, c.method, c.reference, c.created_at,
                   sum(c.amount) OVER (ORDER BY c.created_at, c.id) AS running_balance
              FROM contributions c
             WHERE c.chama_id = ${chamaId} ${memberFilter}) AS w
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
