import { findPrompt } from '../prompts/cs-prompts';
import { CS_RESOURCE_TEMPLATES, CS_STATIC_RESOURCES } from '../resources/cs-resources';
import { InvalidParamsError, type ReadContext } from '../resources/resource-definition';
import { NO_COMPLETIONS, type CompletionValues } from './completers';

export { MAX_COMPLETIONS, type CompletionValues } from './completers';

/**
 * completion/complete for `ref/resource`: `uriTemplate` is the template exactly as
 * resources/templates/list gave it, `argName` one of its variables, `value` what was typed so far,
 * `resolved` the request's `context.arguments`. An unknown template is InvalidParamsError (-32602);
 * a static resource's URI or a variable without a completer completes to nothing, as the SDK does.
 */
export async function completeResourceArgument(
  uriTemplate: string,
  argName: string,
  value: string,
  context: ReadContext,
  resolved: Readonly<Record<string, string>> = {},
): Promise<CompletionValues> {
  const template = CS_RESOURCE_TEMPLATES.find((t) => t.uriTemplate === uriTemplate);
  if (!template) {
    if (CS_STATIC_RESOURCES.some((r) => r.uri === uriTemplate)) return NO_COMPLETIONS;
    throw new InvalidParamsError(
      `There is no resource template ${JSON.stringify(uriTemplate)}; templates: ${CS_RESOURCE_TEMPLATES.map((t) => t.uriTemplate).join(', ')}`,
      { uri: uriTemplate },
    );
  }
  const completer = template.completions[argName];
  return completer ? completer(value, context, resolved) : NO_COMPLETIONS;
}

/**
 * completion/complete for `ref/prompt`. An unknown prompt is PromptNotFoundError (-32602); an
 * argument without a completer (or not of the prompt) completes to nothing.
 */
export async function completePromptArgument(
  promptName: string,
  argName: string,
  value: string,
  context: ReadContext,
  resolved: Readonly<Record<string, string>> = {},
): Promise<CompletionValues> {
  const completer = findPrompt(promptName).arguments.find((a) => a.name === argName)?.complete;
  return completer ? completer(value, context, resolved) : NO_COMPLETIONS;
}
