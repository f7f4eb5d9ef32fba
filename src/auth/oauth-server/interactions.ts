import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { metadataDocumentHost } from '../clients/cimd-client';
import { IDP_CALLBACK_PATH, type IdentityProviderSignIn, type IdpRequestContext } from '../identity-provider/identity-provider-sign-in';
import type { IdpSignInRefused } from '../identity-provider/idp-refusal';
import { addressGroup } from '../integrations/ip-allow-list';
import { rememberedClientAddress } from '../../net/client-address';
import type { PasswordService } from '../passwords/password.service';
import { escapeHtml } from './provider-configuration';
import type { OAuthStateStore } from './oauth-state.store';

/** Failed sign-ins per account before it is locked, within this window, and for how long. */
export const LOCKOUT = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;
/**
 * Failed sign-ins per client address (an IPv6 /64), whatever the accounts, before sign-in from that
 * address is refused (429) for lockMs: a password spray across many accounts stays under each
 * account's lockout but not under this. A success does not reset it.
 */
export const ADDRESS_LOCKOUT = { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;
/** The longest failure window counted: the state sweep keeps counts that long. */
export const SIGNIN_FAILURE_WINDOW_MS = Math.max(LOCKOUT.windowMs, ADDRESS_LOCKOUT.windowMs);
const MAX_FORM_BYTES = 16 * 1024;

const SCOPE_TEXT: Record<string, string> = {
  'cs:read': 'read customer-success data you may see',
  'cs:write': 'change customer-success data in your name',
  admin: 'administer csmcp (audit, usage, configuration)',
};

export interface InteractionDeps {
  readonly passwords: PasswordService;
  readonly state: OAuthStateStore;
  /** Keys the CSRF tokens (the provider's cookie key). */
  readonly csrfKey: string;
  /** Sign-in through the company's identity provider (IDP_*): a second button on the sign-in page; null = none. */
  readonly identityProvider?: IdentityProviderSignIn | null;
  /** csmcp's public base URL: the identity provider's callback URL is built from it. */
  readonly baseUrl: string;
}

/**
 * csmcp's sign-in and consent pages for oidc-provider's interactions, at /oauth/interaction/:uid.
 * Every page: CSP with frame-ancestors 'none', no-store, every value HTML-escaped. Every POST carries a
 * CSRF token bound to the interaction (HMAC of its uid); the interaction itself is bound to the
 * browser by the provider's cookie, which interactionDetails checks.
 */
export async function handleInteraction(provider: Provider, deps: InteractionDeps, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (path === IDP_CALLBACK_PATH) return identityProviderCallback(deps, req, res);
  const match = /^\/oauth\/interaction\/([A-Za-z0-9_-]{1,100})(?:\/(login|confirm|abort|idp|idp-done))?$/.exec(path);
  if (!match) return page(res, 404, 'Not found', '<p>There is no such page.</p>');
  const [, uid, action] = match;
  let details: Awaited<ReturnType<Provider['interactionDetails']>>;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return page(res, 400, 'Sign-in expired', '<p>This sign-in has expired or was opened in another browser. Go back to the application and connect again.</p>');
  }
  if (details.uid !== uid) return page(res, 400, 'Sign-in expired', '<p>This sign-in does not match this browser. Go back to the application and connect again.</p>');
  const csrf = csrfToken(deps.csrfKey, uid);
  const idp = deps.identityProvider ?? null;
  const signInPage = (error: string | null, status: number) => renderSignInPage(res, uid, csrf, idp?.name ?? null, error, status);
  const idpContext: IdpRequestContext = { baseUrl: deps.baseUrl, cookieKey: deps.csrfKey };

  if (req.method === 'GET' && action === undefined) {
    if (details.prompt.name === 'login') return signInPage(null, 200);
    return consentPage(provider, res, uid, csrf, details);
  }
  if (action === 'idp-done' || (action === 'idp' && !idp)) {
    if (!idp) return page(res, 404, 'Not found', '<p>There is no such page.</p>');
    if (req.method !== 'GET') return page(res, 405, 'Not allowed', '<p>This page is only visited, never posted to.</p>');
    if (details.prompt.name !== 'login') return page(res, 400, 'Bad request', '<p>You are signed in already.</p>');
    // The user the identity provider's callback signed in, for this interaction: the provider's own
    // interaction cookie (checked by interactionDetails above) and ours must both be this browser's.
    const userId = idp.finish(req, res, uid, idpContext);
    if (!userId)
      return page(
        res,
        400,
        'Sign-in expired',
        `<p>This sign-in through ${escapeHtml(idp.name)} is not this browser's or is over. <a href="${escapeHtml(`/oauth/interaction/${encodeURIComponent(uid)}`)}">Back to sign-in</a></p>`,
      );
    return provider.interactionFinished(req, res, { login: { accountId: userId } }, { mergeWithLastSubmission: false });
  }
  if (req.method !== 'POST' || action === undefined) return page(res, 405, 'Not allowed', '<p>Use the form.</p>');

  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch {
    return page(res, 400, 'Bad request', '<p>The form could not be read.</p>');
  }
  if (!csrfMatches(csrf, form.get('csrf'))) return page(res, 403, 'Forbidden', '<p>The form is stale or was not sent from this page. Reload it and try again.</p>');

  if (action === 'idp') {
    if (details.prompt.name !== 'login') return page(res, 400, 'Bad request', '<p>You are signed in already.</p>');
    const refusal = await idp!.start(req, res, uid, idpContext);
    return refusal ? refusalPage(res, refusal, uid) : undefined;
  }
  if (action === 'abort') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user did not allow access' }, { mergeWithLastSubmission: false });
  }
  if (action === 'login') {
    if (details.prompt.name !== 'login') return page(res, 400, 'Bad request', '<p>You are signed in already.</p>');
    const email = (form.get('email') ?? '').trim().toLowerCase().slice(0, 320);
    const password = form.get('password') ?? '';
    const account = `email:${email}`;
    // Counted in the shared database, so every instance sees every address's failures.
    const address = `address:${addressGroup(rememberedClientAddress(req)) ?? 'unknown'}`;
    if (await deps.state.lockedUntil(address))
      return signInPage('Too many failed sign-ins from this network address. Wait 15 minutes and try again.', 429);
    if (await deps.state.lockedUntil(account))
      return signInPage('Too many failed sign-ins for this account. Wait 15 minutes, or ask an admin to reset the password.', 429);
    const user = email && password ? await deps.passwords.verify(email, password) : null;
    if (!user) {
      await deps.state.recordFailure(account, LOCKOUT.maxFailures, LOCKOUT.windowMs, LOCKOUT.lockMs);
      await deps.state.recordFailure(address, ADDRESS_LOCKOUT.maxFailures, ADDRESS_LOCKOUT.windowMs, ADDRESS_LOCKOUT.lockMs);
      return signInPage('The email or password is wrong.', 401);
    }
    await deps.state.clearFailures(account);
    return provider.interactionFinished(req, res, { login: { accountId: user.userId } }, { mergeWithLastSubmission: false });
  }
  // confirm
  if (details.prompt.name !== 'consent') return page(res, 400, 'Bad request', '<p>There is nothing to allow.</p>');
  const accountId = details.session?.accountId;
  if (!accountId) return page(res, 400, 'Bad request', '<p>Sign in first.</p>');
  const grant = details.grantId
    ? (await provider.Grant.find(details.grantId))!
    : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  // cs:* are configured scopes, so they are OIDC scopes too: both must be granted (decision record, pitfall 5).
  if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/**
 * Where the identity provider sends the browser back (IDP_CALLBACK_PATH, one fixed URL to register
 * there): signed in, on to the interaction it belongs to (idp-done finishes it); refused, a page that
 * says why and leads back to the sign-in page.
 */
async function identityProviderCallback(deps: InteractionDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const idp = deps.identityProvider;
  if (!idp) return page(res, 404, 'Not found', '<p>There is no such page.</p>');
  if (req.method !== 'GET') return page(res, 405, 'Not allowed', '<p>Your identity provider sends you here with a link, not a form.</p>');
  const outcome = await idp.callback(req, res, { baseUrl: deps.baseUrl, cookieKey: deps.csrfKey });
  if (outcome.kind === 'refused') return refusalPage(res, outcome.refusal, outcome.uid);
  res.statusCode = 303;
  res.setHeader('Location', `/oauth/interaction/${encodeURIComponent(outcome.uid)}/idp-done`);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}

/** A refused sign-in through the identity provider: what happened and what to do, its code, the way back. */
function refusalPage(res: ServerResponse, refusal: IdpSignInRefused, uid: string | null): void {
  page(
    res,
    refusal.status,
    'Sign-in refused',
    `<p role="alert" class="error">${escapeHtml(refusal.message)}</p>
<p class="code">Reason: <code>${escapeHtml(refusal.code)}</code></p>
${uid ? `<p><a href="${escapeHtml(`/oauth/interaction/${encodeURIComponent(uid)}`)}">Back to sign-in</a></p>` : ''}`,
  );
}

function csrfToken(key: string, uid: string): string {
  return createHmac('sha256', key).update(`csrf\0${uid}`).digest('base64url');
}

function csrfMatches(expected: string, presented: string | null): boolean {
  if (!presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) throw new Error('not a form');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new Error('form too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function renderSignInPage(res: ServerResponse, uid: string, csrf: string, idpName: string | null, error: string | null, status: number): void {
  const action = `/oauth/interaction/${encodeURIComponent(uid)}`;
  page(
    res,
    status,
    'Sign in to csmcp',
    `${error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : ''}
${
  idpName
    ? `<form method="post" action="${escapeHtml(`${action}/idp`)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit" class="idp">${escapeHtml(`Sign in with ${idpName}`)}</button></form>
<p class="or">or with your csmcp password</p>
`
    : ''
}<form method="post" action="${escapeHtml(`${action}/login`)}">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label>Email <input type="email" name="email" autocomplete="username" required autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit" class="primary">Sign in</button>
</form>
<form method="post" action="${escapeHtml(`${action}/abort`)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit" class="secondary">Cancel</button></form>`,
  );
}

async function consentPage(provider: Provider, res: ServerResponse, uid: string, csrf: string, details: Awaited<ReturnType<Provider['interactionDetails']>>): Promise<void> {
  const clientId = String(details.params.client_id);
  // A metadata document client's document may have become unusable since the authorization request:
  // the page still names the client_id (Allow then ends with the provider's invalid_client).
  const client = await provider.Client.find(clientId).catch(() => undefined);
  const name = client?.clientName ?? clientId;
  // A client_id URL: nobody at the company registered this client; it names itself.
  const publisher = metadataDocumentHost(clientId);
  let redirectHost = '';
  try {
    redirectHost = new URL(String(details.params.redirect_uri)).host;
  } catch {
    redirectHost = String(details.params.redirect_uri ?? '');
  }
  const scopes = String(details.params.scope ?? '')
    .split(' ')
    .filter((s) => s in SCOPE_TEXT);
  const action = `/oauth/interaction/${encodeURIComponent(uid)}`;
  page(
    res,
    200,
    'Allow access?',
    `<p><strong class="client">${escapeHtml(name)}</strong> asks to access csmcp as you.</p>
<p>It will return to <strong class="redirect-host">${escapeHtml(redirectHost)}</strong>.</p>
${publisher ? `<p class="unregistered">Not registered by your administrators: this application describes itself in a document published at <strong class="client-host">${escapeHtml(publisher)}</strong>. Allow only if you trust it.</p>\n` : ''}<ul class="scopes">${scopes.map((s) => `<li><code>${escapeHtml(s)}</code>: ${escapeHtml(SCOPE_TEXT[s])}</li>`).join('')}</ul>
<div class="actions">
<form method="post" action="${escapeHtml(`${action}/confirm`)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit" class="primary">Allow</button></form>
<form method="post" action="${escapeHtml(`${action}/abort`)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit" class="secondary">Deny</button></form>
</div>`,
  );
}

/**
 * The pages' one stylesheet, allowed by its hash: no inline style may run besides it, and no script
 * at all. Allow/Sign in stand out from Deny/Cancel so the choice is never ambiguous.
 */
const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:26rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.8rem 0}input[type=email],input[type=password]{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.3rem;font-size:1rem}
.error{color:#a4161a;background:#fde8e8;padding:.6rem;border-radius:4px}.scopes{padding-left:1.2rem}.actions{display:flex;gap:.8rem;margin-top:1.5rem}
form{margin:0}button{font-size:1rem;padding:.55rem 1.2rem;border-radius:4px;cursor:pointer}
button.primary{background:#1f5fd1;color:#fff;border:1px solid #1f5fd1;font-weight:600}button.secondary{background:#fff;color:#1d2330;border:1px solid #9aa1ad;margin-top:.8rem}
.actions button.secondary{margin-top:0}
button.idp{width:100%;background:#1d2330;color:#fff;border:1px solid #1d2330;font-weight:600}.or{color:#5b6270;text-align:center;margin:1.2rem 0 .2rem}
.code{color:#5b6270;font-size:.9rem}a{color:#1f5fd1}`;
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

function page(res: ServerResponse, status: number, title: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', `default-src 'none'; style-src ${STYLE_HASH}; frame-ancestors 'none'; base-uri 'none'`);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`);
}
