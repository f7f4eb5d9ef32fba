import type { SqlParam } from '@csmcp/projections';

/**
 * A piece of SQL with its `?` parameters in text order. Clauses are built from fragments and joined
 * in the order they appear in the statement, so the parameters always line up with the placeholders.
 */
export interface Sql {
  readonly text: string;
  readonly params: readonly SqlParam[];
}

export function sql(text: string, ...params: SqlParam[]): Sql {
  return { text, params };
}

/** Fragments side by side, separated by `separator` (which holds no placeholder). */
export function joinSql(parts: readonly Sql[], separator: string): Sql {
  return { text: parts.map((p) => p.text).join(separator), params: parts.flatMap((p) => p.params) };
}

/** `template` with each `{}` replaced by the next fragment, e.g. wrap('CAST({} AS INTEGER)', x). */
export function wrap(template: string, ...parts: Sql[]): Sql {
  const pieces = template.split('{}');
  if (pieces.length !== parts.length + 1) throw new Error(`wrap: ${pieces.length - 1} holes for ${parts.length} fragments`);
  let text = pieces[0];
  const params: SqlParam[] = [];
  parts.forEach((part, i) => {
    text += part.text + pieces[i + 1];
    params.push(...part.params);
  });
  return { text, params };
}

/** A column alias: only ever a whitelisted field name or a validated metric name, quoted for both dialects. */
export function quoteAlias(name: string): string {
  if (!/^[a-z][a-z0-9_.]*$/.test(name)) throw new Error(`not a safe column alias: ${name}`);
  return `"${name}"`;
}
