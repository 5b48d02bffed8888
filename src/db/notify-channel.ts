import { randomBytes } from 'node:crypto';
import { Client, type ClientConfig, type Notification, type Pool } from 'pg';

/** What a listener says about its connection: once when it is lost, once when it is back. */
export interface ChannelLog {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface Listening {
  close(): Promise<void>;
}

export interface NotifyChannelOptions {
  /** Announcements closer together than this are sent as one, in ms. */
  readonly gapMs?: number;
  /** First wait before listening again after the connection was lost, doubled on each failure up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

// One channel for every receiver on the server; the payload names the sender and its schema, so
// a process skips its own announcements and those of receivers working in another schema.
const CHANNEL = 'receiver_work';

/**
 * PostgreSQL LISTEN/NOTIFY between the processes working on one database: `announce()` after
 * committing new work, `listen()` to hear the others' announcements. Best effort by design:
 * an announcement is lost while a listener is reconnecting, so listeners also poll.
 *
 * The NOTIFY is a statement of its own after the COMMIT, not part of the committed transaction:
 * a transaction that notifies takes a database-wide lock while it commits (so its notifications
 * are queued in commit order), which would line up every group commit of every replica behind
 * one another, fsync included; and the ingest path would pay a statement per unit of work. On its
 * own the NOTIFY writes no WAL and waits for no fsync, and announcements that arrive while one
 * is being sent (or within `gapMs` of it) are sent as one, so a busy process sends at most one
 * every few milliseconds however many callbacks it stores.
 */
export class NotifyChannel {
  private readonly sender = randomBytes(8).toString('hex');
  private readonly gapMs: number;
  private readonly listeners = new Set<Listener>();
  private sending = false;
  private again = false;
  private gap: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    /** How the listener connects: the pool's own settings. */
    private readonly connection: ClientConfig,
    private readonly options: NotifyChannelOptions = {},
  ) {
    this.gapMs = options.gapMs ?? 10;
  }

  /** Tells the other processes to look for work now; returns at once. */
  announce(): void {
    if (this.closed) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    this.pool
      .query('select pg_notify($1, $2 || \' \' || current_schema())', [CHANNEL, this.sender])
      // Nothing to do about a failure: the others find the work at their next poll, and a
      // database that is away is reported by the writes themselves.
      .catch(() => undefined)
      .finally(() => {
        this.gap = setTimeout(() => {
          this.sending = false;
          if (this.again) {
            this.again = false;
            this.announce();
          }
        }, this.gapMs);
        this.gap.unref();
      });
  }

  /** announce(), waited for: for a process about to close its pool (a CLI command). */
  async announceNow(): Promise<void> {
    if (this.closed) return;
    await this.pool.query('select pg_notify($1, $2 || \' \' || current_schema())', [CHANNEL, this.sender]).catch(() => undefined);
  }

  /**
   * Calls `onAnnounce` whenever another process announces, over a connection of its own (a
   * LISTEN holds its session, so it cannot share the pool's). A lost connection is opened again
   * with a growing wait, and `onAnnounce` is called once it is back for what was missed meanwhile.
   */
  listen(onAnnounce: () => void, log: ChannelLog): Listening {
    const listener = new Listener(this.connection, this.sender, onAnnounce, log, {
      backoffMs: this.options.backoffMs ?? 250,
      maxBackoffMs: this.options.maxBackoffMs ?? 10_000,
    });
    this.listeners.add(listener);
    listener.start();
    return {
      close: async () => {
        this.listeners.delete(listener);
        await listener.close();
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.gap);
    await Promise.all([...this.listeners].map((listener) => listener.close()));
    this.listeners.clear();
  }
}

class Listener {
  private client: Client | null = null;
  private schema: string | null = null;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly connection: ClientConfig,
    private readonly sender: string,
    private readonly onAnnounce: () => void,
    private readonly log: ChannelLog,
    private readonly backoff: { readonly backoffMs: number; readonly maxBackoffMs: number },
  ) {}

  start(): void {
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    // A connection that went silent (a NAT or proxy dropping it) is found by TCP keepalive.
    const client = new Client({ ...this.connection, keepAlive: true });
    this.client = client;
    // Without a listener, an 'error' (the server terminating the session) would end the process.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the listening connection ended')));
    client.on('notification', (message) => this.heard(message));
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string }>('select current_schema() as schema');
      this.schema = rows[0]?.schema ?? null;
      await client.query(`listen ${CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.closed || this.client !== client) return;
    if (this.failures > 0) {
      this.log.info({ attempts: this.failures }, 'listening for work announced by other processes again');
      this.failures = 0;
      // Announcements made while nobody listened are gone: look once now rather than at the next poll.
      this.onAnnounce();
    }
  }

  private heard(message: Notification): void {
    if (message.channel !== CHANNEL || !message.payload) return;
    const space = message.payload.indexOf(' ');
    const sender = message.payload.slice(0, space);
    const schema = message.payload.slice(space + 1);
    if (sender === this.sender || schema !== this.schema) return;
    this.onAnnounce();
  }

  private lost(client: Client, error: unknown): void {
    // 'error' and 'end' both come for one loss; a client replaced already is old news.
    if (this.closed || this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    if (this.failures === 0) {
      this.log.error({ err: error }, 'cannot listen for work announced by other processes; polling until the connection is back');
    }
    this.failures += 1;
    const wait = Math.min(this.backoff.maxBackoffMs, this.backoff.backoffMs * 2 ** (this.failures - 1));
    this.retry = setTimeout(() => void this.connect(), wait);
    this.retry.unref();
  }
}
