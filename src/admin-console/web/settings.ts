/** What the server told the page (data attributes of #app, see ../console-page.ts). */
export interface Settings {
  /** csmcp's public base URL: the issuer, and the admin API is `${base}/admin/api`. */
  readonly base: string;
  /** built-in: sign in through csmcp's authorization server; token: paste a personal access token. */
  readonly signIn: 'built-in' | 'token';
  readonly clientId: string;
  readonly scope: string;
  readonly resource: string;
  readonly redirectUri: string;
  /** The path the console's pages hang off (`/admin`, after PUBLIC_URL's path if it has one). */
  readonly prefix: string;
}

export function readSettings(root: HTMLElement): Settings {
  const data = root.dataset;
  const need = (key: string): string => {
    const value = data[key];
    if (!value) throw new Error(`the page lacks data-${key}: reload it`);
    return value;
  };
  const base = need('base');
  return {
    base,
    signIn: need('signIn') === 'token' ? 'token' : 'built-in',
    clientId: need('clientId'),
    scope: need('scope'),
    resource: need('resource'),
    redirectUri: need('redirectUri'),
    prefix: `${new URL(base).pathname.replace(/\/+$/, '')}/admin`,
  };
}
