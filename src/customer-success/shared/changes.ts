import type { JsonValue } from '@csmcp/event-store';
import type { FieldChange } from './values';

/**
 * The changes an update makes: for each field the update names (value !== undefined), a change when
 * the new value differs from the current one. Values are JSON, compared by value.
 */
export function collectChanges<Current extends { [K in Field]: JsonValue }, Field extends string>(
  current: Current,
  requested: { [K in Field]?: Current[K] },
  fields: readonly Field[],
): TypedChange<Current, Field>[] {
  const changes: FieldChange<Field, JsonValue>[] = [];
  for (const field of fields) {
    const to = requested[field];
    if (to === undefined) continue;
    const from = current[field];
    if (!sameJson(from, to as JsonValue)) changes.push({ field, from, to: to as JsonValue });
  }
  return changes as TypedChange<Current, Field>[];
}

/** One change of one of `Field`, typed by that field's value type: `{ field: 'status'; from: CtaStatus; to: CtaStatus }`. */
export type TypedChange<Fields, Field extends keyof Fields & string> = {
  [K in Field]: FieldChange<K, Fields[K]>;
}[Field];

/** Applies changes to a record (the `evolve` side of an update event). */
export function applyChanges<Fields extends object>(
  fields: Fields,
  changes: readonly { field: keyof Fields & string; to: unknown }[],
): Fields {
  const next = { ...fields } as Record<string, unknown>;
  for (const change of changes) next[change.field] = change.to;
  return next as Fields;
}

export function sameJson(a: JsonValue, b: JsonValue): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The field names of a list of changes, for messages: "name, dueDate". */
export function changedFieldNames(changes: readonly FieldChange[]): string {
  return changes.map((c) => c.field).join(', ');
}
