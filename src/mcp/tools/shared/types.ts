import type { JsonSchemaObject } from '../tool-definition';

/** An object schema with its properties known (to extend it). */
export type JsonObjectSchema = JsonSchemaObject & { readonly properties: Record<string, Record<string, unknown>> };
