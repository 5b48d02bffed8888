import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// A stand-in for MMBC's status endpoints (seeds 000_523e7946f5381f31.txt and
// 001_3ad254cabdf39436.txt), on 127.0.0.1: per invoice, a script of replies played in order (the
// last one repeats), with the documents' success and failure bodies, slow answers, hangs and 5xx.

export const FAKE_USERNAME = 'test-user';
export const FAKE_PASSWORD = 'test-password-0123456789';

export interface FakeReply {
  readonly status?: number;
  /** A JSON value, or a string sent as it is. */
  readonly body?: unknown;
  readonly delayMs?: number;
  /** Never answer (the poller's timeout ends it). */
  readonly hang?: boolean;
}

export interface FakeRequest {
  readonly path: string;
  readonly form: Readonly<Record<string, string>>;
  readonly contentType: string;
}

export interface FakeMmbc {
  readonly baseUrl: string;
  readonly requests: FakeRequest[];
  /** The replies for one invoice, in order; the last repeats. Unscripted invoices get "No Data!". */
  script(invoice: string, replies: readonly FakeReply[]): void;
  /** The most requests that were being answered at the same time. */
  maxConcurrent(): number;
  requestsFor(invoice: string): FakeRequest[];
  close(): Promise<void>;
}

export async function startFakeMmbc(): Promise<FakeMmbc> {
  const scripts = new Map<string, { replies: readonly FakeReply[]; next: number }>();
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  let concurrent = 0;
  let maxConcurrent = 0;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      requests.push({ path: req.url ?? '', form, contentType: req.headers['content-type'] ?? '' });
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const done = () => {
        concurrent -= 1;
      };
      res.on('close', done);
      const reply = replyFor(req.url ?? '', form);
      if (reply.hang) return;
      const send = () => {
        const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function replyFor(path: string, form: Record<string, string>): FakeReply {
    if (path !== '/json/multipayment/status_reload' && path !== '/json/ppob/cekstatus') return { status: 404, body: 'Not Found' };
    if (form.username !== FAKE_USERNAME || form.password !== FAKE_PASSWORD) {
      return { body: { result: 'no', reason_code: '58', reason: 'Invalid login!' } };
    }
    const script = scripts.get(form.invoice ?? '');
    if (!script || script.replies.length === 0) return { body: { result: 'no', reason: 'No Data!' } };
    const reply = script.replies[Math.min(script.next, script.replies.length - 1)] ?? {};
    script.next += 1;
    return reply;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script: (invoice, replies) => {
      scripts.set(invoice, { replies, next: 0 });
    },
    maxConcurrent: () => maxConcurrent,
    requestsFor: (invoice) => requests.filter((r) => r.form.invoice === invoice),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// The documents' own answers, for one invoice.

/** status_reload as seed 000_523e7946f5381f31.txt shows it (`status` CONFIRM or REFUND). */
export function reloadStatus(invoice: string, status: 'CONFIRM' | 'REFUND' | string = 'CONFIRM'): FakeReply {
  return {
    body: {
      result: 'ok',
      date: '2018-01-01 00:01:10',
      invoice,
      merchant_code: 'GOPAY',
      receiver_name: 'GOPAY MMBC TOUR TRAVEL',
      receiver_accountnumber: '0812345678',
      amount: '100000',
      reference: '101837139231331',
      debet: '102000',
      status,
    },
  };
}

/** cekstatus as seed 001_3ad254cabdf39436.txt shows it (`ppob_status` confirm or pending). */
export function ppobStatus(invoice: string, status: 'confirm' | 'pending' | string = 'confirm'): FakeReply {
  return {
    body: {
      result: 'ok',
      ppob_invoice: invoice,
      ppob_produk: 'PLN Pra Bayar',
      ppob_kodeproduk: 'PLNS100',
      ppob_tanggal: '2018-07-24 21:00:00',
      ppob_nomorpelanggan: '123456789',
      ppob_nomormeter: '91011121314',
      ppob_namapelanggan: 'MMBC TOUR TRAVEL',
      ppob_tarifdaya: 'R2/4400 VA',
      ppob_materai: '0',
      ppob_ppn: '0',
      ppob_ppj: '2381',
      ppob_angsuran: '0',
      ppob_rptoken: '97619',
      ppob_admin: '2500',
      ppob_totalbayar: '102.500',
      ppob_stroomtoken: '1234 5678 9101 1121 3141',
      ppob_totalkwh: '94,50',
      ppob_reff: '0AXS21V00KF3385499839ZN91DY04626',
      ppob_debet: '100.700',
      ppob_status: status,
    },
  };
}

export const NO_DATA: FakeReply = { body: { result: 'no', reason: 'No Data!' } };

/** A `result: no` with a reason_code from the table of seed 000_523e7946f5381f31.txt. */
export function refusal(code: string, reason = 'Maaf, transaksi sedang Gangguan!'): FakeReply {
  return { body: { result: 'no', reason_code: code, reason } };
}
