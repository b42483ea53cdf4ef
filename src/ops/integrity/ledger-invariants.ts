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

export async function checkLedgerInvariants(db: AnyKysely): Promise<InvariantResult[]> {
  const unbalanced = await sql<{ id: string }>`
    SELECT transaction_id::text AS id FROM ledger_entries
     GROUP BY transaction_id HAVING sum(amount) <> 0
     ORDER BY transaction_id`.execute(db);
  const driftedBalances = await sql<{ id: string }>`
    SELECT a.id::text AS id
      FROM accounts a
      LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries GROUP BY account_id) e
        ON e.account_id = a.id
     WHERE a.balance <> coalesce(e.total, 0)
     ORDER BY a.id`.execute(db);
  const negativeWallets = await sql<{ id: string }>`
    SELECT id::text AS id FROM accounts WHERE kind = 'wallet' AND balance < 0 ORDER BY id`.execute(
    db,
  );
  const driftedMemberCounts = await sql<{ id: string }>`
    SELECT c.id::text AS id
      FROM chamas c
      LEFT JOIN (SELECT chama_id, count(*) AS members FROM memberships
                  WHERE status = 'active' GROUP BY chama_id) m ON m.chama_id = c.id
     WHERE c.member_count <> coalesce(m.members, 0)
     ORDER BY c.id`.execute(db);
  const result = (rule: string, rows: { id: string }[]): InvariantResult => ({
    rule,
    violations: rows.length,
    examples: rows.slice(0, 5).map((row) => row.id),
  });
  return [
    result('every ledger transaction sums to zero', unbalanced.rows),
    result('every cached balance equals the sum of its entries', driftedBalances.rows),
    result('no wallet is negative', negativeWallets.rows),
    result("every chama's member count equals its active memberships", driftedMemberCounts.rows),
  ];
}
