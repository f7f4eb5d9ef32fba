export * from './prompt-definition';
export { CS_PROMPTS, findPrompt, getPrompt, listPrompts } from './cs-prompts';
