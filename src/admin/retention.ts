import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { Db } from '../db/database';

const BATCH = 500;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface PruneCounts {
  readonly inboundRecords: number;
  readonly deliveryAttempts: number;
  readonly snapRequests: number;
  readonly accessTokens: number;
  readonly watchPolls: number;
}

/**
 * Deletes, in batches of 500 with a pause for other work between them: raw inbound records and
 * the attempts of delivered deliveries older than `retentionDays`, idempotency keys older than
 * two days (X-EXTERNAL-ID is unique per day only), access tokens a day past expiry, and the poll
 * log of watches that ended (its requests and answers are inbound records). Events, deliveries,
 * the attempts of undelivered ones and watches themselves are kept.
 */
export async function pruneOnce(db: Db, clock: Clock, retentionDays: number): Promise<PruneCounts> {
  const now = clock.now().getTime();
  const cutoff = new Date(now - retentionDays * DAY_MS).toISOString();
  const dayAgo = new Date(now - DAY_MS).toISOString();
  const twoDaysAgo = new Date(now - 2 * DAY_MS).toISOString();

  // The links to repeated reports first, so none is left pointing at a removed record (they are
  // few, one per repeated report: one statement).
  await db.deleteFrom('event_repeats').where('received_at', '<', cutoff).execute();
  const inboundRecords = await inBatches(() =>
    db
      .deleteFrom('inbound_records')
      .where('id', 'in', (eb) => eb.selectFrom('inbound_records').select('id').where('received_at', '<', cutoff).limit(BATCH))
      .executeTakeFirst(),
  );
  const deliveryAttempts = await inBatches(() =>
    db
      .deleteFrom('delivery_attempts')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('delivery_attempts as a')
          .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
          .select('a.id')
          .where('d.state', '=', 'delivered')
          .where('a.started_at', '<', cutoff)
          .limit(BATCH),
      )
      .executeTakeFirst(),
  );
  const snapRequests = await inBatches(() =>
    db
      .deleteFrom('snap_requests')
      .where('created_at', 'in', (eb) => eb.selectFrom('snap_requests').select('created_at').where('created_at', '<', twoDaysAgo).limit(BATCH))
      .executeTakeFirst(),
  );
  const accessTokens = await inBatches(() =>
    db
      .deleteFrom('access_tokens')
      .where('token_hash', 'in', (eb) => eb.selectFrom('access_tokens').select('token_hash').where('expires_at', '<', dayAgo).limit(BATCH))
      .executeTakeFirst(),
  );
  const watchPolls = await inBatches(() =>
    db
      .deleteFrom('watch_polls')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('watch_polls as p')
          .innerJoin('watches as w', 'w.id', 'p.watch_id')
          .select('p.id')
          .where('w.state', '!=', 'active')
          .where('p.started_at', '<', cutoff)
          .limit(BATCH),
      )
      .executeTakeFirst(),
  );
  return { inboundRecords, deliveryAttempts, snapRequests, accessTokens, watchPolls };
}

async function inBatches(deleteBatch: () => Promise<{ numDeletedRows: bigint }>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = Number((await deleteBatch()).numDeletedRows);
    total += deleted;
    if (deleted < BATCH) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Runs pruneOnce every `intervalMs` (hourly by default) while started; nothing when retention is 0. */
export class Pruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly retentionDays: number,
    private readonly intervalMs = 60 * 60 * 1000,
  ) {}

  start(): void {
    if (this.retentionDays <= 0 || this.timer) return;
    const run = () => {
      this.running = pruneOnce(this.db, this.clock, this.retentionDays).then(
        (counts) => this.logger.info({ pruned: counts }, 'retention pruning done'),
        (error: unknown) => this.logger.error({ err: error }, 'retention pruning failed'),
      );
    };
    this.timer = setInterval(run, this.intervalMs);
    this.timer.unref();
    run();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
