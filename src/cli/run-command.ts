import { ConfigError } from '../config/config.js';
import { DataFolderInUseError } from '../db/engines/pglite.js';
import { MigrationError, MigrationFailedError } from '../db/migrator/index.js';
import { isDatabaseUnavailable, isTlsRefusal } from '../db/sqlstate.js';
import { DomainError } from '../domain/errors.js';
import { BackupError } from '../ops/backup/manifest.js';
import { ToolError } from '../ops/backup/pg-tools.js';
import { SeedRefusedError } from '../ops/seed/seed.js';

/** Exit codes: 0 success, 1 the work failed, 2 bad usage or configuration. */
export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** The command was used wrongly: bad flags, or the wrong engine for it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs a CLI action and turns every expected failure into one readable line
 * on stderr and an exit code. Stack traces are for bugs only.
 */
export function runCommand<Args extends unknown[]>(
  action: (...args: Args) => Promise<void>,
): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    try {
      await action(...args);
    } catch (error) {
      const { message, code } = describeFailure(error);
      process.stderr.write(`chamahub: ${message}\n`);
      process.exitCode = code;
    }
  };
}

function describeFailure(error: unknown): { message: string; code: number } {
  if (error instanceof ConfigError || error instanceof UsageError) {
    return { message: error.message, code: ExitCode.usage };
  }
  if (error instanceof MigrationFailedError && isDatabaseUnavailable(error.cause)) {
    return describeFailure(error.cause);
  }
  if (
    error instanceof DataFolderInUseError ||
    error instanceof MigrationError ||
    error instanceof SeedRefusedError ||
    error instanceof BackupError ||
    error instanceof ToolError
  ) {
    return { message: error.message, code: ExitCode.failed };
  }
  if (error instanceof DomainError) return { message: error.message, code: ExitCode.failed };
  if (isTlsRefusal(error)) {
    return {
      message:
        `the database server's TLS certificate was refused (${error.message}). Check sslrootcert ` +
        '(or DB_SSL_ROOT_CERT) names the authority that signed it, and that the host in DATABASE_URL is one the certificate names.',
      code: ExitCode.failed,
    };
  }
  if (isDatabaseUnavailable(error)) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      message: `cannot reach the database (${detail}). Check DATABASE_URL and that the server is running.`,
      code: ExitCode.failed,
    };
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { message: `unexpected error: ${detail}`, code: ExitCode.failed };
}
