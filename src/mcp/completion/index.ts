export { completePromptArgument, completeResourceArgument, MAX_COMPLETIONS, type CompletionValues } from './completion';
export type { Completer } from './completers';
