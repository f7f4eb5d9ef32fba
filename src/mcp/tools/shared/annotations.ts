import type { ToolAnnotations } from '../tool-definition';

/** Reads change nothing; the data is this server's own (closed world). */
export const readAnnotations = (title: string): ToolAnnotations => ({
  title,
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
});

/** A create adds a record and overwrites nothing; a repeat without idempotency_key adds another. */
export const createAnnotations = (title: string): ToolAnnotations => ({
  title,
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
});

/** An update overwrites fields (MCP's "destructive"); repeating the same update changes nothing more. */
export const updateAnnotations = (title: string): ToolAnnotations => ({
  title,
  readOnlyHint: false,
  destructiveHint: true,
  idempotentHint: true,
  openWorldHint: false,
});
