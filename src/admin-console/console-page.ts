import { escapeHtml } from '../auth/oauth-server/provider-configuration';

/**
 * The console's one HTML page (the app renders into #app) and the headers every console page gets.
 * No inline script or style anywhere: the CSP allows only csmcp's own files, and `data:` images (Pico
 * CSS draws its checkboxes and selects with inline SVG). The page is never framed, never cached
 * (it names the issuer), and sends no Referer (the callback URL carries the authorization code).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * What the browser app needs to know, handed over as data attributes of #app (no inline script). The
 * authorization server's endpoints it reads from the server's metadata (RFC 8414), checked there.
 */
export interface ConsoleSettings {
  /** csmcp's public base URL (the built-in issuer; the admin API is under it). */
  readonly base: string;
  /**
   * How an admin signs in: `built-in` (csmcp's authorization server: the console is its first-party
   * client) or `token` (OAUTH_ISSUER is set, the built-in server is off: paste a personal access token).
   */
  readonly signIn: 'built-in' | 'token';
  readonly clientId: string;
  readonly scope: string;
  readonly resource: string;
  readonly redirectUri: string;
}

/** The page; `versions` (asset name → a hash of it) make each bundle's URL its own. */
export function consolePage(settings: ConsoleSettings, versions: Readonly<Record<string, string>>): string {
  const prefix = new URL(settings.base).pathname.replace(/\/+$/, '');
  const asset = (name: string) => escapeHtml(`${prefix}/admin/assets/${name}?v=${encodeURIComponent(versions[name] ?? '')}`);
  const data = Object.entries(settings)
    .map(([key, value]) => ` data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}="${escapeHtml(String(value))}"`)
    .join('');
  return `<!doctype html>
<html lang="en" data-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>csmcp admin</title>
<link rel="stylesheet" href="${asset('console.css')}">
<script type="module" src="${asset('console.js')}"></script>
</head>
<body>
<div id="app"${data}><noscript><p>The csmcp admin console needs JavaScript.</p></noscript></div>
</body>
</html>
`;
}

/** When the bundle cannot be loaded: what is wrong and what to do. */
export function consoleUnavailablePage(message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>csmcp admin: unavailable</title></head>
<body><main><h1>The admin console is unavailable</h1><p>${escapeHtml(message)}</p></main></body></html>
`;
}
