/**
 * RFC 6570 level 1 (`{var}` simple string expansion) is all our templates use: each variable stands
 * for one path segment, so matching is a regex per template and no template can shadow another.
 */

const VARIABLE = /\{([a-z_][a-z0-9_]*)\}/g;

export interface UriTemplate {
  readonly template: string;
  readonly variables: readonly string[];
  /** The variables' decoded values when `uri` is an expansion of the template; otherwise null. */
  match(uri: string): Record<string, string> | null;
  /** The URI for these values, each percent-encoded as level 1 expansion says (unreserved kept). */
  expand(values: Readonly<Record<string, string>>): string;
}

export function uriTemplate(template: string): UriTemplate {
  if (/[{}]/.test(template.replace(VARIABLE, ''))) throw new Error(`${template} is not an RFC 6570 level 1 template`);
  const variables = [...template.matchAll(VARIABLE)].map((m) => m[1]);
  const pattern = new RegExp(
    `^${template
      .split(VARIABLE)
      // split with a capture group alternates literal text and variable names.
      .map((part, i) => (i % 2 === 1 ? '([^/?#{}]+)' : escapeRegExp(part)))
      .join('')}$`,
  );
  return {
    template,
    variables,
    match(uri) {
      const m = pattern.exec(uri);
      if (!m) return null;
      const values: Record<string, string> = {};
      for (const [i, name] of variables.entries()) {
        const value = decode(m[i + 1]);
        // A malformed escape is not one of our URIs (an encoded "/" is fine: ids may hold one).
        if (value === null || value === '') return null;
        values[name] = value;
      }
      return values;
    },
    expand(values) {
      return template.replace(VARIABLE, (_, name: string) => encodeUnreserved(values[name] ?? ''));
    },
  };
}

/** Level 1 expansion keeps only unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~"). */
export function encodeUnreserved(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
