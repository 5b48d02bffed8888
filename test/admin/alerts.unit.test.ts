import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { Metrics } from '../../src/admin/metrics';
import type { Db } from '../../src/db/database';
import { testClock } from '../support/clock';

// docs/alerts.yml: example alerting rules operators copy. They must load in Prometheus, name only
// metrics the receiver exposes, and fire when they should.

const FILE = join(__dirname, '../../docs/alerts.yml');
const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}
const rules = (parse(readFileSync(FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((group) => group.rules);

describe('docs/alerts.yml', () => {
  it('has the alerts operators need, each with a severity and a summary', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['ReceiverDeadDeliveries', 'ReceiverDeliveriesFallingBehind', 'ReceiverNotReady', 'ReceiverWatchesExpired', 'ReceiverPollCredentialsRefused', 'ReceiverReversal']),
    );
    for (const rule of rules) {
      expect({ alert: rule.alert, severity: rule.labels.severity, summary: typeof rule.annotations.summary }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(page|ticket)$/),
        summary: 'string',
      });
    }
  });

  it('names only metrics the receiver exposes', () => {
    // Building the metrics registers them without a query: the database is never asked.
    const exposed = new Metrics({} as Db, testClock()).registry.getMetricsAsArray().map((metric) => metric.name);

    const named = [...new Set(rules.flatMap((rule) => [...rule.expr.matchAll(/\breceiver_[a-z_]+/g)].map(([name]) => name)))];

    expect(named.filter((name) => !exposed.includes(name))).toEqual([]);
    expect(named.length).toBeGreaterThanOrEqual(7);
  });

  (PROMTOOL ? it : it.skip)('passes promtool check rules', () => {
    const check = spawnSync('promtool', ['check', 'rules', FILE], { encoding: 'utf8' });

    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
  });

  (PROMTOOL ? it : it.skip)('warns of a falling-behind subscriber unless it is paused, and counts dead deliveries once across replicas', () => {
    // promtool evaluates the rules' own expressions over series as two replicas sharing one
    // database would report them.
    const expr = (alert: string) => (rules.find((rule) => rule.alert === alert) as Rule).expr;
    const tests = {
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            ...['a', 'b'].flatMap((instance) => [
              { series: `receiver_subscriber_oldest_pending_age_seconds{subscriber="ledger",instance="${instance}"}`, values: '1000+60x20' },
              { series: `receiver_subscriber_paused{subscriber="ledger",instance="${instance}"}`, values: '0x20' },
              { series: `receiver_subscriber_deliveries{subscriber="ledger",state="dead",instance="${instance}"}`, values: '3x20' },
            ]),
            // Paused on purpose: its backlog grows, and that alone is no alarm.
            { series: 'receiver_subscriber_oldest_pending_age_seconds{subscriber="audit",instance="a"}', values: '1000+60x20' },
            { series: 'receiver_subscriber_paused{subscriber="audit",instance="a"}', values: '1x20' },
          ],
          promql_expr_test: [
            { expr: expr('ReceiverDeliveriesFallingBehind'), eval_time: '10m', exp_samples: [{ labels: '{subscriber="ledger"}', value: 1600 }] },
            // max, not sum: two replicas reading one database both report 3.
            { expr: expr('ReceiverDeadDeliveries'), eval_time: '10m', exp_samples: [{ labels: '{subscriber="ledger"}', value: 3 }] },
          ],
        },
      ],
    };
    const file = join(mkdtempSync(join(tmpdir(), 'receiver-alerts-')), 'alerts.test.yml');
    writeFileSync(file, stringify(tests));

    const run = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });

    expect({ status: run.status, output: run.status === 0 ? '' : `${run.stdout}${run.stderr}` }).toEqual({ status: 0, output: '' });
  });
});
