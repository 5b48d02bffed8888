import { createHash } from 'node:crypto';

/**
 * Which bytes a provider's SDK hashed for its signature (CONTRACT 3.2). SDKs sign the bytes they
 * send, but they write JSON differently (PHP `\/` and `\u00e9`, Jackson `10000.0`, Gson `\u003c`),
 * and some sign a compact form of a pretty body; every form here is derived from the bytes received.
 */
export type BodyForm = 'raw' | 'minified' | 'reserialized';

/** Nesting beyond this is refused (`400SS00`); JSON.stringify would overflow the stack long before 10⁵. */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

export interface Scanned {
  /** The body without whitespace outside strings; strings, numbers and key order untouched. */
  readonly minified: Buffer;
  /** Deepest nesting of objects and arrays outside strings. */
  readonly depth: number;
}

/**
 * One lexical pass over the bytes: drops JSON whitespace outside strings and measures nesting,
 * without parsing. UTF-8 continuation bytes are all ≥ 0x80, so byte-wise scanning is safe; a body
 * that is not JSON is scanned the same way and simply fails to verify or to parse later.
 */
export function scanJson(raw: Buffer): Scanned {
  const out = Buffer.allocUnsafe(raw.length);
  let length = 0;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] as number;
    if (inString) {
      out[length++] = byte;
      if (byte === BACKSLASH && i + 1 < raw.length) {
        out[length++] = raw[++i] as number;
      } else if (byte === QUOTE) {
        inString = false;
      }
      continue;
    }
    if (isJsonWhitespace(byte)) continue;
    out[length++] = byte;
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) deepest = Math.max(deepest, ++depth);
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth = Math.max(0, depth - 1);
  }
  return { minified: length === raw.length ? raw : out.subarray(0, length), depth: deepest };
}

/** The parsed body, or why it cannot be one: not JSON, or nested too deep to handle safely. */
export type ParsedBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: 'not_json' | 'too_deep' };

/** Parses the body after the depth check, so no input can make JSON.stringify overflow later. */
export function parseBody(raw: Buffer, scanned: Scanned = scanJson(raw)): ParsedBody {
  if (scanned.depth > MAX_JSON_DEPTH) return { ok: false, reason: 'too_deep' };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false, reason: 'not_json' };
  }
}

/** `JSON.stringify(JSON.parse(raw))`, or null when the body is not JSON (or too deep). */
export function reserialize(parsed: ParsedBody): string | null {
  return parsed.ok ? JSON.stringify(parsed.value) : null;
}

export interface BodyDigest {
  readonly form: BodyForm;
  /** hex(sha256(form)), lowercase: what goes into the string to sign. */
  readonly sha256Hex: string;
}

/**
 * The digests of the body's forms, in the order CONTRACT 3.2 tries them, each computed only when
 * asked for and skipped when it equals an earlier form.
 */
export function* bodyDigests(raw: Buffer): Generator<BodyDigest> {
  const rawHex = sha256Hex(raw);
  yield { form: 'raw', sha256Hex: rawHex };
  const scanned = scanJson(raw);
  const minifiedHex = scanned.minified === raw ? rawHex : sha256Hex(scanned.minified);
  if (minifiedHex !== rawHex) yield { form: 'minified', sha256Hex: minifiedHex };
  const reserialized = reserialize(parseBody(raw, scanned));
  if (reserialized === null) return;
  const reserializedHex = sha256Hex(reserialized);
  if (reserializedHex !== rawHex && reserializedHex !== minifiedHex) yield { form: 'reserialized', sha256Hex: reserializedHex };
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
