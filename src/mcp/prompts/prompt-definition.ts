import type { GetPromptResult, Prompt } from '@modelcontextprotocol/sdk/types.js';
import type { Completer } from '../completion/completers';
import { InvalidParamsError, type ReadContext } from '../resources/resource-definition';

export type { ReadContext } from '../resources/resource-definition';

export interface PromptArgumentDefinition {
  readonly name: string;
  readonly title: string;
  /** What to give and in which form: the client shows it next to the field. */
  readonly description: string;
  readonly required: boolean;
  /** completion/complete for this argument; none: it completes to nothing. */
  readonly complete?: Completer;
}

/**
 * One MCP prompt: a user-chosen starting point that gathers context and tells the model which tools
 * to call. Arguments arrive as strings (prompts/get); `get` receives them already checked by
 * checkPromptArguments: required ones present, no unknown names, blank optional ones left out.
 */
export interface PromptDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly arguments: readonly PromptArgumentDefinition[];
  get(args: Readonly<Record<string, string>>, context: ReadContext): Promise<GetPromptResult>;
}

/** -32602: prompts/get or completion/complete named a prompt that does not exist. */
export class PromptNotFoundError extends InvalidParamsError {
  constructor(
    readonly prompt: string,
    known: readonly string[],
  ) {
    super(`There is no prompt named ${JSON.stringify(prompt)}; prompts: ${known.join(', ')}`, { prompt });
  }
}

/** -32602: a required argument is missing, an argument is unknown, or its value cannot be used. */
export class PromptArgumentError extends InvalidParamsError {
  constructor(
    readonly prompt: string,
    readonly argument: string,
    message: string,
  ) {
    super(`${prompt}: ${message}`, { prompt, argument });
  }
}

/** Arguments as `get` wants them; throws PromptArgumentError naming the first one that is wrong. */
export function checkPromptArguments(prompt: PromptDefinition, args: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const known = prompt.arguments.map((a) => a.name);
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(args ?? {})) {
    if (!known.includes(name))
      throw new PromptArgumentError(
        prompt.name,
        name,
        `${name} is not an argument of this prompt; its arguments: ${known.join(', ') || 'none'}`,
      );
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new PromptArgumentError(prompt.name, name, `${name} must be a string (prompt arguments are text)`);
    // Clients send optional fields the user left empty as "": that is "not given".
    if (value.trim() !== '') checked[name] = value.trim();
  }
  for (const argument of prompt.arguments)
    if (argument.required && checked[argument.name] === undefined)
      throw new PromptArgumentError(prompt.name, argument.name, `${argument.name} is required: ${argument.description}`);
  return checked;
}

/** The prompts/list entry of a definition. */
export function describePrompt(prompt: PromptDefinition): Prompt {
  return {
    name: prompt.name,
    title: prompt.title,
    description: prompt.description,
    arguments: prompt.arguments.map((a) => ({ name: a.name, title: a.title, description: a.description, required: a.required })),
  };
}
