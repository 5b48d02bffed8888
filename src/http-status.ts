/** Status carried by errors from express's own parsers (e.g. 413 for a body over the limit), else 500. */
export function httpStatusOf(error: unknown): number {
  const carrier = error as { status?: unknown; statusCode?: unknown } | null;
  const status = carrier?.status ?? carrier?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
