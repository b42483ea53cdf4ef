/** PostgreSQL error codes ChamaHub branches on. Never match on message text. */
export const SqlState = {
  integrityConstraintViolation: '23000',
  foreignKeyViolation: '23503',
  uniqueViolation: '23505',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  undefinedTable: '42P01',
  undefinedObject: '42704',
  insufficientPrivilege: '42501',
  invalidCatalogName: '3D000',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
  tooManyConnections: '53300',
} as const;

export interface DatabaseErrorLike {
  readonly code: string;
  readonly constraint?: string;
  readonly message: string;
}

/** True for an error raised by PostgreSQL (either engine) with a SQLSTATE. */
export function isDatabaseError(error: unknown): error is DatabaseErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((error as { code: string }).code)
  );
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/**
 * True when every pooled connection stayed busy past the acquire timeout.
 * node-postgres gives this error no code, so its fixed message is the signal.
 */
export function isPoolExhausted(error: unknown): boolean {
  return error instanceof Error && error.message === 'timeout exceeded when trying to connect';
}

/** True when the database cannot be reached right now: retrying later may work. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // Class 08: connection exception; 57P0x: the server is shutting down or starting.
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === SqlState.tooManyConnections) {
      return true;
    }
  }
  const message = (error as { message?: unknown }).message;
  // node-postgres raises these without a code when a pooled connection dies.
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      message,
    )
  );
}

/** True for a unique violation of the named constraint or index. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  return (
    isDatabaseError(error) &&
    error.code === SqlState.uniqueViolation &&
    error.constraint === constraint
  );
}

/** The connected role lacks a privilege (reading pg_authid, creating a role…). */
export function isInsufficientPrivilege(error: unknown): boolean {
  return isDatabaseError(error) && error.code === SqlState.insufficientPrivilege;
}

const TLS_REFUSALS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The client refused the server's certificate (wrong authority, wrong host name, expired). */
export function isTlsRefusal(error: unknown): error is Error & { code: string } {
  return error instanceof Error && TLS_REFUSALS.has((error as { code?: string }).code ?? '');
}
