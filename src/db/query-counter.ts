import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogEvent } from 'kysely';

/** The SQL a unit of work (one HTTP request) ran so far. */
export interface QueryTally {
  statements: number;
  databaseMs: number;
}

const current = new AsyncLocalStorage<QueryTally>();

/** Starts a tally for the rest of the current asynchronous context (a Fastify request). */
export function startTally(): QueryTally {
  const tally: QueryTally = { statements: 0, databaseMs: 0 };
  current.enterWith(tally);
  return tally;
}

/** Kysely's log hook: adds each executed statement to the current tally. */
export function tallyQuery(event: LogEvent): void {
  const tally = current.getStore();
  if (!tally) return;
  tally.statements++;
  tally.databaseMs += event.queryDurationMillis;
}
