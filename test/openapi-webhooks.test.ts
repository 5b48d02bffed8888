import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import pino from 'pino';
import request from 'supertest';
import { parse } from 'yaml';
import { DeliveryDispatcher } from '../src/delivery/delivery.worker';
import { buildApps } from './support/app';
import { ADMIN_TOKEN, buildConfig } from './support/config';
import { type TestDatabase, createTestDatabase } from './support/database';
import { storeEvent } from './support/store-event';
import { OLD_SECRET, SECRET, type TestSubscriber, startSubscriber, subscriberConfig } from './support/subscriber';

// openapi.yaml's `webhooks:` against what the receiver really sends a subscriber, and the
// subscriber tools' answers against their documented schemas: teams generate clients from it.

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly schema: object;
}
interface Operation {
  readonly parameters: readonly { readonly $ref: string }[];
  readonly requestBody: { readonly content: { readonly 'application/json': { readonly schema: object } } };
}
interface Document {
  readonly webhooks: Record<string, { readonly post: Operation }>;
  readonly components: { readonly schemas: Record<string, object>; readonly parameters: Record<string, Parameter> };
}

const doc = parse(readFileSync(join(__dirname, '../openapi.yaml'), 'utf8')) as Document;
const BASE = 'https://openapi.test/components/schemas/';
const absolute = (schema: object): object =>
  JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', BASE) : value))) as object;
const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema({ ...absolute(schema), $id: `${BASE}${name}` });

/** ajv's complaints about `value` against `schema`; empty when valid. */
function problems(schema: object, value: unknown): string {
  const validate = ajv.compile(absolute(schema));
  return validate(value) ? '' : ajv.errorsText(validate.errors);
}
const named = (schema: string) => ({ $ref: `#/components/schemas/${schema}` });

/** The webhook's documented headers against those received, and its body against its schema. */
function checkAgainstWebhook(webhook: string, received: TestSubscriber['received'][number]) {
  const operation = doc.webhooks[webhook]?.post as Operation;
  const headers = operation.parameters.map(({ $ref }) => doc.components.parameters[$ref.split('/').at(-1) as string] as Parameter);
  return {
    headers: headers.map((header) => ({ name: header.name, in: header.in, problems: problems(header.schema, received.headers[header.name]) })),
    body: problems(operation.requestBody.content['application/json'].schema, JSON.parse(received.body)),
  };
}
const fine = (names: string[]) => ({ headers: names.map((name) => ({ name, in: 'header', problems: '' })), body: '' });
const WEBHOOK_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];

let database: TestDatabase;
let hook: TestSubscriber;

beforeAll(async () => {
  database = await createTestDatabase();
  hook = await startSubscriber();
});
afterAll(async () => {
  await hook.close();
  await database.close();
});

describe('openapi.yaml webhooks', () => {
  it('describes the payment.status delivery as it is sent, headers and body', async () => {
    const subscribers = [subscriberConfig(hook.url, { secrets: [SECRET, OLD_SECRET] })];
    const apps = buildApps(database, buildConfig({ subscribers }));
    await storeEvent(database.handle.db, apps.deps.clock, subscribers, 'T1', 'SUCCESS');
    hook.received.length = 0;

    await new DeliveryDispatcher({ db: database.handle.db, clock: apps.deps.clock, logger: pino({ level: 'silent' }), subscribers, workers: 1 }).processDue();

    expect(hook.received).toHaveLength(1);
    expect(checkAgainstWebhook('payment.status', hook.received[0] as TestSubscriber['received'][number])).toEqual(fine(WEBHOOK_HEADERS));
  });

  it('describes the payment.test event as it is sent, and the test answer', async () => {
    const apps = buildApps(database, buildConfig({ subscribers: [subscriberConfig(hook.url, { secrets: [SECRET, OLD_SECRET] })] }));
    hook.received.length = 0;

    const res = await request(apps.adminApp).post('/admin/subscribers/ledger/test').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);

    expect(checkAgainstWebhook('payment.test', hook.received[0] as TestSubscriber['received'][number])).toEqual(fine(WEBHOOK_HEADERS));
    expect(problems(named('TestEventResult'), res.body)).toBe('');
  });
});

describe('openapi.yaml subscriber tools', () => {
  it('describes the answers of the subscriber list, pause and bulk retry', async () => {
    const apps = buildApps(database, buildConfig({ subscribers: [subscriberConfig('http://user:pass@127.0.0.1:9/hooks?token=t')] }));
    const admin = (path: string) => request(apps.adminApp).post(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

    const paused = await admin('/admin/subscribers/ledger/pause').expect(200);
    const list = await request(apps.adminApp).get('/admin/subscribers').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(200);
    const retried = await admin('/admin/deliveries/retry').send({ all: true, dryRun: true }).expect(202);

    expect({
      paused: problems(named('Subscriber'), paused.body),
      list: problems(named('SubscriberList'), list.body),
      retried: problems(named('RedriveResult'), retried.body),
    }).toEqual({ paused: '', list: '', retried: '' });
  });
});
