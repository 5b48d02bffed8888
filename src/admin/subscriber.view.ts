import type { SubscriberStatus } from '../delivery/subscriber.service';
import { REDACTED } from '../ingress/redact';

/** How the admin API shows a configured subscriber: never a secret, nor credentials in its URL. */
export function toSubscriberView({ subscriber, pausedAt, backlog }: SubscriberStatus) {
  return {
    id: subscriber.id,
    url: redactUrl(subscriber.url),
    paused: pausedAt !== null,
    pausedAt,
    pending: backlog.pending,
    dead: backlog.dead,
    oldestPendingAt: backlog.oldestPendingAt,
  };
}

/**
 * The URL without what may be a credential: the user and password, and the value of every query
 * parameter (a subscriber may take its token as `?token=…`). Scheme, host, port and path stay,
 * which is what an operator needs to tell where deliveries go.
 */
export function redactUrl(url: string): string {
  const target = new URL(url);
  const userinfo = target.username !== '' || target.password !== '' ? `${REDACTED}@` : '';
  const query = [...target.searchParams.keys()].map((name) => `${encodeURIComponent(name)}=${REDACTED}`).join('&');
  return `${target.protocol}//${userinfo}${target.host}${target.pathname}${query === '' ? '' : `?${query}`}`;
}
