import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Metrics } from '../admin/metrics';
import { type Clock, newId } from '../clock';
import { type MmbcSource, type Source, type Subscriber, isMmbcSource } from '../config/config';
import type { Trx } from '../db/database';
import type { Writes } from '../db/group-commit';
import { type StatusReport, isStatus } from '../events/event';
import * as transactionRepository from '../events/transaction.repository';
import { countReversals } from '../ingress/inbound-metrics';
import * as inboundService from '../ingress/inbound.service';
import { type PollAnswer, type PollOutcome, type Reading, channelOf, readAnswer } from './mmbc-answer';
import { pollRequest, sendPoll } from './mmbc-client';
import * as watchRepository from './watch.repository';
import type { WatchRow, WatchState } from './watch.table';

// reason_code 93 ("too many of your requests are still in process"): the source rests this long.
const PAUSE_MS = 60_000;
// A poll's lease outlives its timeout by this much, so a live process always finishes first.
const LEASE_MARGIN_MS = 30_000;
// How often to look for watches that fell due (and for those other processes registered).
const POLL_EVERY_MS = 1_000;
// The stored answer, like a refused body, keeps at most this much.
const KEPT_ANSWER_CHARS = 4096;

export interface PollerOptions {
  readonly writes: Writes;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly sources: readonly Source[];
  readonly subscribers: readonly Subscriber[];
  readonly metrics?: Metrics;
  /** Told when a poll made events, so their deliveries go out at once. */
  readonly outbox?: { wake(): void };
  /** For the ±20 % jitter of the schedule; tests pass a constant. */
  readonly random?: () => number;
  readonly everyMs?: number;
}

/**
 * Polls the pull-only providers (CONTRACT 7) for the watches that fall due: claims them with a
 * lease (so with several processes each poll is made by one), posts the status request, and
 * records the answer like a callback (inbound record, events, deliveries) together with the
 * watch's next step, in one transaction. `pollDue()` polls until nothing is due (tests drive it
 * with an injected clock); `start()` looks every second.
 */
export class WatchPoller {
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly sources: readonly MmbcSource[];
  private readonly inFlight = new Map<string, Set<Promise<void>>>();
  /** Sources whose credentials were refused on their last answer. */
  private readonly refused = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  private again = false;
  private round: Promise<void> = Promise.resolve();

  constructor(private readonly options: PollerOptions) {
    this.sources = options.sources.filter(isMmbcSource);
    for (const source of this.sources) options.metrics?.pollSourceHealthy(source.id, true);
  }

  get hasSources(): boolean {
    return this.sources.length > 0;
  }

  start(): void {
    if (this.running || !this.hasSources) return;
    this.running = true;
    this.kick();
  }

  /** Stops claiming; polls in flight may finish within `graceMs`, the rest are polled again later. */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.round;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.allInFlight()),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timeout);
  }

  /** Polls every watch due now, as often as they stay due, until none is; answers how many polls were made. */
  async pollDue(): Promise<number> {
    let polls = 0;
    for (;;) {
      const started = await this.claimAndStart();
      polls += started;
      const pending = this.allInFlight();
      if (started === 0 && pending.length === 0) return polls;
      await Promise.all(pending);
    }
  }

  /** A poll ended (room for another) or the timer fired: claim now, or right after the round running. */
  private kick(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      do {
        this.again = false;
        this.round = this.claimAndStart().then(
          () => undefined,
          (error: unknown) => this.options.logger.error({ err: error }, 'could not claim watches to poll'),
        );
        await this.round;
      } while (this.again && this.running);
    } finally {
      this.ticking = false;
      this.schedule(this.options.everyMs ?? POLL_EVERY_MS);
    }
  }

  private allInFlight(): Promise<void>[] {
    return [...this.inFlight.values()].flatMap((set) => [...set]);
  }

  /** Claims, source by source, as many due watches as the source has room for, and starts their polls. */
  private async claimAndStart(): Promise<number> {
    let started = 0;
    for (const source of this.sources) {
      const running = this.inFlight.get(source.id) ?? new Set<Promise<void>>();
      this.inFlight.set(source.id, running);
      const room = source.maxConcurrentPolls - running.size;
      if (room <= 0) continue;
      const now = this.options.clock.now();
      const leaseUntil = new Date(now.getTime() + source.timeoutSeconds * 1000 + LEASE_MARGIN_MS).toISOString();
      const claimed = await this.options.writes.run((trx) =>
        watchRepository.claimDue(trx, this.owner, source.id, now.toISOString(), leaseUntil, room),
      );
      for (const watch of claimed) {
        const poll: Promise<void> = this.poll(source, watch)
          .catch((error: unknown) => {
            // Nothing was recorded; the lease runs out and the watch is polled again.
            this.options.logger.error({ err: error, watchId: watch.id, source: source.id }, 'poll could not be recorded');
          })
          .finally(() => {
            running.delete(poll);
            this.kick();
          });
        running.add(poll);
        started += 1;
      }
    }
    return started;
  }

  private async poll(source: MmbcSource, watch: WatchRow): Promise<void> {
    const { clock, logger, metrics } = this.options;
    const startedAt = clock.now();
    const started = performance.now();
    const request = pollRequest(source, watch.invoice, watch.customer_number);
    const answer = await sendPoll(request, source.timeoutSeconds);
    const latencyMs = Math.round(performance.now() - started);
    const reading = readAnswer(source, watch.invoice, answer);
    const answeredAt = clock.now();
    const pollNumber = watch.poll_count + 1;
    const pastDeadline = answeredAt.getTime() >= Date.parse(watch.deadline_at);

    const { state, recorded } = await this.options.writes.run(async (trx) => {
      const inbound: inboundService.InboundRequest = {
        id: newId('inb', clock),
        requestId: newId('pol', clock),
        receivedAt: answeredAt.toISOString(),
        sourceId: source.id,
        channel: channelOf(source.type),
        clientIp: hostOf(source.baseUrl),
        method: 'POST',
        url: withoutUserInfo(request.url),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: request.keptForm,
        signature: null,
      };
      const kept = keptAnswer(answer);
      const report = await this.reportOf(trx, source, watch, reading, pastDeadline);
      let stored: inboundService.StoreResult | null = null;
      if (report !== null) {
        stored = await inboundService.storeAcceptedIn(trx, { clock, subscribers: this.options.subscribers }, inbound, [report], kept);
      } else {
        await inboundService.storeRejectedIn(trx, inbound, `${reading.outcome}: ${reading.detail}`, kept);
      }
      await watchRepository.insertPoll(trx, {
        id: inbound.requestId,
        watch_id: watch.id,
        poll: pollNumber,
        started_at: startedAt.toISOString(),
        latency_ms: latencyMs,
        outcome: reading.outcome,
        detail: reading.detail,
        status_code: answer.kind === 'answer' ? answer.statusCode : null,
        inbound_id: inbound.id,
      });
      const next = this.nextStep(source, watch, reading, pastDeadline, answeredAt);
      const held = await watchRepository.finishPoll(trx, watch.id, this.owner, {
        state: next.state,
        nextPollAt: next.nextPollAt,
        polledAt: answeredAt.toISOString(),
        outcome: reading.outcome,
        answer: kept.body === '' ? reading.detail : kept.body,
      });
      // Another process took the watch over after our lease ran out: its poll counts, not ours.
      if (!held) throw new LeaseLost(watch.id);
      if (reading.outcome !== 'status' && reading.pauseSource) {
        await watchRepository.pauseSource(trx, source.id, new Date(answeredAt.getTime() + PAUSE_MS).toISOString());
      }
      return { state: next.state, recorded: stored };
    });

    metrics?.poll(source.id, reading.outcome);
    const log = logger.child({ source: source.id, watchId: watch.id, invoice: watch.invoice });
    if (recorded) {
      for (const report of recorded.createdReports) metrics?.eventCreated(report.channel, report.status);
      if (metrics) countReversals(metrics, log, recorded.reversals);
      if (recorded.createdEventIds.length > 0) this.options.outbox?.wake();
    }
    this.noteCredentials(source, reading.outcome, reading.detail, log);
    if (reading.outcome !== 'status' && reading.pauseSource) {
      log.warn({ detail: reading.detail }, `${source.id} asks for fewer requests: its watches wait ${PAUSE_MS / 1000} s`);
    }
    if (state === 'expired') {
      metrics?.watchExpired(source.id);
      log.error(
        { polls: pollNumber, lastOutcome: reading.outcome, lastDetail: reading.detail, deadlineAt: watch.deadline_at },
        'watch expired without a final status: reconcile this transaction with the provider by hand',
      );
    } else {
      log.info({ poll: pollNumber, outcome: reading.outcome, state, events: recorded?.createdEventIds ?? [] }, 'watch polled');
    }
  }

  /** The report this answer makes, if any: its status, or NOT_FOUND for a "No Data!" at the deadline. */
  private async reportOf(trx: Trx, source: MmbcSource, watch: WatchRow, reading: Reading, pastDeadline: boolean): Promise<StatusReport | null> {
    if (reading.outcome === 'status') {
      const current = await transactionRepository.findTransaction(trx, source.id, watch.invoice);
      return reading.report(current && isStatus(current.status) ? current.status : null);
    }
    if (reading.outcome === 'no_data' && pastDeadline) {
      return {
        source: source.id,
        channel: channelOf(source.type),
        reference: watch.invoice,
        providerReference: null,
        status: 'NOT_FOUND',
        providerStatus: 'No Data!',
        amount: null,
        occurredAt: null,
        details: { reason: reading.detail, polls: watch.poll_count + 1, watchId: watch.id },
      };
    }
    return null;
  }

  private nextStep(
    source: MmbcSource,
    watch: WatchRow,
    reading: Reading,
    pastDeadline: boolean,
    now: Date,
  ): { state: WatchState; nextPollAt: string } {
    if (reading.outcome === 'status' && reading.terminal) return { state: 'done', nextPollAt: watch.next_poll_at };
    if (pastDeadline) return { state: 'expired', nextPollAt: watch.next_poll_at };
    const schedule = source.pollSchedule;
    const wait = schedule[Math.min(watch.poll_count + 1, schedule.length - 1)] ?? 60;
    const jitter = 0.8 + 0.4 * (this.options.random ?? Math.random)();
    const next = Math.min(now.getTime() + wait * 1000 * jitter, Date.parse(watch.deadline_at));
    return { state: 'active', nextPollAt: new Date(next).toISOString() };
  }

  /** Credentials refused: an error log the first time, a metric always, and a note when they work again. */
  private noteCredentials(source: MmbcSource, outcome: PollOutcome, detail: string, log: Logger): void {
    const { metrics } = this.options;
    if (outcome === 'credentials_refused') {
      metrics?.pollCredentialsRefused(source.id);
      metrics?.pollSourceHealthy(source.id, false);
      if (!this.refused.has(source.id)) {
        this.refused.add(source.id);
        log.error({ detail }, `${source.id} refuses the configured username or password: polls go on, but learn nothing`);
      }
      return;
    }
    // Any other answer from the provider means it accepted who we are.
    const answered = outcome !== 'timeout' && outcome !== 'network_error' && outcome !== 'http_error';
    if (answered && this.refused.delete(source.id)) {
      metrics?.pollSourceHealthy(source.id, true);
      log.info(`${source.id} accepts the configured credentials again`);
    }
  }
}

class LeaseLost extends Error {
  constructor(watchId: string) {
    super(`the lease on watch ${watchId} was lost during its poll`);
  }
}

/** The answer as kept on the inbound record: the provider's HTTP status and body, or 0 and nothing. */
function keptAnswer(answer: PollAnswer): inboundService.Answer {
  if (answer.kind === 'failure') return { status: 0, body: '' };
  return { status: answer.statusCode, body: answer.body.slice(0, KEPT_ANSWER_CHARS) };
}

function hostOf(url: string): string {
  return new URL(url).hostname;
}

function withoutUserInfo(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
