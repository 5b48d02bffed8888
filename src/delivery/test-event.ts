import { performance } from 'node:perf_hooks';
import { type Clock, newId } from '../clock';
import type { Subscriber } from '../config/config';
import { postWebhook } from './webhook-post';
import { webhookHeaders } from './webhook-signer';

/** The body of a `payment.test` event: nothing to process, only a request to verify and answer. */
export interface TestEvent {
  readonly id: string;
  readonly type: 'payment.test';
  readonly createdAt: string;
  readonly data: { readonly subscriber: string; readonly message: string };
}

export interface TestEventResult {
  /** The `webhook-id` sent, to find the request in the subscriber's logs. */
  readonly id: string;
  /** True when the subscriber answered 2xx. */
  readonly delivered: boolean;
  /** The HTTP status of the answer; null when none came (timeout, refused connection). */
  readonly status: number | null;
  readonly latencyMs: number;
  /** Why it was not delivered: `HTTP 500`, `timeout`, `ECONNREFUSED`, … */
  readonly error?: string;
  /** The first 4 KiB of the answer; null when none came. */
  readonly responseBody: string | null;
}

/**
 * Sends one signed `payment.test` event to the subscriber, exactly as a delivery is sent (same
 * headers, signatures with every secret, its timeout, no redirects followed), so its team can
 * check the URL and their verification. Nothing is stored: no event, no delivery, no retry.
 */
export async function sendTestEvent(subscriber: Subscriber, clock: Clock): Promise<TestEventResult> {
  const now = clock.now();
  const event: TestEvent = {
    id: newId('tst', clock),
    type: 'payment.test',
    createdAt: now.toISOString(),
    data: { subscriber: subscriber.id, message: 'A test event from the payment callback receiver: verify its signature, answer 2xx, process nothing.' },
  };
  const body = JSON.stringify(event);
  const timestamp = Math.floor(now.getTime() / 1000);
  const headers = webhookHeaders(subscriber.secrets, event.id, timestamp, body);
  const t0 = performance.now();
  const result = await postWebhook(subscriber.url, headers, body, subscriber.timeoutSeconds * 1000);
  const latencyMs = Math.round(performance.now() - t0);
  if (!result.ok) return { id: event.id, delivered: false, status: null, latencyMs, error: result.error, responseBody: null };
  const delivered = result.statusCode >= 200 && result.statusCode < 300;
  return {
    id: event.id,
    delivered,
    status: result.statusCode,
    latencyMs,
    ...(delivered ? {} : { error: `HTTP ${result.statusCode}` }),
    responseBody: result.body,
  };
}
