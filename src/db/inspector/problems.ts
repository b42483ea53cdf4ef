/** What is wrong with a request's SQL: repeated statements, N+1 loops, a blown budget. */
import { isTransactionControl, type CapturedStatement } from './capture.js';

/** The same statement shape this many times in one request is a loop doing per-row queries. */
export const N_PLUS_ONE_THRESHOLD = 5;

export type QueryProblem =
  | { readonly kind: 'duplicate'; readonly sql: string; readonly times: number }
  | { readonly kind: 'n+1'; readonly sql: string; readonly times: number }
  | { readonly kind: 'over budget'; readonly statements: number; readonly budget: number };

export function findQueryProblems(
  statements: readonly CapturedStatement[],
  budget?: number,
): QueryProblem[] {
  const problems: QueryProblem[] = [];
  const work = statements.filter((statement) => !isTransactionControl(statement.sql));
  const byShape = countBy(work, (statement) => statement.normalized);
  const loops = new Set<string>();
  for (const [sql, times] of byShape) {
    if (times < N_PLUS_ONE_THRESHOLD) continue;
    loops.add(sql);
    problems.push({ kind: 'n+1', sql, times });
  }
  const repeated = new Map<string, { statement: CapturedStatement; times: number }>();
  for (const statement of work) {
    const key = `${statement.sql}\u0000${safeJson(statement.parameters)}`;
    const seen = repeated.get(key);
    repeated.set(key, { statement, times: (seen?.times ?? 0) + 1 });
  }
  for (const { statement, times } of repeated.values()) {
    if (times >= 2 && !loops.has(statement.normalized)) {
      problems.push({ kind: 'duplicate', sql: statement.sql, times });
    }
  }
  if (budget !== undefined && statements.length > budget) {
    problems.push({ kind: 'over budget', statements: statements.length, budget });
  }
  return problems;
}

export function describeProblem(problem: QueryProblem): string {
  switch (problem.kind) {
    case 'n+1':
      return `N+1: the same statement ran ${problem.times} times: ${problem.sql}`;
    case 'duplicate':
      return `duplicate: the same statement with the same parameters ran ${problem.times} times: ${problem.sql}`;
    case 'over budget':
      return `over budget: ${problem.statements} statements, the route allows ${problem.budget}`;
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function safeJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'bigint' ? inner.toString() : inner,
  );
}
