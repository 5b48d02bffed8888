/**
 * Whether the database takes writes (CONTRACT 6, `/readyz`): a write that failed because the
 * database is unreachable or full marks it down until a write succeeds again. A constraint
 * violation is the database working as designed, not a failure of it.
 */
export class DatabaseHealth {
  private failure: { readonly at: Date; readonly reason: string } | null = null;

  get writable(): boolean {
    return this.failure === null;
  }

  /** Why the last write failed, while it is the latest word. */
  get lastFailure(): { readonly at: Date; readonly reason: string } | null {
    return this.failure;
  }

  wrote(): void {
    this.failure = null;
  }

  /** Records the error when it says the database cannot take writes; answers whether it did. */
  failed(error: unknown, at = new Date()): boolean {
    if (!isUnavailable(error)) return false;
    this.failure = { at, reason: describe(error) };
    return true;
  }
}

// SQLite result codes meaning the file cannot be written (full disk, I/O error, read-only,
// locked beyond busy_timeout, damaged); the extended codes (SQLITE_IOERR_WRITE…) share the prefix.
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB|BUSY|LOCKED|PROTOCOL|NOMEM)/;
// PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources (disk full),
// 57 operator intervention (admin shutdown, terminated), 58 system error, XX internal error.
const PG_UNAVAILABLE = /^(08|53|57|58|XX)/;
const NETWORK = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN)$/;
const DRIVER_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
  'The database connection is not open',
];

export function isUnavailable(error: unknown): boolean {
  // Not `instanceof`: a driver's errors may come from another realm (jest runs tests in one).
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (SQLITE_UNAVAILABLE.test(code) || NETWORK.test(code))) return true;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && PG_UNAVAILABLE.test(code)) return true;
  return typeof message === 'string' && DRIVER_MESSAGES.some((m) => message.includes(m));
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
