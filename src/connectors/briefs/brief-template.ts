/**
 * A brief source's arguments: a JSON object whose strings may name company fields, `{{company.name}}`.
 * Rendering walks the parsed object and substitutes values as JSON values (a whole-string placeholder
 * becomes the field's value, null or a number included; one inside other text is interpolated into
 * that string): nothing is ever concatenated into JSON text, so a company named `", "admin": true` is
 * just a string. Pure: no framework, no I/O.
 */

/** The fields a template may use, and where each comes from in csmcp's company view. */
export const TEMPLATE_FIELDS = ['id', 'name', 'external_id', 'industry', 'segment', 'region', 'owner_email', 'renewal_date'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];
export type TemplateCompany = Readonly<Record<TemplateField, string | number | null>>;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const MAX_TEMPLATE_CHARS = 4_000;

export class BriefTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BriefTemplateError';
  }
}

/** Parses and checks a template (the JSON an admin typed); throws BriefTemplateError saying what is wrong. */
export function parseTemplate(text: string): Record<string, unknown> {
  if (text.length > MAX_TEMPLATE_CHARS) throw new BriefTemplateError(`the arguments are ${text.length} characters; at most ${MAX_TEMPLATE_CHARS}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BriefTemplateError(`the arguments are not JSON (${(error as Error).message}); give an object, e.g. '{"company": "{{company.name}}"}'`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new BriefTemplateError(`the arguments must be a JSON object (the tool's arguments), e.g. '{"company": "{{company.name}}"}'`);
  checkPlaceholders(parsed);
  return parsed as Record<string, unknown>;
}

/** The fields a template names, each once, in order. */
export function fieldsOf(template: unknown): TemplateField[] {
  const found: TemplateField[] = [];
  walkStrings(template, (s) => {
    for (const match of s.matchAll(PLACEHOLDER)) {
      const field = fieldName(match[1]);
      if (!found.includes(field)) found.push(field);
    }
  });
  return found;
}

/** The template with the company's values in place. */
export function renderTemplate(template: Record<string, unknown>, company: TemplateCompany): Record<string, unknown> {
  return render(template, company) as Record<string, unknown>;
}

function render(value: unknown, company: TemplateCompany): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([^{}]*?)\s*\}\}$/.exec(value);
    if (whole) return company[fieldName(whole[1])];
    return value.replace(PLACEHOLDER, (_m, name: string) => {
      const v = company[fieldName(name)];
      return v === null ? '' : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => render(v, company));
  if (value !== null && typeof value === 'object') {
    // Keys are kept as typed: only values are templates.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, company)]));
  }
  return value;
}

function checkPlaceholders(template: unknown): void {
  walkStrings(template, (s) => {
    for (const match of s.matchAll(PLACEHOLDER)) fieldName(match[1]);
    if (/\{\{|\}\}/.test(s.replace(PLACEHOLDER, '')))
      throw new BriefTemplateError(`${JSON.stringify(s)} has an unclosed or nested {{ }}; write a field as {{company.name}}`);
  });
}

function fieldName(raw: string): TemplateField {
  const match = /^company\.([a-z_]+)$/.exec(raw.trim());
  if (!match || !(TEMPLATE_FIELDS as readonly string[]).includes(match[1]))
    throw new BriefTemplateError(`{{${raw}}} is not a company field; use one of ${TEMPLATE_FIELDS.map((f) => `{{company.${f}}}`).join(', ')}`);
  return match[1] as TemplateField;
}

function walkStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => walkStrings(v, visit));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((v) => walkStrings(v, visit));
}

/** "5s", "1500ms", "1500" (milliseconds) or "1m" into milliseconds, between 100 ms and 60 s. */
export function parseTimeout(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  const ms = match ? Math.round(Number(match[1]) * (match[2] === 's' ? 1000 : match[2] === 'm' ? 60_000 : 1)) : NaN;
  if (!Number.isFinite(ms) || ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS)
    throw new BriefTemplateError(`the timeout must be between ${MIN_TIMEOUT_MS} ms and ${MAX_TIMEOUT_MS / 1000} s, e.g. 5s or 1500ms; got ${JSON.stringify(text)}`);
  return ms;
}

export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 60_000;
export const DEFAULT_SOURCE_TIMEOUT_MS = 10_000;
