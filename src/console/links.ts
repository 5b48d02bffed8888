/** Addresses inside the console, built here so no page writes a URL by hand. */

export function transactionHref(source: string, reference: string): string {
  return `/console/transactions/${encodeURIComponent(source)}/${encodeURIComponent(reference)}`;
}

/** `path?a=1&b=2`, leaving out empty values. */
export function withQuery(path: string, query: Readonly<Record<string, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Where to go after a form or a sign-in: only a path of this console, so a crafted link cannot
 * send a signed-in operator elsewhere.
 */
export function consolePath(value: unknown, fallback = '/console'): string {
  if (typeof value !== 'string' || value.length > 2000) return fallback;
  if (!/^\/console(?:[/?#]|$)/.test(value) || /[\\\s]|\/\//.test(value)) return fallback;
  if (value.startsWith('/console/login') || value.startsWith('/console/logout')) return fallback;
  return value;
}

/** The same console path with `notice` set (and any earlier one replaced). */
export function withNotice(path: string, notice: string): string {
  const url = new URL(path, 'http://console.invalid');
  url.searchParams.set('notice', notice);
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * The notice a redirect asked for, as a fixed sentence: the code is never shown as it came, so a
 * link cannot make the console say something it did not.
 */
export function noticeText(code: string): string | null {
  let match = /^replayed-(\d{1,4})$/.exec(code);
  if (match) {
    const n = Number(match[1]);
    if (n === 0) return 'Nothing was queued: no subscriber takes this event.';
    return `Replay queued: ${n} ${n === 1 ? 'delivery' : 'deliveries'}. The attempts appear below as they are made.`;
  }
  match = /^retried-(\d{1,4})-of-(\d{1,4})$/.exec(code);
  if (match) {
    const [done, of] = [Number(match[1]), Number(match[2])];
    const skipped = of - done;
    return `Retrying ${done} ${done === 1 ? 'delivery' : 'deliveries'} now.${skipped > 0 ? ` ${skipped} ${skipped === 1 ? 'was' : 'were'} no longer dead.` : ''}`;
  }
  if (code === 'signed-out') return 'Signed out.';
  if (code === 'paused') return "Subscriber paused: its deliveries wait, in order, until it is resumed.";
  if (code === 'resumed') return 'Subscriber resumed: its deliveries go out again.';
  return null;
}
