import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { parse } from 'yaml';
import { createAdminApp, createPublicApp } from '../src/app';
import type { AppDeps } from '../src/deps';
import { testClock } from './support/clock';
import { ADMIN_TOKEN, billerSource, buildConfig } from './support/config';
import { snapSource } from './support/snap';

// openapi.yaml against the express apps themselves, and its examples against its own schemas.
// No database: building the apps must not touch `db` or `metrics` (routes use them per request).

type Json = unknown;

interface OpenApiDocument {
  readonly openapi: string;
  readonly servers?: readonly { readonly url: string }[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, Json>>>>;
  readonly components: { readonly schemas: Readonly<Record<string, Json>> };
}

const ROOT = join(__dirname, '..');
const doc = parse(readFileSync(join(ROOT, 'openapi.yaml'), 'utf8')) as OpenApiDocument;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const LISTENER_BY_PORT: Readonly<Record<string, Listener>> = { '8080': 'public', '8081': 'admin' };
type Listener = 'public' | 'admin';

/** Throws on any use, so the test proves that building the apps leaves it alone. */
function untouchable(name: string): never {
  return new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`${name}.${String(property)} was used while building the apps`);
      },
    },
  ) as never;
}

function buildBothApps(): Record<Listener, Express> {
  const deps: AppDeps = {
    config: buildConfig({ sources: [billerSource(), snapSource()] }),
    db: untouchable('db'),
    writes: untouchable('writes'),
    health: untouchable('health'),
    clock: testClock(),
    logger: pino({ level: 'silent' }),
    outbox: { wake: () => undefined },
    metrics: untouchable('metrics'),
  };
  return { public: createPublicApp(deps), admin: createAdminApp(deps) };
}

// --- the routes express has -------------------------------------------------------------------

interface RouteLike {
  readonly path: string | readonly string[];
  readonly methods: Readonly<Record<string, boolean | undefined>>;
}

interface LayerLike {
  readonly route?: RouteLike;
  /** The mount path of `use()` layers (router 2). */
  readonly rawPath?: unknown;
  readonly handle?: { readonly stack?: readonly LayerLike[] };
}

/** `GET /callbacks/biller/{sourceId}`-style keys of every route the app has, mounted routers included. */
function routesOf(app: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: readonly LayerLike[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = typeof layer.route.path === 'string' ? [layer.route.path] : layer.route.path;
        for (const path of paths.flatMap((p) => expandOptionalParts(prefix + p))) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            // `all` layers only guard a path (405 for other methods, 413): each route's own 405 and 413 answers.
            if (on && method !== '_all') found.add(`${method.toUpperCase()} ${toOpenApiPath(path)}`);
          }
        }
      } else if (layer.handle?.stack) {
        if (typeof layer.rawPath !== 'string') throw new Error(`a router is mounted at a non-string path: ${String(layer.rawPath)}`);
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath));
      }
    }
  };
  walk((app as unknown as { router: { stack: readonly LayerLike[] } }).router.stack, '');
  return [...found].sort();
}

/** Express 5 optional groups: `/a/:x{/:y}` is both `/a/:x` and `/a/:x/:y` (groups may nest). */
function expandOptionalParts(path: string): string[] {
  const open = path.indexOf('{');
  if (open === -1) return [path];
  let depth = 0;
  let close = -1;
  for (let i = open; i < path.length && close === -1; i++) {
    if (path[i] === '{') depth++;
    if (path[i] === '}' && --depth === 0) close = i;
  }
  if (close === -1) throw new Error(`unbalanced braces in route path ${path}`);
  const head = path.slice(0, open);
  const tails = expandOptionalParts(path.slice(close + 1));
  const middles = ['', ...expandOptionalParts(path.slice(open + 1, close))];
  return middles.flatMap((middle) => tails.map((tail) => head + middle + tail));
}

/** `:param` and `*param` become `{param}`. */
function toOpenApiPath(path: string): string {
  return path.replace(/[:*]([A-Za-z_$][A-Za-z0-9_$]*)/g, '{$1}');
}

// --- the routes the document describes ----------------------------------------------------------

/** Each operation under the listener(s) its effective `servers` name (operation, else path, else root). */
function documentedRoutes(): Record<Listener, string[]> {
  const routes: Record<Listener, string[]> = { public: [], admin: [] };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as { servers?: readonly { url: string }[] } | undefined;
      if (!operation) continue;
      const servers = operation.servers ?? (item.servers as readonly { url: string }[] | undefined) ?? doc.servers ?? [];
      for (const { url } of servers) {
        const listener = LISTENER_BY_PORT[new URL(url).port];
        if (!listener) throw new Error(`${method.toUpperCase()} ${path}: server ${url} is neither listener`);
        routes[listener].push(`${method.toUpperCase()} ${path}`);
      }
    }
  }
  return { public: routes.public.sort(), admin: routes.admin.sort() };
}

// --- walking the document -------------------------------------------------------------------------

interface Visit {
  readonly pointer: string;
  readonly node: Readonly<Record<string, Json>>;
  readonly parentKey: string | undefined;
}

function* objectsIn(node: Json, pointer = '#', parentKey?: string): Generator<Visit> {
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* objectsIn(child, `${pointer}/${i}`, parentKey);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const record = node as Readonly<Record<string, Json>>;
  yield { pointer, node: record, parentKey };
  for (const [key, child] of Object.entries(record)) {
    yield* objectsIn(child, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, key);
  }
}

function resolvePointer(pointer: string): Json {
  if (!pointer.startsWith('#/')) throw new Error(`not a local reference: ${pointer}`);
  return pointer
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((at, part) => (typeof at === 'object' && at !== null ? (at as Record<string, Json>)[part] : undefined), doc);
}

const SCHEMA_BASE = 'https://openapi.test/components/schemas/';

/** `#/components/schemas/X` becomes an absolute id ajv knows, wherever the schema is compiled. */
function withAbsoluteRefs(schema: Json): Json {
  return JSON.parse(
    JSON.stringify(schema, (key, value: Json) =>
      key === '$ref' && typeof value === 'string' ? value.replace(/^#\/components\/schemas\//, SCHEMA_BASE) : value,
    ),
  ) as Json;
}

function createValidator(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    ajv.addSchema({ ...(withAbsoluteRefs(schema) as object), $id: `${SCHEMA_BASE}${name}` });
  }
  return ajv;
}

/** Every `example` next to a `schema` (media types, parameters, headers), with what ajv says of it. */
function exampleFailures(): { checked: number; failures: string[] } {
  const ajv = createValidator();
  let checked = 0;
  const failures: string[] = [];
  for (const { pointer, node, parentKey } of objectsIn(doc)) {
    const mediaType = parentKey !== undefined && pointer.split('/').at(-2) === 'content';
    if (!('example' in node)) continue;
    if (!('schema' in node)) {
      if (mediaType) failures.push(`${pointer}: an example without a schema`);
      continue;
    }
    const validate = ajv.compile(withAbsoluteRefs(node.schema) as object);
    checked++;
    if (!validate(node.example)) failures.push(`${pointer}/example: ${ajv.errorsText(validate.errors)}`);
  }
  return { checked, failures };
}

const mediaExample = (pointer: string): Json => (resolvePointer(pointer) as { example?: Json } | undefined)?.example;
const fixture = (name: string): Json => JSON.parse(readFileSync(join(ROOT, 'fixtures/snap', name), 'utf8')) as Json;

// --- the specification -------------------------------------------------------------------------------

describe('openapi.yaml', () => {
  it('is an OpenAPI 3.1 document with one server per listener', () => {
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.servers?.map(({ url }) => LISTENER_BY_PORT[new URL(url).port])).toEqual(['public', 'admin']);
  });

  it.each(['public', 'admin'] as const)('describes every route of the %s app, and no route it lacks', (listener) => {
    // Arrange
    const apps = buildBothApps();

    // Act
    // The operator console (CONTRACT 8) is HTML pages and form posts for a browser, not part of
    // the JSON API this document describes; test/console covers it.
    const inApp = routesOf(apps[listener]).filter((route) => !/^[A-Z]+ \/console\//.test(route));
    const described = documentedRoutes()[listener];

    // Assert
    const missingFromDocument = inApp.filter((route) => !described.includes(route));
    const notInApp = described.filter((route) => !inApp.includes(route));
    expect({ missingFromDocument, notInApp }).toEqual({ missingFromDocument: [], notInApp: [] });
  });

  it('finds the routes it checks: the optional Biller token expands to both paths', () => {
    const routes = routesOf(buildBothApps().public);

    expect(routes).toEqual(
      expect.arrayContaining(['GET /callbacks/biller/{sourceId}', 'GET /callbacks/biller/{sourceId}/{token}', 'POST /v1.0/qr/qr-cpm-notify']),
    );
  });

  it('resolves every $ref', () => {
    const broken = [...objectsIn(doc)]
      .filter(({ node }) => typeof node.$ref === 'string' && resolvePointer(node.$ref) === undefined)
      .map(({ pointer, node }) => `${pointer}: ${String(node.$ref)}`);

    expect(broken).toEqual([]);
  });

  it('gives only examples that are valid against their schemas', () => {
    const { checked, failures } = exampleFailures();

    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });

  it('gives examples for the main bodies, the SNAP notify ones taken from the seed fixtures', () => {
    const json = (path: string, method: string, part: string) =>
      mediaExample(`#/paths/${path.replace(/\//g, '~1')}/${method}/${part}/content/application~1json`);

    expect(json('/v1.0/emoney/bulk-cashin-notify', 'post', 'requestBody')).toEqual(fixture('bulk-cashin-notify.json'));
    expect(json('/v1.0/qr/qr-cpm-notify', 'post', 'requestBody')).toEqual(fixture('qr-cpm-notify.json'));
    expect(json('/v1.0/emoney/bulk-cashin-notify', 'post', 'responses/200')).toMatchObject({ responseCode: '2004100' });
    expect(json('/v1.0/qr/qr-cpm-notify', 'post', 'responses/200')).toEqual({ responseCode: '2007900', responseMessage: 'Successful' });
    expect(json('/v1.0/access-token/b2b', 'post', 'requestBody')).toEqual({ grantType: 'client_credentials' });
    expect(json('/v1.0/access-token/b2b', 'post', 'responses/200')).toMatchObject({ responseCode: '2007300', tokenType: 'Bearer' });
    expect(json('/admin/events/{id}', 'get', 'responses/200')).toMatchObject({ event: { type: 'payment.status' } });
    expect(json('/admin/replay', 'post', 'requestBody')).toHaveProperty('filter');
    expect(mediaExample('#/components/responses/NotFound/content/application~1json')).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('GET /openapi.yaml on the admin listener', () => {
  it('serves this document to a bearer of the admin token, and nobody else', async () => {
    const { admin } = buildBothApps();

    const anonymous = await request(admin).get('/openapi.yaml');
    const res = await request(admin).get('/openapi.yaml').set('Authorization', `Bearer ${ADMIN_TOKEN}`);

    expect(anonymous.status).toBe(401);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/yaml/);
    expect(res.text).toBe(readFileSync(join(ROOT, 'openapi.yaml'), 'utf8'));
  });
});
