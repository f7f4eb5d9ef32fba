import type { IntegrationPreset } from './integration';

/**
 * What each connector's preset fills in. The callback URLs are the ones the connectors' setup guides
 * publish (../shared/seeds). ChatGPT and Copilot Studio show their callback URL only once they have
 * the client id and secret, so those presets may be registered without one and get it added with
 * `integrations update ID --add-redirect-uri URL`; until then they cannot complete a sign-in.
 */
export interface IntegrationPresetDefaults {
  readonly label: string;
  readonly redirectUris: readonly string[];
  /** May be registered with no redirect URI yet (the connector generates it after registration). */
  readonly redirectUriLater: boolean;
  /** Where the admin finds the redirect URI to add. */
  readonly redirectUriHint: string;
}

export const PRESETS: Readonly<Record<IntegrationPreset, IntegrationPresetDefaults>> = {
  claude: {
    label: 'Claude',
    // Both: claude.ai and claude.com each send their own (the guides say to register both).
    redirectUris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
    redirectUriLater: false,
    redirectUriHint: "Claude's two callback URLs are registered already",
  },
  chatgpt: {
    label: 'ChatGPT',
    redirectUris: [],
    redirectUriLater: true,
    redirectUriHint: "ChatGPT shows its Callback URL under the app's OAuth advanced settings once you enter the client id and secret",
  },
  copilot_studio: {
    label: 'Microsoft Copilot Studio',
    // The Microsoft 365 Copilot plugins' callback; Copilot Studio's own is generated per connection.
    redirectUris: ['https://teams.microsoft.com/api/platform/v1.0/oAuthRedirect'],
    redirectUriLater: true,
    redirectUriHint: "Copilot Studio shows its Redirect URL after you save the MCP tool's OAuth 2.0 (manual) settings",
  },
  custom: {
    label: 'custom client',
    redirectUris: [],
    redirectUriLater: false,
    redirectUriHint: "the MCP client's documentation gives its callback URL",
  },
};
