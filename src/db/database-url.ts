/**
 * DATABASE_URL as it may be shown in logs and error messages: a PostgreSQL password, in the
 * user part or as a `password=` or `sslpassword=` (the client key's passphrase) parameter,
 * becomes `***`. SQLite URLs carry no secret.
 */
const SECRET_PARAMETERS = ['password', 'sslpassword'];

export function redactDatabaseUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // pg may still make sense of what URL does not: hide whatever sits between `user:` and `@`.
    return url.replace(/^([^/]*\/\/[^/:@]*:)[^@/]*@/, '$1***@').replace(/([?&](?:ssl)?password=)[^&]*/gi, '$1***');
  }
  if (parsed.password) parsed.password = '***';
  for (const name of SECRET_PARAMETERS) if (parsed.searchParams.has(name)) parsed.searchParams.set(name, '***');
  return parsed.toString();
}

/** The words of a connection error, also when Node gives an AggregateError (one per address tried). */
export function describeConnectionError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeConnectionError))].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return error.message || (typeof code === 'string' ? code : error.name);
  }
  return String(error);
}
