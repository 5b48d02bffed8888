import type { Clock } from '../clock';
import type { Subscriber } from '../config/config';
import type { Db } from '../db/database';
import { refreshStatistics } from '../db/dialect';
import type { PageCursor } from '../events/event.repository';
import * as deliveryRepository from './delivery.repository';
import { findSubscriber } from './subscriber.service';

/** Which dead deliveries to retry: some of `subscriber`, `since`, `until`, or explicitly `all`. */
export interface RedriveFilter {
  readonly subscriber?: string;
  /** On the delivery's creation time: `since` inclusive, `until` exclusive (ISO-8601). */
  readonly since?: string;
  readonly until?: string;
  /** Every dead delivery of every configured subscriber: must be said, never implied by an empty filter. */
  readonly all?: boolean;
}

export interface RedriveOptions {
  /** Count what would be retried, change nothing. */
  readonly dryRun?: boolean;
  readonly batchSize?: number;
  readonly onProgress?: (retried: number) => void;
}

/** An empty filter without `all`, or `all` with a filter: the operator must say which they mean. */
export class AmbiguousRedriveError extends Error {
  override readonly name = 'AmbiguousRedriveError';
}

const DEFAULT_BATCH = 500;
/** As in replay: from this many deliveries made pending on, the claim's plan must know of them at once. */
const BULK_DELIVERIES = 1000;

/**
 * Makes every dead delivery matching `filter` pending again, due now, and answers how many (with
 * `dryRun`, how many would be). Each keeps its attempts, as with a single retry: one that had
 * used its whole retry schedule gets one more attempt and is dead again if that fails; one cut
 * short (a 410 Gone) goes on with the rest of its schedule. Only configured subscribers'
 * deliveries are retried (another's would die again at once). Batches of `batchSize`, oldest
 * first, each committed on its own, yielding to the event loop between them: 100,000 dead
 * deliveries never sit in one transaction.
 */
export async function retryDeadDeliveries(
  db: Db,
  clock: Clock,
  subscribers: readonly Subscriber[],
  filter: RedriveFilter,
  options: RedriveOptions = {},
): Promise<number> {
  const narrowed = filter.subscriber !== undefined || filter.since !== undefined || filter.until !== undefined;
  if (filter.all && narrowed) throw new AmbiguousRedriveError('all cannot be combined with subscriber, since or until');
  if (!filter.all && !narrowed) throw new AmbiguousRedriveError('give subscriber, since or until, or all: true to retry every dead delivery');
  const dead: deliveryRepository.DeadFilter = {
    subscribers: filter.subscriber !== undefined ? [findSubscriber(subscribers, filter.subscriber).id] : subscribers.map((s) => s.id),
    ...(filter.since !== undefined ? { since: filter.since } : {}),
    ...(filter.until !== undefined ? { until: filter.until } : {}),
  };
  if (options.dryRun) return deliveryRepository.countDead(db, dead);
  const now = clock.now().toISOString();
  let retried = 0;
  let after: PageCursor | undefined;
  for (;;) {
    const batch = await deliveryRepository.retryDeadBatch(db, dead, after, options.batchSize ?? DEFAULT_BATCH, now);
    if (batch.next === null) break;
    retried += batch.retried;
    after = batch.next;
    options.onProgress?.(retried);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (retried >= BULK_DELIVERIES) await refreshStatistics(db, 'deliveries');
  return retried;
}
