/**
 * ChamaHub's own rules, checked on the data as it is: after a restore, a
 * manual fix or a bug, these are what must still hold for the books to be right.
 */
import { sql } from 'kysely';
import type { AnyKysely } from '../../db/schema.js';

export interface InvariantResult {
  readonly rule: string;
  /** How many rows break it; 0 means it holds. */
  readonly violations: number;
  /** Up to five offending ids, for the report. */
  readonly examples: readonly string[];
}

/** Each rule, as a query for the ids that break it. */
const OFFENDERS = [
  {
    rule: 'every ledger transaction sums to zero',
    query: `SELECT transaction_id AS id FROM ledger_entries
             GROUP BY transaction_id HAVING sum(amount) <> 0`,
  },
  {
    rule: 'every cached balance equals the sum of its entries',
    query: `SELECT a.id
              FROM accounts a
              LEFT JOIN (SELECT account_id, sum(amount) AS total
                           FROM ledger_entries GROUP BY account_id) e ON e.account_id = a.id
             WHERE a.balance <> coalesce(e.total, 0)`,
  },
  {
    rule: 'no wallet is negative',
    query: `SELECT id FROM accounts WHERE kind = 'wallet' AND balance < 0`,
  },
  {
    rule: "every chama's member count equals its active memberships",
    query: `SELECT c.id
              FROM chamas c
              LEFT JOIN (SELECT chama_id, count(*) AS members FROM memberships
                          WHERE status = 'active' GROUP BY chama_id) m ON m.chama_id = c.id
             WHERE c.member_count <> coalesce(m.members, 0)`,
  },
];

/**
 * One statement per rule: how many rows break it and the first five ids. It
 * takes no parameters, so any session can run it: the doctor and backup
 * verification through Kysely, the seed inside its bulk-load transaction.
 */
export const INVARIANT_CHECKS: readonly { rule: string; sql: string }[] = OFFENDERS.map(
  ({ rule, query }) => ({
    rule,
    sql: `SELECT count(*)::int AS violations,
                 coalesce((array_agg(o.id::text ORDER BY o.id))[1:5], '{}') AS examples
            FROM (${query}) AS o`,
  }),
);

export type InvariantRow = { violations: number; examples: string[] };

export async function checkLedgerInvariants(db: AnyKysely): Promise<InvariantResult[]> {
  const results: InvariantResult[] = [];
  for (const check of INVARIANT_CHECKS) {
    const { rows } = await sql<InvariantRow>`${sql.raw(check.sql)}`.execute(db);
    results.push({ rule: check.rule, ...(rows[0] ?? { violations: 0, examples: [] }) });
  }
  return results;
}
