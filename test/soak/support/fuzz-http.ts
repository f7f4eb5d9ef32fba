import { request } from 'node:http';
import * as fc from 'fast-check';

/**
 * Shared by the fuzz soaks (test/soak/fuzz-*.soak.spec.ts): raw HTTP exchanges (node:http, so any
 * header and any bytes can be sent), the "clean answer" property every response must hold, bounded
 * concurrency, and the nasty values the generators draw from.
 */

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The connection was closed before an answer came (see rawRequest). */
  readonly reset?: boolean;
  /** The answer started but did not finish within the timeout. */
  readonly incomplete?: boolean;
}

export interface RawRequest {
  readonly port: string | number;
  readonly method?: string;
  readonly path: string;
  /** Sent as given (no defaults here). */
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send the body without Content-Length (Transfer-Encoding: chunked). */
  readonly chunked?: boolean;
  /** Idle time after which the exchange is cut (default 60 s). */
  readonly timeoutMs?: number;
}

/** One HTTP exchange on a fresh connection. Resolves with what came back; rejects only when no answer came at all. */
export function rawRequest(options: RawRequest): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  if (body && !options.chunked && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: options.port, method: options.method ?? 'POST', path: options.path, headers, agent: false },
      (res) => {
        // The request's timeout stops at the answer's headers: an answer (an SSE stream) that then stalls is cut here.
        res.setTimeout(options.timeoutMs ?? 60_000, () => res.destroy());
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        // An answer that started and never finished (the timeout below cut it): resolved as incomplete.
        res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), incomplete: !res.complete }));
        res.on('error', () => undefined);
      },
    );
    // The server may answer (413) and close before it has read everything: the answer may then be lost
    // with the connection. Resolved as status 0 with `reset` (the caller decides whether that is fine).
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? resolve({ status: 0, headers: {}, text: '', reset: true }) : reject(error),
    );
    // An absolute deadline too: an SSE answer kept alive by pings never goes idle.
    const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${(options.timeoutMs ?? 60_000) / 500} s: ${options.method ?? 'POST'} ${options.path}`)), (options.timeoutMs ?? 60_000) * 2);
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error(`no answer within ${(options.timeoutMs ?? 60_000) / 1000} s: ${options.method ?? 'POST'} ${options.path}`)));
    if (body && options.chunked) {
      for (let offset = 0; offset < body.length; offset += 64 * 1024) req.write(body.subarray(offset, offset + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}

const STACK_FRAME = /\bat .*\(?(\/|[A-Z]:\\)\S+\.(ts|js|cjs|mjs):\d+|^\s+at \S+ \(|\bat (async )?\S+ \(node:/m;
const FILE_PATH = /node_modules|\/work\/|\/home\/|\/tmp\/|dist\/src|\bsrc\/\w+\/\S+\.ts\b|\.ts:\d+:\d+|\.js:\d+:\d+/;
const SQL_TEXT =
  /\b(SELECT\s+\S.*\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b|SQLITE_|no such (table|column)|syntax error at or near|syntax error at|near "|\bcs_(companies|ctas|timeline_activities|success_plans)\b/i;

/**
 * What is wrong with an answer: a 5xx, a stack trace, a file path or SQL text. `echoed` is text the
 * request itself carried (a fuzzed string an answer may legitimately repeat, e.g. in "unknown tool
 * X"): it is removed before looking, so a fuzzed "SELECT * FROM" echoed back is not a leak.
 */
export function problemsOf(answer: Answer, echoed: readonly string[] = []): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`status ${answer.status}`);
  if (answer.status === 0) problems.push('no status');
  if (answer.incomplete) problems.push(`the answer never finished (status ${answer.status}): ${JSON.stringify(answer.text.slice(0, 300))}`);
  let text = answer.text;
  // JSON escapes the echoed text: look for it both raw and JSON-encoded.
  for (const e of echoed) {
    if (e.length < 4) continue;
    for (const form of [e, JSON.stringify(e).slice(1, -1), JSON.stringify(JSON.stringify(e).slice(1, -1)).slice(1, -1)]) text = text.split(form).join(' ');
  }
  if (STACK_FRAME.test(text)) problems.push(`a stack frame: ${excerpt(text, STACK_FRAME)}`);
  if (FILE_PATH.test(text)) problems.push(`a file path: ${excerpt(text, FILE_PATH)}`);
  if (SQL_TEXT.test(text)) problems.push(`SQL text: ${excerpt(text, SQL_TEXT)}`);
  return problems;
}

function excerpt(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  const at = match?.index ?? 0;
  return JSON.stringify(text.slice(Math.max(0, at - 120), at + 200));
}

/** All strings inside a value (keys too): what an answer may echo back. */
export function stringsIn(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 50) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out, depth + 1);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsIn(v, out, depth + 1);
    }
  return out;
}

/** Runs `work` over `items` with at most `limit` at a time; results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The JSON-RPC messages of an answer: a JSON body (one message or a list), or every SSE data line. */
export function jsonRpcMessages(answer: Answer): Array<Record<string, any>> {
  try {
    const parsed = JSON.parse(answer.text) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, any>>;
  } catch {
    return [...answer.text.matchAll(/^data: ?(\{.*)$/gm)].flatMap((m) => {
      try {
        return [JSON.parse(m[1]) as Record<string, any>];
      } catch {
        return [];
      }
    });
  }
}

/** `arbitrary` one time in `oneIn`, null otherwise (fc.option's freq is the other way round: null one time in freq). */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

// ---- nasty values -------------------------------------------------------------------------------

/** Strings that have broken parsers, databases and renderers before. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800', // a lone high surrogate
  '\uDC00x', // a lone low surrogate
  'x\uDBFF',
  '\u202Eevil\u202C', // right-to-left override
  'مرحبا بالعالم',
  'שלום',
  '👩‍👩‍👧‍👦🏳️‍🌈',
  '\uFEFF',
  '\u200B\u200D\u2060',
  'e\u0301\u0301\u0301\u0301',
  'Ω≈ç√∫',
  '\r\n\t\v\f\b',
  "' OR '1'='1",
  "'; DROP TABLE events; --",
  "Robert'); DROP TABLE cs_companies;--",
  '" OR ""="',
  '1; SELECT * FROM events',
  'UNION SELECT password_hash FROM users',
  '%',
  '_',
  '!%_\\',
  '\\',
  '\\u0000',
  '$1',
  '?',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '${7*7}',
  '{{7*7}}',
  '#{7*7}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '../../../../etc/passwd',
  'C:\\Windows\\system32',
  '=cmd|\' /C calc\'!A0',
  '@SUM(1+1)',
  '+1',
  '-0',
  'NaN',
  'Infinity',
  'null',
  'true',
  'undefined',
  '0x7fffffff',
  '1e309',
  '-1',
  '9007199254740993',
  '2024-02-30',
  '2025-13-01',
  '0000-00-00',
  '9999-99-99',
  '2025-06-15T25:61:61Z',
  '2025-06-15T10:00:00',
  '1970-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20',
  '2025-W24',
  'yesterday',
  'x'.repeat(201),
  'x'.repeat(10_001),
  'é'.repeat(3_000),
  '😀'.repeat(2_000),
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', '\u0000', 'é', "'"), fc.integer({ min: 100, max: 60_000 })).map(([c, n]) => c.repeat(n)) },
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 0.5, -1.5, 1e308, -1e308, 2 ** 31, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A value nested `depth` deep: [[[...]]] or {"a":{"a":...}}. */
export function deeplyNested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** Any JSON value, with nasty strings and numbers, some huge or deeply nested. */
export const nastyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { '': null }, { __proto__: null, constructor: { prototype: 1 } }) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 50, max: 2_000 }), fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, k]) => deeplyNested(d, k)),
  },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => i)) },
  { weight: 1, arbitrary: fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 6 }) },
);

/** Dates a date field must refuse (or at least not choke on). */
export const badDate: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('2024-02-30', '2025-13-01', '2025-00-10', '0000-00-00', '2025-6-1', '25-06-01', '2025/06/01', '2025-06-15T25:00:00Z', '', 'today', '+275760-09-13', '2025-06-15T10:00:00+99:99'),
  fc.integer(),
  fc.constant(null),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
