/** Where single-use confirmation tokens live (McpStateStore: shared by every instance). */
export interface ConfirmationStore {
  issueConfirmation(userId: string, toolName: string, args: unknown): Promise<string>;
  /** Null when the token confirms exactly this call (and is now spent), else why not. */
  redeemConfirmation(token: string, userId: string, toolName: string, args: unknown): Promise<string | null>;
}

/** The argument write tools gain when the policy asks for confirmation. */
export const CONFIRMATION_TOKEN_PROPERTY = {
  confirmation_token: {
    type: 'string',
    description:
      'Only after a call answered CONFIRMATION_REQUIRED and the user agreed to the previewed change: the token from that answer. Valid once, for the same arguments, for ten minutes.',
  },
} as const;

/**
 * The answer to a write that needs confirmation when the client cannot ask the user itself: nothing
 * is written; the preview says exactly what would change, and the token confirms exactly that.
 */
export function confirmationToolError(change: string, token: string) {
  return {
    code: 'CONFIRMATION_REQUIRED',
    message: `Nothing was written yet. Show the user this change and ask them to confirm it: ${change} If they agree, call the tool again with the same arguments and confirmation_token "${token}" (valid once, for ten minutes).`,
    preview: change,
    confirmation_token: token,
    expires_in_seconds: 600,
  };
}
