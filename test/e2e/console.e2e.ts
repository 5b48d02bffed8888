import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from 'playwright-core';
import { SECRET, type TestSubscriber, startSubscriber } from '../support/subscriber';
import { type RunningReceiver, startReceiver } from './receiver';

// CONTRACT 8 in a real browser: Debian's Chromium driven by playwright-core, against the compiled
// receiver in its own process, fed through its public and admin APIs, forwarding to real HTTP
// subscribers on 127.0.0.1. Elements are found by the accessible names the contract gives.
// Each step leaves a screenshot of its page in docs/console/ for the README.

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const BILLER_TOKEN = 'e2e-biller-token';
const SHOTS = join(__dirname, '../../docs/console');
// The flags keep Chromium from calling home: the machine's network is closed.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let receiver: RunningReceiver;
let ledger: TestSubscriber;
let vault: TestSubscriber;
let browser: Browser;
let context: BrowserContext;
let page: Page;

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function callback(refid: string, status: 0 | 1, message: string): Promise<void> {
  const query = new URLSearchParams({ status: String(status), refid, product: 'banktrf', qty: '1', dest: '2222222222', message });
  const res = await fetch(`${receiver.publicUrl}/callbacks/biller/biller-a/${BILLER_TOKEN}?${query.toString()}`);
  expect(res.status).toBe(200);
}

async function admin(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${receiver.adminUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
  });
  return res.json();
}

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const rows = (locator: Locator) => locator.count();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  ledger = await startSubscriber();
  vault = await startSubscriber();
  vault.reply = () => ({ status: 410, body: 'gone: this hook was retired' });
  receiver = await startReceiver(
    {
      sources: [
        { id: 'biller-a', type: 'biller', allowedIps: ['127.0.0.1', '::1'], token: BILLER_TOKEN },
        { id: 'mmbc-reload', type: 'mmbc-multipayment', baseUrl: 'http://127.0.0.1:9', username: 'e2e-user', password: 'e2e-mmbc-password' },
      ],
      subscribers: [
        { id: 'ledger', url: ledger.url, secret: SECRET, retrySchedule: [1, 1] },
        // Credentials in the URL, which the console must never show.
        { id: 'vault', url: vault.url.replace('http://', 'http://hook-user:vault-url-password@'), secret: SECRET, filter: { statuses: ['FAILED'] } },
      ],
    },
    { ADMIN_TOKEN, DELIVERY_WORKERS: '2' },
  );

  await callback('TRX-0001', 0, 'Transaksi s5.2222222222 SUKSES, SN: 11111111111, Saldo: Rp99,999,999, Harga: 201,200, Tgl: 01/01 10:32:12');
  await callback('TRX-0002', 0, 'Transaksi SUKSES, SN: 22222222222, Harga: 50,000');
  await callback('TRX-0002', 1, 'Transaksi GAGAL, dibatalkan');
  await admin('/admin/watches', { method: 'POST', body: JSON.stringify({ source: 'mmbc-reload', invoice: 'INV-2026-0042' }) });
  await eventually('the reversal to die at the retired subscriber', async () => {
    const { items } = (await admin('/admin/deliveries?state=dead')) as { items: unknown[] };
    return items.length === 1;
  });
  await eventually('the ledger to get all three events', async () => ledger.received.length === 3);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.stop();
  await ledger?.close();
  await vault?.close();
});

describe('the operator console in Chromium', () => {
  it('refuses a wrong token with "Invalid token"', async () => {
    await page.goto(`${receiver.adminUrl}/console`);
    expect(page.url()).toBe(`${receiver.adminUrl}/console/login?next=%2Fconsole`);

    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await expectVisible(page.getByText('Invalid token'));
    await shoot('login');
  });

  it('signs in with the admin token and shows the events', async () => {
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.waitForURL(`${receiver.adminUrl}/console`);
    await expectVisible(page.getByRole('heading', { name: 'Events' }));
    expect(await rows(page.getByRole('row'))).toBe(4);
    const cookie = (await context.cookies()).find((c) => c.name === 'console_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(cookie?.expires).toBeGreaterThan(Date.now() / 1000 + 7 * 3600);
    await shoot('events');
  });

  it('searches a reference and opens its timeline', async () => {
    await page.getByLabel('Reference').fill('TRX-0002');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/reference=TRX-0002/);
    expect(await rows(page.getByRole('row'))).toBe(3);

    await page.getByRole('link', { name: 'TRX-0002' }).first().click();

    await page.waitForURL(`${receiver.adminUrl}/console/transactions/biller-a/TRX-0002`);
    await expectVisible(page.getByRole('heading', { name: 'Transaction TRX-0002' }));
    await expectVisible(page.getByText('reversal: refund the customer'));
    expect(await page.content()).not.toContain(BILLER_TOKEN);
    await shoot('transaction');
  });

  it('replays an event, and the new attempt appears on the timeline by itself', async () => {
    await page.goto(`${receiver.adminUrl}/console/transactions/biller-a/TRX-0001`);
    const delivered = page.getByText('HTTP 200');
    expect(await delivered.count()).toBe(1);

    await page.getByRole('button', { name: 'Replay' }).click();

    await expectVisible(page.getByText('Replay queued: 1 delivery.'));
    await eventually('the new attempt on the page', async () => (await delivered.count()) === 2);
    expect(ledger.received.filter((r) => JSON.parse(r.body).data.reference === 'TRX-0001')).toHaveLength(2);
  });

  it('retries a dead delivery', async () => {
    await page.getByRole('link', { name: 'Dead deliveries' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Dead deliveries' }));
    await expectVisible(page.getByRole('button', { name: 'Retry all shown' }));
    await shoot('dead-deliveries');
    const before = vault.received.length;

    await page.getByRole('button', { name: 'Retry', exact: true }).click();

    await expectVisible(page.getByText('Retrying 1 delivery now.'));
    await eventually('the retried attempt at the subscriber', async () => vault.received.length === before + 1);
  });

  it('shows the sources and subscribers without the credentials in a URL, and the watches', async () => {
    await page.getByRole('link', { name: 'Sources' }).click();
    await expectVisible(page.getByRole('heading', { name: 'Subscribers' }));
    const html = await page.content();
    expect(html).not.toContain('vault-url-password');
    expect(html).not.toContain('hook-user');
    await shoot('sources');

    await page.getByRole('link', { name: 'Watches' }).click();
    await expectVisible(page.getByRole('link', { name: 'INV-2026-0042' }));
    expect(await page.content()).not.toContain('e2e-mmbc-password');
    await shoot('watches');
  });

  it('refuses a POST without the CSRF token', async () => {
    const { items } = (await admin('/admin/events?reference=TRX-0001')) as { items: { id: string }[] };
    const before = ledger.received.length;

    const status = await page.evaluate(async (id) => {
      const res = await fetch(`/console/events/${id}/replay`, { method: 'POST', body: new URLSearchParams({ subscriber: 'ledger' }) });
      return res.status;
    }, items[0]?.id ?? '');

    expect(status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ledger.received.length).toBe(before);
  });

  it('is readable on a 375 px wide phone', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    for (const path of ['/console', '/console/deliveries?state=dead', '/console/transactions/biller-a/TRX-0002']) {
      await page.goto(`${receiver.adminUrl}${path}`);
      // A string, run in the page: the project's TypeScript has no DOM types.
      const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
    }
    await shoot('transaction-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.waitForURL(/\/console\/login/);
    await expectVisible(page.getByText('Signed out.'));
    await page.goto(`${receiver.adminUrl}/console`);
    expect(page.url()).toMatch(/\/console\/login\?next=/);
    expect((await context.cookies()).some((c) => c.name === 'console_session')).toBe(false);
  });
});

async function expectVisible(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout: 10_000 });
}
