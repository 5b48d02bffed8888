/**
 * JSON as provider SDK families write it, so route tests can send (and sign) the very bytes a real
 * provider would. Written from each library's documented defaults, not from the receiver's code.
 */
export type JsonStyle = 'js' | 'php' | 'jackson' | 'gson' | 'pretty-js' | 'pretty-php' | 'python';

export const JSON_STYLES: readonly JsonStyle[] = ['js', 'php', 'jackson', 'gson', 'pretty-js', 'pretty-php', 'python'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const hex4 = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Escapes `"`, `\` and control characters, plus whatever `alsoEscape` says, as `\uXXXX` (UTF-16 units). */
function quote(text: string, alsoEscape: (unit: string) => boolean, escapeSlash = false): string {
  let out = '"';
  for (const unit of text) {
    for (let i = 0; i < unit.length; i++) {
      const char = unit[i] as string;
      const code = char.charCodeAt(0);
      if (SHORT_ESCAPES[char]) out += SHORT_ESCAPES[char];
      else if (escapeSlash && char === '/') out += '\\/';
      else if (code < 0x20 || alsoEscape(char)) out += hex4(code);
      else out += char;
    }
  }
  return `${out}"`;
}

interface Writer {
  string(text: string): string;
  number(value: number): string;
  /** Separators and indentation: `[item, key-value, indent unit]`. */
  readonly comma: string;
  readonly colon: string;
  readonly indent: string | null;
}

/** Java's Double.toString: `10000.0`, `1.0E7`, `1.5E-4`. */
function javaDouble(value: number): string {
  if (Object.is(value, -0)) return '-0.0';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [mantissa = '', exponent = ''] = value.toExponential().split('e');
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
  }
  const text = String(value);
  return text.includes('.') ? text : `${text}.0`;
}

const WRITERS: Readonly<Record<JsonStyle, Writer>> = {
  js: { string: (t) => JSON.stringify(t), number: (n) => JSON.stringify(n), comma: ',', colon: ':', indent: null },
  // json_encode defaults: `\/`, non-ASCII as \uXXXX, floats keep `.0`.
  php: { string: (t) => quote(t, (c) => c.charCodeAt(0) > 0x7e, true), number: (n) => JSON.stringify(n), comma: ',', colon: ':', indent: null },
  // Jackson with Java doubles: `10000.0`, UTF-8 text as is.
  jackson: { string: (t) => quote(t, () => false), number: javaDouble, comma: ',', colon: ':', indent: null },
  // Gson's HTML-safe default escapes <, >, &, =, ' and the JavaScript line separators.
  gson: { string: (t) => quote(t, (c) => '<>&=\'\u2028\u2029'.includes(c)), number: (n) => JSON.stringify(n), comma: ',', colon: ':', indent: null },
  'pretty-js': { string: (t) => JSON.stringify(t), number: (n) => JSON.stringify(n), comma: ',', colon: ': ', indent: '  ' },
  // JSON_PRETTY_PRINT: four spaces, otherwise as json_encode.
  'pretty-php': { string: (t) => quote(t, (c) => c.charCodeAt(0) > 0x7e, true), number: (n) => JSON.stringify(n), comma: ',', colon: ': ', indent: '    ' },
  // Python's json.dumps defaults: `, ` and `: ` separators, ensure_ascii.
  python: { string: (t) => quote(t, (c) => c.charCodeAt(0) > 0x7e), number: (n) => JSON.stringify(n), comma: ', ', colon: ': ', indent: null },
};

export function serialize(value: unknown, style: JsonStyle): string {
  const writer = WRITERS[style];
  const write = (v: Json, depth: number): string => {
    if (v === null || typeof v === 'boolean') return String(v);
    if (typeof v === 'number') return writer.number(v);
    if (typeof v === 'string') return writer.string(v);
    const entries = Array.isArray(v) ? v.map((item) => write(item, depth + 1)) : Object.entries(v).map(([k, item]) => `${writer.string(k)}${writer.colon}${write(item, depth + 1)}`);
    const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) return `${open}${close}`;
    if (writer.indent === null) return `${open}${entries.join(writer.comma)}${close}`;
    const inner = `\n${writer.indent.repeat(depth + 1)}`;
    return `${open}${inner}${entries.join(`${writer.comma}${inner}`)}\n${writer.indent.repeat(depth)}${close}`;
  };
  return write(JSON.parse(JSON.stringify(value)) as Json, 0);
}
