import type { Logger } from 'pino';
import type { Metrics } from './admin/metrics';
import type { Clock } from './clock';
import type { Config } from './config/config';
import type { Db } from './db/database';
import type { Writes } from './db/group-commit';
import type { DatabaseHealth } from './db/health';

/** What the express apps need; tests build their own. */
export interface AppDeps {
  readonly config: Config;
  readonly db: Db;
  /** Where request handlers write: their answer waits for the COMMIT that holds their data. */
  readonly writes: Writes;
  /** Whether writes go through (`/readyz`). */
  readonly health: DatabaseHealth;
  /** Room left for the database (SQLite's filesystem); absent or null where unknown. */
  readonly freeBytes?: () => Promise<number | null>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told when new deliveries were committed, so they go out at once rather than at the next poll. */
  readonly outbox: { wake(): void };
  readonly metrics: Metrics;
}
