/**
 * Wraps any Kysely dialect so every statement is timed and recorded in the
 * capture of the request that runs it: the basis of X-Query-Count,
 * Server-Timing, the slow-query log, N+1 detection and the inspector page.
 */
import { performance } from 'node:perf_hooks';
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { currentCapture, recordStatement } from './capture.js';

export function inspecting(dialect: Dialect): Dialect {
  return {
    createAdapter: (): DialectAdapter => dialect.createAdapter(),
    createDriver: (): Driver => new InspectingDriver(dialect.createDriver()),
    createIntrospector: (db: Kysely<unknown>): DatabaseIntrospector =>
      dialect.createIntrospector(db),
    createQueryCompiler: (): QueryCompiler => dialect.createQueryCompiler(),
  };
}

class InspectingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const capture = currentCapture();
    const started = performance.now();
    try {
      const result = await this.inner.executeQuery<R>(compiled);
      this.#record(capture, compiled, started, rowsOf(result));
      return result;
    } catch (error) {
      this.#record(
        capture,
        compiled,
        started,
        null,
        error instanceof Error ? error.message : String(error),
      );
      throw error;
    }
  }

  streamQuery<R>(
    compiled: CompiledQuery,
    chunkSize: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(compiled, chunkSize);
  }

  #record(
    capture: ReturnType<typeof currentCapture>,
    compiled: CompiledQuery,
    started: number,
    rows: number | null,
    error?: string,
  ): void {
    if (!capture) return;
    const durationMs = performance.now() - started;
    recordStatement(capture, this.inner, {
      sql: compiled.sql,
      parameters: compiled.parameters,
      durationMs,
      rows,
      ...(error ? { error } : {}),
    });
  }
}

/** Rows returned; for a write without RETURNING, rows affected. */
function rowsOf(result: QueryResult<unknown>): number | null {
  if (result.rows.length > 0 || result.numAffectedRows === undefined) return result.rows.length;
  return Number(result.numAffectedRows);
}

class InspectingDriver implements Driver {
  readonly #wrapped = new WeakMap<DatabaseConnection, InspectingConnection>();

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let wrapped = this.#wrapped.get(connection);
    if (!wrapped) {
      wrapped = new InspectingConnection(connection);
      this.#wrapped.set(connection, wrapped);
    }
    return wrapped;
  }

  // The wrapped connection runs BEGIN and COMMIT, so they are recorded too.
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof InspectingConnection ? connection.inner : connection;
}
