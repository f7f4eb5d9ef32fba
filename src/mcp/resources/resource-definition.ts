import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext } from '../tools/tool-definition';
import type { Completer } from '../completion/completers';

/** What a resource read, a prompt and a completion get: who asks and the query bus, never the command bus. */
export type ReadContext = Pick<ToolContext, 'principal' | 'viewer' | 'queries' | 'after' | 'signal'>;

/** JSON-RPC error codes the MCP server answers these errors with (MCP spec 2025-11-25). */
export const MCP_ERROR_CODES = {
  /** resources/read of a URI that names nothing the caller can see. */
  RESOURCE_NOT_FOUND: -32002,
  /** Unknown prompt or template, a missing or wrong argument, a bad cursor. */
  INVALID_PARAMS: -32602,
} as const;

/**
 * An error the server turns into a JSON-RPC error as is: `new McpError(error.code, error.message, error.data)`.
 * Anything else thrown by a read is a bug or an outage (-32603).
 */
export class McpRequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * -32002. Thrown for a URI no resource matches and for a record that does not exist or that the
 * caller may not see: the two answer alike (the query's NOT_FOUND message), so ids cannot be probed.
 */
export class ResourceNotFoundError extends McpRequestError {
  constructor(
    readonly uri: string,
    message: string,
  ) {
    super(MCP_ERROR_CODES.RESOURCE_NOT_FOUND, message, { uri });
  }
}

/** -32602. */
export class InvalidParamsError extends McpRequestError {
  constructor(message: string, data?: Record<string, unknown>) {
    super(MCP_ERROR_CODES.INVALID_PARAMS, message, data);
  }
}

interface ResourceDescription {
  /** Programmatic name (resources/list `name`). */
  readonly name: string;
  /** For people (`title`). */
  readonly title: string;
  /** What it holds and when to read it: an LLM and a person choose from this. */
  readonly description: string;
  readonly mimeType: string;
}

/** One resource template (RFC 6570 level 1: `{var}` only, each variable one path segment). */
export interface ResourceTemplateDefinition extends ResourceDescription {
  readonly kind: 'template';
  readonly uriTemplate: string;
  readonly variables: readonly string[];
  /** completion/complete for a variable of the template; variables without one complete to nothing. */
  readonly completions: Readonly<Record<string, Completer>>;
  /** `uri` as the client sent it (echoed in contents[].uri), `params` decoded from it. */
  read(uri: string, params: Readonly<Record<string, string>>, context: ReadContext): Promise<ReadResourceResult>;
}

export interface StaticResourceDefinition extends ResourceDescription {
  readonly kind: 'static';
  readonly uri: string;
  read(uri: string, params: Readonly<Record<string, string>>, context: ReadContext): Promise<ReadResourceResult>;
}

export type ResourceDefinition = ResourceTemplateDefinition | StaticResourceDefinition;

export interface ResourceMatch {
  readonly definition: ResourceDefinition;
  readonly params: Readonly<Record<string, string>>;
}
