import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import * as deliveryRepository from './delivery.repository';

// A lease outlives its last renewal by 10 s: a process that died gives its deliveries up within
// that, plus a poll, inside the contract's 15 s. Renewed every 3 s, a lease survives two failed
// renewals (a slow database, a stalled event loop) before another process may take it.
const LEASE_MS = 10_000;
const HEARTBEAT_MS = 3_000;

export interface LeaseKeeperOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owner: string;
  /** How often to renew, in ms; 0: never (tests call `renew()` with their clock). */
  readonly heartbeatMs?: number | undefined;
}

/**
 * Keeps one process's leases on the deliveries it is attempting: short, so they lapse soon after
 * the process dies, and renewed by a heartbeat while attempts run, so an attempt may take as long
 * as its subscriber's timeout.
 */
export class LeaseKeeper {
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(private readonly options: LeaseKeeperOptions) {}

  /** When a lease taken or renewed now runs out. */
  leaseUntil(): string {
    return new Date(this.options.clock.now().getTime() + LEASE_MS).toISOString();
  }

  /** An attempt on a delivery this process just leased begins. */
  hold(deliveryId: string): void {
    this.held.add(deliveryId);
    const every = this.options.heartbeatMs ?? HEARTBEAT_MS;
    if (this.timer || every <= 0) return;
    this.timer = setInterval(() => void this.beat(), every);
    // The attempts themselves keep the process alive while they run; the heartbeat must not.
    this.timer.unref();
  }

  /** The attempt ended (or was abandoned): nothing left to renew for it. */
  release(deliveryId: string): void {
    this.held.delete(deliveryId);
    if (this.held.size === 0) this.stop();
  }

  /** Extends every lease held; one found in another owner's hands is given up. */
  async renew(): Promise<void> {
    const ids = [...this.held];
    if (ids.length === 0) return;
    const { db, owner, logger } = this.options;
    const renewed = new Set(await deliveryRepository.renewLeases(db, owner, ids, this.leaseUntil()));
    for (const id of ids) {
      if (renewed.has(id) || !this.held.has(id)) continue;
      this.held.delete(id);
      logger.warn({ deliveryId: id }, 'delivery lease was taken over during the attempt');
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      await this.renew();
    } catch (error) {
      // The next beat tries again; two may fail before a lease runs out.
      this.options.logger.error({ err: error }, 'delivery leases could not be renewed');
    } finally {
      this.renewing = false;
    }
  }
}
