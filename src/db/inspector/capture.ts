/**
 * Per-request capture of the SQL a request runs. Every request is counted
 * (statements and database time, for the response headers); when capture is
 * on, each statement is kept too: its text, normalized form, parameters,
 * duration, rows and the transaction it ran in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { normalizeSql } from './normalize.js';

export interface CapturedStatement {
  readonly sql: string;
  readonly normalized: string;
  readonly parameters: readonly unknown[];
  readonly durationMs: number;
  /** Rows returned, or affected by a write; null for statements that report neither. */
  readonly rows: number | null;
  /** Statements inside one BEGIN … COMMIT share a number; null outside a transaction. */
  readonly transaction: number | null;
  readonly error?: string;
}

export interface RequestCapture {
  statements: number;
  databaseMs: number;
  /** Present when this request's statements are kept. */
  readonly detail?: CapturedStatement[];
  /** The transaction each connection is in, while one is open. */
  readonly openTransactions: Map<object, number>;
  nextTransaction: number;
  /** Statements at least this slow are reported, with the request they belong to. */
  slow?: { readonly thresholdMs: number; report(normalizedSql: string, durationMs: number): void };
}

const current = new AsyncLocalStorage<RequestCapture>();

function newCapture(keepStatements: boolean): RequestCapture {
  return {
    statements: 0,
    databaseMs: 0,
    openTransactions: new Map(),
    nextTransaction: 1,
    ...(keepStatements ? { detail: [] } : {}),
  };
}

/** Starts a capture for the rest of the current asynchronous context (a request). */
export function startCapture(keepStatements: boolean): RequestCapture {
  const capture = newCapture(keepStatements);
  current.enterWith(capture);
  return capture;
}

/** Runs `work` with its own capture: for commands that explain what code runs. */
export function withCapture<T>(
  work: () => Promise<T>,
): Promise<{ result: T; capture: RequestCapture }> {
  const capture = newCapture(true);
  return current.run(capture, async () => ({ result: await work(), capture }));
}

export function currentCapture(): RequestCapture | undefined {
  return current.getStore();
}

const BEGIN = /^\s*(begin|start transaction)\b/i;
const END = /^\s*(commit|rollback|end)\s*$/i;

/** Adds one executed statement to the capture it ran under, on `connection`. */
export function recordStatement(
  capture: RequestCapture,
  connection: object,
  statement: {
    sql: string;
    parameters: readonly unknown[];
    durationMs: number;
    rows: number | null;
    error?: string;
  },
): void {
  capture.statements++;
  capture.databaseMs += statement.durationMs;
  if (capture.slow && statement.durationMs >= capture.slow.thresholdMs) {
    capture.slow.report(normalizeSql(statement.sql), statement.durationMs);
  }
  if (BEGIN.test(statement.sql))
    capture.openTransactions.set(connection, capture.nextTransaction++);
  const transaction = capture.openTransactions.get(connection) ?? null;
  if (END.test(statement.sql)) capture.openTransactions.delete(connection);
  capture.detail?.push({
    sql: statement.sql,
    normalized: normalizeSql(statement.sql),
    parameters: statement.parameters,
    durationMs: statement.durationMs,
    rows: statement.rows,
    transaction,
    ...(statement.error ? { error: statement.error } : {}),
  });
}

export function isTransactionControl(sql: string): boolean {
  return BEGIN.test(sql) || END.test(sql) || /^\s*(savepoint|release|rollback to)\b/i.test(sql);
}
