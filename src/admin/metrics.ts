import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../clock';
import type { Db } from '../db/database';
import type { AttemptOutcome } from '../delivery/delivery.table';
import type { RejectionKind } from '../ingress/rejection';
import { packageVersion } from './build-info';
import { registerDatabaseGauges } from './database-gauges';

/** How an inbound request ended, as a metric label; rejections by class, not by message. */
export type InboundOutcomeLabel = 'accepted' | 'duplicate' | `rejected_${RejectionKind}` | 'rejected_conflict' | 'error';

const DEFAULT_GAUGES_NAMED_AS_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * The service's Prometheus metrics, on a registry of its own (one per app, so tests do not share
 * counters). Labels carry configured ids only, never what a caller sent.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly inbound = new Counter({
    name: 'receiver_inbound_requests_total',
    help: 'Provider requests by source, channel and outcome.',
    labelNames: ['source', 'channel', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly unrecorded = new Counter({
    name: 'receiver_inbound_unrecorded_total',
    help: 'Refused requests from unknown callers past their per-IP records a minute: counted here, not stored.',
    labelNames: ['channel', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly events = new Counter({
    name: 'receiver_events_total',
    help: 'Canonical events created, by channel and status.',
    labelNames: ['channel', 'status'] as const,
    registers: [this.registry],
  });

  private readonly reversals = new Counter({
    name: 'receiver_reversals_total',
    help: 'Reversals seen (a FAILED or CANCELED after SUCCESS): someone must refund the customer.',
    labelNames: ['source', 'channel', 'status'] as const,
    registers: [this.registry],
  });

  private readonly deliveries = new Counter({
    name: 'receiver_delivery_attempts_total',
    help: 'Delivery attempts by subscriber and outcome (delivered, retry, dead).',
    labelNames: ['subscriber', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly attemptSeconds = new Histogram({
    name: 'receiver_delivery_attempt_duration_seconds',
    help: 'Time a subscriber took to answer a delivery attempt.',
    labelNames: ['subscriber'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly ingestSeconds = new Histogram({
    name: 'receiver_ingest_duration_seconds',
    help: 'Time to store an accepted request durably (inbound record, events, deliveries).',
    labelNames: ['channel'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  private readonly commits = new Histogram({
    name: 'receiver_db_commit_units',
    help: 'Units of work (accepted callbacks, recorded attempts, claims) per database transaction: group commit at work.',
    labelNames: ['outcome'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  private readonly commitSeconds = new Histogram({
    name: 'receiver_db_commit_duration_seconds',
    help: 'Time from BEGIN to the end of COMMIT of one shared transaction, units and fsync included.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  private readonly polls = new Counter({
    name: 'receiver_polls_total',
    help: 'Polls of pull-only providers by source and outcome (status, no_data, provider_error, credentials_refused, refused, unexpected, http_error, timeout, network_error).',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly watchesExpired = new Counter({
    name: 'receiver_watches_expired_total',
    help: 'Watches that reached their deadline without a final status: each needs reconciling by hand.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  private readonly credentialsRefused = new Counter({
    name: 'receiver_poll_credentials_refused_total',
    help: 'Poll answers refusing the configured username or password (reason_code 57-59).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  private readonly sourceHealthy = new Gauge({
    name: 'receiver_poll_source_healthy',
    help: '0 while a pull-only source refuses our credentials (in this process), else 1.',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  private readonly ready = new Gauge({
    name: 'receiver_ready',
    help: '1 when GET /readyz would answer 200 (database answers, migrations current, writes go through), else 0.',
    registers: [this.registry],
  });

  /** Which subscribers the per-subscriber gauges describe: the configured ones, given at each scrape. */
  private subscriberIds: readonly string[] = [];

  constructor(db: Db, clock: Clock, options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // A gauge named `…_total` breaks Prometheus' naming rules (`promtool check metrics` refuses
      // it), and each of these is the sum of its sibling labelled by type (`nodejs_active_handles`).
      for (const name of DEFAULT_GAUGES_NAMED_AS_COUNTERS) this.registry.removeSingleMetric(name);
    }
    new Gauge({
      name: 'receiver_build_info',
      help: 'Always 1; the labels say which version of the receiver runs on which Node.js.',
      labelNames: ['version', 'node'] as const,
      registers: [this.registry],
    }).set({ version: packageVersion(), node: process.version }, 1);
    registerDatabaseGauges(this.registry, db, clock, () => this.subscriberIds);
  }

  /**
   * The Prometheus text of every metric, with the per-subscriber gauges for `subscribers` (the
   * configured ids, so a label never carries anything else) and readiness as the scrape found it.
   */
  scrape(scraped: { readonly subscribers: readonly string[]; readonly ready: boolean }): Promise<string> {
    this.subscriberIds = scraped.subscribers;
    this.ready.set(scraped.ready ? 1 : 0);
    return this.registry.metrics();
  }

  poll(source: string, outcome: string): void {
    this.polls.inc({ source, outcome });
  }

  watchExpired(source: string): void {
    this.watchesExpired.inc({ source });
  }

  pollCredentialsRefused(source: string): void {
    this.credentialsRefused.inc({ source });
  }

  pollSourceHealthy(source: string, healthy: boolean): void {
    this.sourceHealthy.set({ source }, healthy ? 1 : 0);
  }

  inboundRequest(source: string | null, channel: string, outcome: InboundOutcomeLabel): void {
    this.inbound.inc({ source: source ?? '', channel, outcome });
  }

  inboundUnrecorded(channel: string, reason: Extract<RejectionKind, 'unknown_source' | 'ip_not_allowed'>): void {
    this.unrecorded.inc({ channel, reason });
  }

  eventCreated(channel: string, status: string): void {
    this.events.inc({ channel, status });
  }

  reversal(source: string, channel: string, status: string): void {
    this.reversals.inc({ source, channel, status });
  }

  ingested(channel: string, seconds: number): void {
    this.ingestSeconds.observe({ channel }, seconds);
  }

  committed(commit: { units: number; seconds: number; ok: boolean }): void {
    this.commits.observe({ outcome: commit.ok ? 'committed' : 'failed' }, commit.units);
    this.commitSeconds.observe(commit.seconds);
  }

  deliveryAttempt(subscriber: string, outcome: AttemptOutcome, seconds: number): void {
    this.deliveries.inc({ subscriber, outcome });
    this.attemptSeconds.observe({ subscriber }, seconds);
  }
}
