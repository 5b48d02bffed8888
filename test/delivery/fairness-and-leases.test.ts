import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import type { Subscriber } from '../../src/config/config';
import { DeliveryDispatcher, type DispatcherOptions } from '../../src/delivery/delivery.worker';
import { testClock } from '../support/clock';
import { type TestDatabase, clearTables, createTestDatabase } from '../support/database';
import { storeEvent } from '../support/store-event';
import { type TestSubscriber, startSubscriber, subscriberConfig } from '../support/subscriber';

let database: TestDatabase;
let healthy: TestSubscriber;
let hanging: TestSubscriber;
const clock = testClock();

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.close();
});
beforeEach(async () => {
  await clearTables(database);
  clock.set('2026-11-22T03:00:00.000Z');
  healthy = await startSubscriber();
  hanging = await startSubscriber();
  // Answers long after any test is over; closing the server ends its attempts with an error.
  hanging.reply = () => ({ status: 200, delayMs: 600_000 });
});
afterEach(async () => {
  await healthy.close();
  await hanging.close();
});

function dispatcher(subscribers: readonly Subscriber[], options: Partial<DispatcherOptions> = {}) {
  return new DeliveryDispatcher({ db: database.handle.db, clock, logger: pino({ level: 'silent' }), subscribers, workers: 4, random: () => 0.5, ...options });
}

async function queue(subscriber: Subscriber, count: number, prefix: string): Promise<void> {
  for (let n = 0; n < count; n++) await storeEvent(database.handle.db, clock, [subscriber], `${prefix}${n}`, 'SUCCESS');
}

async function deliveries() {
  return database.handle.db.selectFrom('deliveries').selectAll().orderBy('id').execute();
}

async function attemptsOf(subscriberId: string) {
  return database.handle.db
    .selectFrom('delivery_attempts as a')
    .innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
    .select(['a.outcome'])
    .where('d.subscriber_id', '=', subscriberId)
    .execute();
}

/** Polls on the real clock; the limit only turns a hang into a failure, it measures no speed. */
async function waitFor(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const leaseOf = async (id: string) => Date.parse((await deliveries()).find((d) => d.id === id)?.lease_expires_at ?? '');

describe('sharing workers among subscribers', () => {
  it("keeps a healthy subscriber's deliveries flowing while another hangs", async () => {
    const slow = subscriberConfig(hanging.url, { id: 'hanging', timeoutSeconds: 300 });
    const fine = subscriberConfig(healthy.url, { id: 'healthy' });
    // The hanging subscriber's deliveries are the oldest: taken by age alone, they would get every worker.
    await queue(slow, 20, 'H');
    await queue(fine, 20, 'OK');
    const hangingOpenAsHealthyGets: number[] = [];
    healthy.reply = () => {
      hangingOpenAsHealthyGets.push(hanging.open);
      return { status: 200 };
    };
    const worker = dispatcher([slow, fine], { workers: 4 });

    const run = worker.processDue();
    try {
      await waitFor(() => healthy.received.length === 20, "the healthy subscriber's 20 deliveries");
      await waitFor(async () => (await attemptsOf('healthy')).length === 20, 'their attempts to be recorded');

      expect(await attemptsOf('hanging')).toEqual([]);
      expect((await attemptsOf('healthy')).every((a) => a.outcome === 'delivered')).toBe(true);
      // While the healthy one still had more queued than there are workers, the hanging one held
      // no more than its even share of the 4; once that queue ran dry it may take the idle ones.
      expect(Math.max(...hangingOpenAsHealthyGets.slice(0, 10))).toBeLessThanOrEqual(2);
      // And while both have had work lately, it never holds more than an even share.
      expect(hanging.maxOpen).toBeLessThanOrEqual(2);
    } finally {
      await hanging.close();
      await run;
    }
  });

  it('does not hand a worker freed by another subscriber to one that hangs, while both have had work lately', async () => {
    const slow = subscriberConfig(hanging.url, { id: 'hanging', timeoutSeconds: 300 });
    const fine = subscriberConfig(healthy.url, { id: 'healthy' });
    await queue(slow, 10, 'H');
    await queue(fine, 1, 'OK');
    const worker = dispatcher([slow, fine], { workers: 4 });

    const run = worker.processDue();
    try {
      await waitFor(async () => (await attemptsOf('healthy')).length === 1, "the healthy subscriber's attempt");
      // Its worker is free now and its queue is empty for the moment: the rounds that follow must
      // not give that worker to the hanging subscriber, or the next event for the healthy one waits.
      await waitFor(() => hanging.open === 2, 'the hanging subscriber to hold its share');
      await new Promise((resolve) => setTimeout(resolve, 100));

      expect(hanging.open).toBe(2);
      expect(hanging.maxOpen).toBe(2);
    } finally {
      await hanging.close();
      await run;
    }
  });

  it('keeps a worker free for other subscribers while one that hangs is alone with work', async () => {
    const slow = subscriberConfig(hanging.url, { id: 'hanging', timeoutSeconds: 300 });
    const fine = subscriberConfig(healthy.url, { id: 'healthy' });
    await queue(slow, 10, 'H');
    const worker = dispatcher([slow, fine], { workers: 4 });

    const run = worker.processDue();
    try {
      await waitFor(() => hanging.open === 3, 'the hanging subscriber to hold its workers');
      // Only now does work for the healthy one arrive: it must not wait for a hanging attempt to end.
      await queue(fine, 1, 'LATE');
      const late = worker.processDue();
      await waitFor(() => healthy.received.length === 1, "the healthy subscriber's delivery");

      expect(hanging.maxOpen).toBe(3);
      expect(await attemptsOf('hanging')).toEqual([]);
      await hanging.close();
      await late;
    } finally {
      await hanging.close();
      await run;
    }
  });

  it('has at most `concurrency` attempts in flight to one subscriber, however many workers are free', async () => {
    const limited = subscriberConfig(healthy.url, { concurrency: 3 });
    healthy.reply = () => ({ status: 200, delayMs: 200 });
    await queue(limited, 12, 'R');

    expect(await dispatcher([limited], { workers: 8 }).processDue()).toBe(12);

    expect(healthy.received).toHaveLength(12);
    expect(healthy.maxOpen).toBe(3);
  });
});

describe('leases', () => {
  // The heartbeat is off (0) unless a test says otherwise: tests renew by hand, with their clock.
  const slow = () => subscriberConfig(hanging.url, { timeoutSeconds: 300 });

  async function attemptInFlight(worker: DeliveryDispatcher) {
    await queue(slow(), 1, 'L');
    const run = worker.processDue();
    await waitFor(() => hanging.received.length === 1, 'the attempt to start');
    const [delivery] = await deliveries();
    return { run, id: delivery?.id ?? '', claimedAt: clock.now().getTime(), leasedUntil: Date.parse(delivery?.lease_expires_at ?? '') };
  }

  it('leases a delivery for at most 15 seconds, however long its subscriber may take to answer', async () => {
    const { run, claimedAt, leasedUntil } = await attemptInFlight(dispatcher([slow()], { heartbeatMs: 0 }));
    try {
      expect(leasedUntil).toBeGreaterThan(claimedAt);
      expect(leasedUntil - claimedAt).toBeLessThanOrEqual(15_000);
    } finally {
      await hanging.close();
      await run;
    }
  });

  it('renews the lease while the attempt runs, so another process does not take the delivery over', async () => {
    const owner = dispatcher([slow()], { heartbeatMs: 0 });
    const other = dispatcher([subscriberConfig(healthy.url)]);
    const { run, id, claimedAt, leasedUntil } = await attemptInFlight(owner);
    try {
      clock.advance(leasedUntil - claimedAt - 1_000);
      await owner.renewLeases();
      const renewedUntil = await leaseOf(id);
      clock.set(new Date(leasedUntil + 1_000));

      expect(renewedUntil).toBeGreaterThan(clock.now().getTime());
      expect(await other.processDue()).toBe(0);
      expect(healthy.received).toHaveLength(0);
    } finally {
      await hanging.close();
      await run;
    }
  });

  it('renews leases on its own heartbeat', async () => {
    const { run, id, leasedUntil } = await attemptInFlight(dispatcher([slow()], { heartbeatMs: 10 }));
    try {
      clock.advance(5_000);

      await waitFor(async () => (await leaseOf(id)) === leasedUntil + 5_000, 'a renewal from the clock as it is now');
    } finally {
      await hanging.close();
      await run;
    }
  });

  it('lets another process take over a delivery whose owner stopped renewing, within 15 seconds and not before its lease runs out', async () => {
    const owner = dispatcher([slow()], { heartbeatMs: 0 });
    const other = dispatcher([subscriberConfig(healthy.url)]);
    const { run, id, claimedAt, leasedUntil } = await attemptInFlight(owner);
    try {
      clock.set(new Date(leasedUntil - 1));
      expect(await other.processDue()).toBe(0);

      clock.set(new Date(claimedAt + 15_000));
      healthy.reply = () => ({ status: 200, delayMs: 200 });
      const takeover = other.processDue();
      await waitFor(() => healthy.received.length === 1, 'the other process to attempt it');
      const taken = (await deliveries())[0];
      clock.advance(1_000);
      // The first owner wakes up: its renewal finds the delivery taken and changes nothing.
      await owner.renewLeases();

      expect((await deliveries())[0]).toEqual(taken);
      expect(await takeover).toBe(1);
    } finally {
      await hanging.close();
      await run;
    }
    // Its attempt ended after all, with an error; the new owner's outcome stands.
    expect(await deliveries()).toMatchObject([{ id, state: 'delivered', attempts: 1, lease_owner: null }]);
  });
});
