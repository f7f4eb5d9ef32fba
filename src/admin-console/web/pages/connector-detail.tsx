import { useState } from 'preact/hooks';
import { navigate } from '../router';
import { ConfirmRemoval, ErrorNotice, Link, Loading, Success, formatTime, show, useAction, useApi, useLoad } from '../ui';
import {
  ConnectorFields,
  CopyValue,
  GrantBadge,
  RedirectUriNote,
  authLabel,
  formOf,
  lines,
  usesOAuth,
  words,
  type BriefSource,
  type Connector,
  type ConnectorForm,
  type Grant,
} from './connectors';

/** GET /admin/api/connectors/:name */
interface ConnectorDetail extends Connector {
  readonly redirect_uri: string;
  readonly grants: Grant[];
  readonly brief_sources: BriefSource[];
}

interface Change {
  readonly field: string;
  readonly from: string | string[] | null;
  readonly to: string | string[] | null;
}

/** POST /connectors/:name/test: how csmcp connected, authenticated, and the external tools (never a token). */
interface TestReport {
  readonly connector: string;
  readonly url: string;
  readonly transport: { readonly configured: string; readonly used: string; readonly fell_back: boolean };
  readonly server: { readonly name: string; readonly version: string } | null;
  readonly protocol_version: string | null;
  readonly auth: { readonly kind: string; readonly grant: string | null; readonly subject: string; readonly client: string | null; readonly refreshed_during_test: boolean };
  readonly tools: Array<{ readonly name: string; readonly title: string | null; readonly description: string | null; readonly read_only: boolean | null }>;
}

type Authorized = { authorization_url: string; expires_at: string } | { authorized: true };

export function ConnectorDetailPage(props: { name: string }) {
  const api = useApi();
  const path = `/connectors/${encodeURIComponent(props.name)}`;
  const one = useLoad(() => api.get<ConnectorDetail>(path), path);
  const [saved, setSaved] = useState<{ changes: Change[]; reset: boolean } | null>(null);

  if (one.error)
    return (
      <>
        <Breadcrumb name={props.name} />
        <ErrorNotice error={one.error} />
      </>
    );
  if (!one.data) return <Loading what="the connector" />;
  const c = one.data;
  const company = c.grants.find((g) => g.subject === 'company') ?? null;
  return (
    <>
      <Breadcrumb name={c.name} />
      <h1>{c.name}</h1>
      <dl class="facts">
        <dt>URL</dt>
        <dd>
          <code data-testid="connector-url">{c.url}</code>
        </dd>
        <dt>Transport</dt>
        <dd>{c.transport}</dd>
        <dt>Authentication</dt>
        <dd>{authLabel(c)}</dd>
        {c.auth === 'oauth_client' ? (
          <>
            <dt>Client ID</dt>
            <dd>
              <code>{c.client_id ?? '—'}</code>
            </dd>
            <dt>Client secret</dt>
            <dd>{c.has_client_secret ? 'stored, encrypted' : 'none (public client)'}</dd>
          </>
        ) : null}
        {usesOAuth(c) ? (
          <>
            <dt>Scopes</dt>
            <dd>{c.scopes.length ? c.scopes.join(' ') : 'what the server asks for'}</dd>
            <dt>Authorization scope</dt>
            <dd>{c.authorization_scope === 'user' ? 'user-specific: the admin first, then each user' : 'company-wide: one authorization for everyone'}</dd>
            <dt>Redirect URI</dt>
            <dd>
              <CopyValue value={c.redirect_uri} label="redirect URI" testId="redirect-uri" />
              <br />
              <RedirectUriNote connector={c} />
            </dd>
          </>
        ) : null}
        <dt>Allowed private hosts</dt>
        <dd>{c.allowed_hosts.length ? c.allowed_hosts.join(', ') : 'none: public addresses only'}</dd>
        <dt>Registered</dt>
        <dd>{formatTime(c.registered_at)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(c.updated_at)}</dd>
      </dl>

      {usesOAuth(c) ? <Authorizations connector={c} company={company} onChanged={one.reload} /> : null}
      <TestConnection connector={c} />

      <section aria-labelledby="connector-sources-title">
        <h2 id="connector-sources-title">Brief sources</h2>
        {c.brief_sources.length === 0 ? (
          <p>
            No brief source calls {c.name}. <Link to="/connectors">Add one on the Connectors page.</Link>
          </p>
        ) : (
          <ul>
            {c.brief_sources.map((s) => (
              <li key={s.id}>
                {s.label}: <code>{s.tool}</code> with <code>{JSON.stringify(s.args)}</code>
              </li>
            ))}
          </ul>
        )}
      </section>

      <EditConnector
        key={c.updated_at}
        connector={c}
        onSaved={(changes, reset) => {
          setSaved({ changes, reset });
          one.reload();
        }}
      />
      {saved ? (
        <Success>
          {saved.changes.length === 0 ? (
            'Nothing changed: the connector already has these settings.'
          ) : (
            <>
              Saved:
              <ul>
                {saved.changes.map((ch) => (
                  <li key={ch.field}>
                    {ch.field}: {show(ch.from)} → {show(ch.to)}
                  </li>
                ))}
              </ul>
              {saved.reset ? <strong>Its authorizations were reset: authorise it again.</strong> : null}
            </>
          )}
        </Success>
      ) : null}
      <RemoveConnector connector={c} />
    </>
  );
}

function Breadcrumb(props: { name: string }) {
  return (
    <nav aria-label="Breadcrumb">
      <ul>
        <li>
          <Link to="/connectors">Connectors</Link>
        </li>
        <li>{props.name}</li>
      </ul>
    </nav>
  );
}

/**
 * The organisation's authorization and each user's. "Authorise" opens the provider's sign-in in a new
 * tab (it comes back to csmcp's callback); with client credentials csmcp gets the token itself.
 */
function Authorizations(props: { connector: ConnectorDetail; company: Grant | null; onChanged(): void }) {
  const api = useApi();
  const c = props.connector;
  const [userEmail, setUserEmail] = useState('');
  const [started, setStarted] = useState<{ who: string; url: string; expiresAt: string } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const authorize = useAction(async (email: string | null) => {
    const answer = await api.post<Authorized>(`/connectors/${encodeURIComponent(c.name)}/authorize`, email ? { user_email: email } : {});
    return { email, answer };
  });
  const signIn = c.auth === 'oauth_dynamic' || (c.auth === 'oauth_client' && c.grant === 'authorization_code');
  const start = async (email: string | null) => {
    setStarted(null);
    setDone(null);
    // The tab opens now, while the click still counts as the admin's (a tab opened after the API answers
    // may be blocked as a popup); it gets the provider's URL once csmcp has it, and no way back to this one.
    const tab = signIn ? window.open('', '_blank') : null;
    if (tab) tab.opener = null;
    const result = await authorize.go(email);
    if (!result) return void tab?.close();
    const who = email ?? 'the organisation';
    if ('authorization_url' in result.answer) {
      setStarted({ who, url: result.answer.authorization_url, expiresAt: result.answer.expires_at });
      if (tab) tab.location.href = result.answer.authorization_url;
    } else {
      tab?.close();
      setDone(`${c.name} is authorised for ${who} (client credentials): csmcp got its token.`);
      props.onChanged();
    }
  };
  const users = c.grants.filter((g) => g.subject === 'user');
  return (
    <section aria-labelledby="authorizations-title">
      <h2 id="authorizations-title">Authorizations</h2>
      <div class="overflow-auto">
        <table class="striped" data-testid="grants">
          <thead>
            <tr>
              <th scope="col">For</th>
              <th scope="col">Status</th>
              <th scope="col">Authorised</th>
              <th scope="col">Token expires</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {[props.company, ...users].map((g, i) => (
              <tr key={g?.user_email ?? `company-${i}`}>
                <td>{g?.subject === 'user' ? g.user_email : 'the organisation'}</td>
                <td>
                  <GrantBadge auth={c.auth} grant={g} />
                </td>
                <td>{formatTime(g?.authorized_at)}</td>
                <td>{formatTime(g?.expires_at)}</td>
                <td>{g?.problem ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {done ? <Success>{done}</Success> : null}
      {started ? (
        <div class="notice" role="status">
          The sign-in at the provider for {started.who} opened in a new tab; it comes back to csmcp. If it did not open,{' '}
          <a href={started.url} target="_blank" rel="noopener noreferrer">
            open the authorization page
          </a>{' '}
          before {formatTime(started.expiresAt)}.{' '}
          <button type="button" class="outline secondary small" onClick={props.onChanged}>
            Refresh status
          </button>
        </div>
      ) : null}
      <ErrorNotice error={authorize.error} />
      <div class="buttons">
        <button type="button" aria-busy={authorize.busy} disabled={authorize.busy} onClick={() => void start(null)}>
          {props.company?.status === 'authorized' ? 'Authorise again' : 'Authorise'} for the organisation
        </button>
      </div>
      {c.authorization_scope === 'user' ? (
        <form
          class="inline user-authorize"
          aria-label="Authorise for a user"
          onSubmit={(e) => {
            e.preventDefault();
            void start(userEmail.trim());
          }}
        >
          <input name="user_email" type="email" required placeholder="ann@example.com" aria-label="User email" value={userEmail} onInput={(e) => setUserEmail((e.target as HTMLInputElement).value)} />
          <button type="submit" class="secondary" disabled={authorize.busy}>
            Authorise for this user
          </button>
        </form>
      ) : null}
    </section>
  );
}

/** A real call to the external server: connect, list its tools, say how csmcp authenticated. */
function TestConnection(props: { connector: ConnectorDetail }) {
  const api = useApi();
  const c = props.connector;
  const [userEmail, setUserEmail] = useState('');
  const [report, setReport] = useState<TestReport | null>(null);
  const test = useAction(async () => {
    setReport(null);
    const body = c.authorization_scope === 'user' && userEmail.trim() ? { user_email: userEmail.trim() } : {};
    return api.post<TestReport>(`/connectors/${encodeURIComponent(c.name)}/test`, body);
  });
  const transport = report ? transportText(report.transport) : '';
  return (
    <section aria-labelledby="test-title">
      <h2 id="test-title">Test connection</h2>
      <form
        class="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await test.go();
          if (result) setReport(result);
        }}
      >
        {usesOAuth(c) && c.authorization_scope === 'user' ? (
          <input
            name="test_user_email"
            type="email"
            placeholder="a user's email (empty: the organisation's authorization)"
            aria-label="Test as user"
            value={userEmail}
            onInput={(e) => setUserEmail((e.target as HTMLInputElement).value)}
          />
        ) : null}
        <button type="submit" class="secondary" aria-busy={test.busy} disabled={test.busy}>
          Test connection
        </button>
      </form>
      <ErrorNotice error={test.error} title="The test failed" />
      {report ? (
        <div data-testid="test-report">
          <Success>
            Connected to {report.server ? `${report.server.name} ${report.server.version}` : 'an unnamed server'} over {transport}
            {report.protocol_version ? ` (protocol ${report.protocol_version})` : ''}
            {report.auth.kind !== 'none'
              ? `, authenticated with ${report.auth.kind}${report.auth.grant ? ` (${report.auth.grant})` : ''} for ${report.auth.subject}${report.auth.refreshed_during_test ? ', its token refreshed during this test' : ''}`
              : ', without authentication'}
            : {report.tools.length} {report.tools.length === 1 ? 'tool' : 'tools'}.
          </Success>
          {report.tools.length ? (
            <div class="overflow-auto">
              <table class="striped" data-testid="external-tools">
                <thead>
                  <tr>
                    <th scope="col">Tool</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {report.tools.map((t) => (
                    <tr key={t.name}>
                      <td>
                        <code>{t.name}</code>
                      </td>
                      <td>{t.description ?? t.title ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function transportText(t: TestReport['transport']): string {
  if (t.fell_back) return `${t.used} (auto fell back: the server answered Streamable HTTP with a 4xx)`;
  return `${t.used}${t.configured === 'auto' ? ' (auto)' : ''}`;
}

/** Only the changed fields go to the API; a new URL, auth, client or authorization scope voids the authorizations. */
function EditConnector(props: { connector: ConnectorDetail; onSaved(changes: Change[], reset: boolean): void }) {
  const api = useApi();
  const c = props.connector;
  const initial = formOf(c);
  const [form, setForm] = useState<ConnectorForm>(initial);
  const [clearSecret, setClearSecret] = useState(false);
  const set = (patch: Partial<ConnectorForm>) => setForm((f) => ({ ...f, ...patch }));
  const save = useAction(async () => {
    const body: Record<string, unknown> = {};
    if (form.url.trim() !== c.url) body.url = form.url.trim();
    if (form.transport !== c.transport) body.transport = form.transport;
    if (form.auth !== c.auth) body.auth = form.auth;
    if (form.auth === 'oauth_client') {
      if (form.clientId.trim() !== (c.client_id ?? '')) body.client_id = form.clientId.trim();
      if (form.clientSecret) body.client_secret = form.clientSecret;
      else if (clearSecret) body.client_secret = null;
      if (form.grant !== (c.grant ?? '')) body.grant = form.grant;
    }
    if (form.auth !== 'none') {
      if (words(form.scopes).join(' ') !== c.scopes.join(' ')) body.scopes = words(form.scopes);
      if (form.authorizationScope !== c.authorization_scope) body.authorization_scope = form.authorizationScope;
    }
    if (lines(form.allowedHosts).join('\n') !== c.allowed_hosts.join('\n')) body.allowed_hosts = lines(form.allowedHosts);
    if (Object.keys(body).length === 0) return { changes: [] as Change[], authorizations_reset: false };
    return api.patch<{ connector: Connector; changes: Change[]; authorizations_reset: boolean }>(`/connectors/${encodeURIComponent(c.name)}`, body);
  });
  return (
    <section aria-labelledby="edit-title">
      <h2 id="edit-title">Settings</h2>
      <details>
        <summary>Edit {c.name}</summary>
        <form
          aria-label={`Edit ${c.name}`}
          onSubmit={async (e) => {
            e.preventDefault();
            const result = await save.go();
            if (result) {
              set({ clientSecret: '' });
              setClearSecret(false);
              props.onSaved(result.changes, result.authorizations_reset);
            }
          }}
        >
          <ConnectorFields form={form} set={set} editing={true} hasClientSecret={c.has_client_secret} />
          {form.auth === 'oauth_client' && c.has_client_secret && !form.clientSecret ? (
            <label>
              <input type="checkbox" name="clear_client_secret" checked={clearSecret} onChange={(e) => setClearSecret((e.target as HTMLInputElement).checked)} />
              Forget the stored client secret
            </label>
          ) : null}
          <p>
            <small>A new URL, authentication, client or authorization scope resets its authorizations: authorise it again afterwards.</small>
          </p>
          <ErrorNotice error={save.error} />
          <button type="submit" aria-busy={save.busy} disabled={save.busy}>
            Save settings
          </button>
        </form>
      </details>
    </section>
  );
}

function RemoveConnector(props: { connector: ConnectorDetail }) {
  const api = useApi();
  const c = props.connector;
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(() => api.delete<{ name: string; removed: boolean }>(`/connectors/${encodeURIComponent(c.name)}`));
  return (
    <section aria-labelledby="remove-title">
      <h2 id="remove-title">Remove</h2>
      {confirming ? (
        <ConfirmRemoval
          label={`Remove ${c.name}`}
          error={remove.error}
          busy={remove.busy}
          onConfirm={async () => {
            if (await remove.go()) navigate('/connectors');
          }}
          onCancel={() => setConfirming(false)}
        >
          Remove {c.name}? csmcp forgets its client secret and every token{c.brief_sources.length ? `; its ${c.brief_sources.length} brief source(s) stay and show an error in briefs until you remove them` : ''}. Its
          history stays in the event log.
        </ConfirmRemoval>
      ) : (
        <button type="button" class="outline contrast" onClick={() => setConfirming(true)}>
          Remove {c.name}…
        </button>
      )}
    </section>
  );
}
