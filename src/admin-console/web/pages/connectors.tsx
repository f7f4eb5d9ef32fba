import { useState } from 'preact/hooks';
import { ConfirmRemoval, ErrorNotice, Link, Loading, Success, formatTime, useAction, useApi, useLoad } from '../ui';

/**
 * Connectors (issue 7): the external MCP servers csmcp calls as a client (support desk, CRM, internal
 * tools), and the brief sources that map their tools into get_account_brief. The admin API never
 * returns a secret: a client secret typed here goes to csmcp once and is only ever "stored".
 */

export const TRANSPORTS = [
  { value: 'auto', label: 'Auto: Streamable HTTP, falling back to legacy SSE' },
  { value: 'streamable_http', label: 'Streamable HTTP' },
  { value: 'sse', label: 'Legacy HTTP+SSE (2024-11-05)' },
] as const;

export const AUTH_KINDS = [
  { value: 'none', label: 'None: the server needs no authentication' },
  { value: 'oauth_dynamic', label: 'OAuth, csmcp registers itself (dynamic registration or client metadata document)' },
  { value: 'oauth_client', label: "OAuth with a client id and secret from the provider's portal" },
] as const;

export const GRANTS = [
  { value: 'authorization_code', label: 'Authorization code: someone signs in at the provider' },
  { value: 'client_credentials', label: 'Client credentials: csmcp as itself, no sign-in' },
] as const;

/** One authorization's state (the organisation's or a user's), never its tokens (GrantJson). */
export interface Grant {
  readonly subject: 'company' | 'user' | string;
  readonly user_email: string | null;
  readonly status: string;
  readonly problem: string | null;
  readonly authorized_at: string | null;
  readonly refreshed_at: string | null;
  readonly expires_at: string | null;
}

/** A connector as the admin API shows it (ConnectorJson: never a secret). */
export interface Connector {
  readonly name: string;
  readonly id: string;
  readonly url: string;
  readonly transport: string;
  readonly auth: string;
  readonly client_id: string | null;
  readonly has_client_secret: boolean;
  readonly grant: string | null;
  readonly scopes: string[];
  readonly authorization_scope: string;
  readonly allowed_hosts: string[];
  readonly company_authorized_at: string | null;
  readonly registered_at: string;
  readonly updated_at: string;
}

export interface ListedConnector extends Connector {
  readonly company_grant: Grant | null;
  readonly user_grants: number;
}

export interface BriefSource {
  readonly id: string;
  readonly label: string;
  readonly connector: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly timeout_ms: number;
  readonly added_at: string;
  readonly added_by: unknown;
}

export const usesOAuth = (c: Pick<Connector, 'auth'>) => c.auth !== 'none';
export const authLabel = (c: Pick<Connector, 'auth' | 'grant'>) => (c.auth === 'oauth_client' ? `oauth_client (${c.grant ?? '—'})` : c.auth);
export const words = (text: string) => text.trim().split(/\s+/).filter(Boolean);
export const lines = (text: string) =>
  text
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean);

/** authorised / not authorised / needs re-authorisation, as a badge (and "not needed" without OAuth). */
export function GrantBadge(props: { auth: string; grant: Grant | null | undefined }) {
  if (props.auth === 'none') return <span class="badge neutral">no authorisation needed</span>;
  const status = props.grant?.status ?? 'not_authorized';
  if (status === 'authorized') return <span class="badge ok">authorised</span>;
  if (status === 'needs_reauthorization')
    return (
      <span class="badge warn" title={props.grant?.problem ?? undefined}>
        needs re-authorisation
      </span>
    );
  if (status === 'not_authorized') return <span class="badge off">not authorised</span>;
  return <span class="badge off">{status.replace(/_/g, ' ')}</span>;
}

/** A value to hand to someone else (the redirect URI), with a copy button. */
export function CopyValue(props: { value: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <span class="copy-value">
      <code data-testid={props.testId}>{props.value}</code>{' '}
      <button type="button" class="outline secondary small" onClick={() => void copy()}>
        Copy {props.label}
      </button>
      {copied === true ? <small role="status"> Copied.</small> : null}
      {copied === false ? <small role="status"> The browser refused to copy: select it and copy by hand.</small> : null}
    </span>
  );
}

/** Where the redirect URI goes, for this kind of connector. */
export function RedirectUriNote(props: { connector: Pick<Connector, 'auth' | 'grant'> }) {
  const c = props.connector;
  if (c.auth === 'oauth_client' && c.grant === 'authorization_code')
    return <small>Add it to the allowed redirect (callback) URLs of the client you created at the provider: sign-ins come back there.</small>;
  if (c.auth === 'oauth_dynamic') return <small>csmcp registers itself with this callback URL; an allow-list at the provider needs it too.</small>;
  return <small>Not used by this connector (no one signs in at the provider).</small>;
}

export function ConnectorsPage() {
  const api = useApi();
  const list = useLoad(() => api.get<{ connectors: ListedConnector[] }>('/connectors'), 'connectors');
  const [registered, setRegistered] = useState<(Connector & { redirect_uri: string }) | null>(null);
  const connectors = list.data?.connectors ?? [];
  return (
    <>
      <h1>Connectors</h1>
      <p>
        External MCP servers csmcp connects to as a client (support desk, CRM, internal tools), so their data can go into account briefs. Every
        address csmcp fetches for them is checked: public addresses only, unless you allow a host here.
      </p>
      {registered ? <Registered connector={registered} onDone={() => setRegistered(null)} /> : null}
      <h2>Registered</h2>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading what="connectors" /> : null}
      {list.data ? (
        connectors.length === 0 ? (
          <p>No connector is registered yet.</p>
        ) : (
          <div class="overflow-auto">
            <table class="striped" data-testid="connectors">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Transport</th>
                  <th scope="col">Authentication</th>
                  <th scope="col">Organisation</th>
                  <th scope="col">Users</th>
                  <th scope="col">Registered</th>
                </tr>
              </thead>
              <tbody>
                {connectors.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <Link to={`/connectors/${encodeURIComponent(c.name)}`}>{c.name}</Link>
                    </td>
                    <td class="url">
                      <code>{c.url}</code>
                    </td>
                    <td>{c.transport}</td>
                    <td>{authLabel(c)}</td>
                    <td>
                      <GrantBadge auth={c.auth} grant={c.company_grant} />
                    </td>
                    <td>{c.authorization_scope === 'user' ? `${c.user_grants} authorised` : 'company-wide'}</td>
                    <td>{formatTime(c.registered_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <RegisterConnector
        open={!list.loading && connectors.length === 0}
        onRegistered={(c) => {
          setRegistered(c);
          list.reload();
        }}
      />
      <BriefSources connectors={connectors} />
    </>
  );
}

/** What to do next after registering: the redirect URI to give the provider, then authorise or test. */
function Registered(props: { connector: Connector & { redirect_uri: string }; onDone(): void }) {
  const c = props.connector;
  const signIn = c.auth === 'oauth_dynamic' || (c.auth === 'oauth_client' && c.grant === 'authorization_code');
  return (
    <article class="registered" aria-labelledby="registered-title">
      <header>
        <h3 id="registered-title">Connector {c.name} registered</h3>
      </header>
      {usesOAuth(c) ? (
        <dl class="facts">
          <dt>Redirect URI</dt>
          <dd>
            <CopyValue value={c.redirect_uri} label="redirect URI" testId="redirect-uri" />
            <br />
            <RedirectUriNote connector={c} />
          </dd>
          <dt>Client secret</dt>
          <dd>{c.auth === 'oauth_client' ? (c.has_client_secret ? 'stored, encrypted (never shown again)' : 'none') : 'not used'}</dd>
        </dl>
      ) : null}
      <p>
        Next:{' '}
        <Link to={`/connectors/${encodeURIComponent(c.name)}`}>
          {usesOAuth(c) ? (signIn ? `authorise ${c.name} (you sign in at the provider)` : `authorise ${c.name} (client credentials)`) : `test the connection to ${c.name}`}
        </Link>
        {c.authorization_scope === 'user' ? ', then each user authorises their own account.' : '.'}
      </p>
      <button type="button" class="outline secondary" onClick={props.onDone}>
        Done
      </button>
    </article>
  );
}

/** The settings form both register and edit use: only the fields the transport and auth need show. */
export interface ConnectorForm {
  url: string;
  transport: string;
  auth: string;
  clientId: string;
  clientSecret: string;
  grant: string;
  scopes: string;
  authorizationScope: string;
  allowedHosts: string;
}

export function formOf(c: Connector | null): ConnectorForm {
  return {
    url: c?.url ?? '',
    transport: c?.transport ?? 'auto',
    auth: c?.auth ?? 'none',
    clientId: c?.client_id ?? '',
    clientSecret: '',
    grant: c?.grant ?? 'authorization_code',
    scopes: c?.scopes.join(' ') ?? '',
    authorizationScope: c?.authorization_scope ?? 'company',
    allowedHosts: c?.allowed_hosts.join('\n') ?? '',
  };
}

export function ConnectorFields(props: { form: ConnectorForm; set(patch: Partial<ConnectorForm>): void; editing: boolean; hasClientSecret?: boolean }) {
  const { form, set } = props;
  const input = (field: keyof ConnectorForm) => (e: Event) => set({ [field]: (e.target as HTMLInputElement).value });
  const oauth = form.auth !== 'none';
  return (
    <>
      <label>
        Server URL
        <input name="url" type="url" required value={form.url} onInput={input('url')} placeholder="https://mcp.example-desk.com/mcp" aria-describedby="url-help" />
        <small id="url-help">Its MCP endpoint: https (plain http only for a host inside your network that you allow below).</small>
      </label>
      <div class="grid">
        <label>
          Transport
          <select name="transport" value={form.transport} onChange={input('transport')}>
            {TRANSPORTS.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Authentication
          <select name="auth" value={form.auth} onChange={input('auth')}>
            {AUTH_KINDS.map((a) => (
              <option key={a.value} value={a.value}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {form.auth === 'oauth_client' ? (
        <fieldset>
          <legend>Client from the provider</legend>
          <div class="grid">
            <label>
              Client ID
              <input name="client_id" required={!props.editing} value={form.clientId} onInput={input('clientId')} autocomplete="off" />
            </label>
            <label>
              {props.editing ? 'New client secret' : 'Client secret'}
              <input
                name="client_secret"
                type="password"
                autocomplete="new-password"
                value={form.clientSecret}
                onInput={input('clientSecret')}
                aria-describedby="secret-help"
              />
              <small id="secret-help">
                {props.editing
                  ? props.hasClientSecret
                    ? 'A secret is stored (encrypted). Leave empty to keep it.'
                    : 'No secret is stored. Leave empty for a public client.'
                  : 'Stored encrypted; never shown again. Leave empty for a public client.'}
              </small>
            </label>
          </div>
          <label>
            Grant
            <select name="grant" value={form.grant} onChange={input('grant')}>
              {GRANTS.map((g) => (
                <option key={g.value} value={g.value}>
                  {g.label}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
      ) : null}
      {oauth ? (
        <div class="grid">
          <label>
            Scopes (space-separated)
            <input name="scopes" value={form.scopes} onInput={input('scopes')} placeholder="empty: what the server asks for" />
          </label>
          <fieldset>
            <legend>Authorization scope</legend>
            <label>
              <input type="radio" name="authorization_scope" value="company" checked={form.authorizationScope === 'company'} onChange={() => set({ authorizationScope: 'company' })} />
              Company-wide: an admin authorises once, for everyone
            </label>
            <label>
              <input type="radio" name="authorization_scope" value="user" checked={form.authorizationScope === 'user'} onChange={() => set({ authorizationScope: 'user' })} />
              User-specific: the admin first, then each user their own account
            </label>
          </fieldset>
        </div>
      ) : null}
      <label>
        Allowed private hosts (one per line: host, host:port or IP)
        <textarea name="allowed_hosts" rows={2} value={form.allowedHosts} onInput={input('allowedHosts')} placeholder="desk.internal:8443" aria-describedby="hosts-help" />
        <small id="hosts-help">Only for a server inside your network: csmcp refuses private, loopback and link-local addresses unless their host is listed here.</small>
      </label>
    </>
  );
}

function RegisterConnector(props: { open: boolean; onRegistered(c: Connector & { redirect_uri: string }): void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [form, setForm] = useState<ConnectorForm>(formOf(null));
  const set = (patch: Partial<ConnectorForm>) => setForm((f) => ({ ...f, ...patch }));
  const register = useAction(async () => {
    const body: Record<string, unknown> = { name: name.trim(), url: form.url.trim(), transport: form.transport, auth: form.auth };
    if (form.auth === 'oauth_client') {
      body.client_id = form.clientId.trim();
      if (form.clientSecret) body.client_secret = form.clientSecret;
      body.grant = form.grant;
    }
    if (form.auth !== 'none') {
      if (words(form.scopes).length) body.scopes = words(form.scopes);
      body.authorization_scope = form.authorizationScope;
    }
    if (lines(form.allowedHosts).length) body.allowed_hosts = lines(form.allowedHosts);
    return api.post<Connector & { redirect_uri: string }>('/connectors', body);
  });
  return (
    <details open={props.open} class="register">
      <summary>Register a connector</summary>
      <form
        aria-label="Register a connector"
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await register.go();
          // The secret leaves the form either way once csmcp has it; on a refusal it stays to correct.
          if (result) {
            setName('');
            setForm(formOf(null));
            props.onRegistered(result);
          }
        }}
      >
        <label>
          Name
          <input name="name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="zendesk" aria-describedby="name-help" />
          <small id="name-help">How csmcp names it: lower-case letters, digits, - and _.</small>
        </label>
        <ConnectorFields form={form} set={set} editing={false} />
        <ErrorNotice error={register.error} />
        <button type="submit" aria-busy={register.busy} disabled={register.busy}>
          Register connector
        </button>
      </form>
    </details>
  );
}

/** Brief sources: a connector tool get_account_brief calls for every account, with templated arguments. */
function BriefSources(props: { connectors: ListedConnector[] }) {
  const api = useApi();
  const list = useLoad(() => api.get<{ brief_sources: BriefSource[] }>('/brief-sources').then((body) => body.brief_sources), 'brief-sources');
  const [removing, setRemoving] = useState<BriefSource | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const remove = useAction((s: BriefSource) => api.delete<{ id: string; removed: true }>(`/brief-sources/${encodeURIComponent(s.id)}`));
  return (
    <section aria-labelledby="sources-title">
      <h2 id="sources-title">Brief sources</h2>
      <p>
        Each source calls a connector tool for every account brief (<code>get_account_brief</code>), its section labelled. Arguments are a JSON
        template: a string may use <code>{'{{company.name}}'}</code>, <code>{'{{company.id}}'}</code>, <code>{'{{company.external_id}}'}</code>…
      </p>
      {done ? <Success>{done}</Success> : null}
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading what="brief sources" /> : null}
      {list.data ? (
        list.data.length === 0 ? (
          <p>No brief source yet: briefs hold csmcp's own account summary only.</p>
        ) : (
          <div class="overflow-auto">
            <table class="striped" data-testid="brief-sources">
              <thead>
                <tr>
                  <th scope="col">Label</th>
                  <th scope="col">Connector</th>
                  <th scope="col">Tool</th>
                  <th scope="col">Arguments</th>
                  <th scope="col">Timeout</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((s) => (
                  <tr key={s.id}>
                    <td>{s.label}</td>
                    <td>
                      <Link to={`/connectors/${encodeURIComponent(s.connector)}`}>{s.connector}</Link>
                    </td>
                    <td>
                      <code>{s.tool}</code>
                    </td>
                    <td>
                      <code>{JSON.stringify(s.args)}</code>
                    </td>
                    <td>{s.timeout_ms} ms</td>
                    <td>
                      <button
                        type="button"
                        class="outline secondary small"
                        onClick={() => {
                          setRemoving(s);
                          setDone(null);
                          remove.setError(null);
                        }}
                      >
                        Remove {s.label}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      {removing ? (
        <ConfirmRemoval
          label={`Remove brief source ${removing.label}`}
          error={remove.error}
          busy={remove.busy}
          onConfirm={async () => {
            if ((await remove.go(removing)) !== undefined) {
              setDone(`Brief source "${removing.label}" removed.`);
              setRemoving(null);
              list.reload();
            }
          }}
          onCancel={() => setRemoving(null)}
        >
          Remove the brief source "{removing.label}"? Account briefs stop calling {removing.connector}'s <code>{removing.tool}</code>.
        </ConfirmRemoval>
      ) : null}
      <AddBriefSource
        connectors={props.connectors}
        onAdded={(s) => {
          setDone(`Brief source "${s.label}" added: it calls ${s.connector}'s ${s.tool} with ${JSON.stringify(s.args)} (timeout ${s.timeout_ms} ms).`);
          list.reload();
        }}
      />
    </section>
  );
}

function AddBriefSource(props: { connectors: ListedConnector[]; onAdded(s: BriefSource): void }) {
  const api = useApi();
  const [connector, setConnector] = useState('');
  const [tool, setTool] = useState('');
  const [label, setLabel] = useState('');
  const [args, setArgs] = useState('{ "company": "{{company.name}}" }');
  const [timeout, setTimeoutText] = useState('');
  const [tools, setTools] = useState<{ connector: string; names: Array<{ name: string; description?: string | null }> } | null>(null);
  const chosen = connector || props.connectors[0]?.name || '';
  const listTools = useAction(async (name: string) => {
    const report = await api.post<{ tools: Array<{ name: string; description?: string | null }> }>(`/connectors/${encodeURIComponent(name)}/test`, {});
    setTools({ connector: name, names: report.tools });
  });
  const add = useAction(async () => {
    let parsed: unknown;
    try {
      parsed = args.trim() === '' ? {} : JSON.parse(args);
    } catch (error) {
      throw new Error(`The arguments are not JSON (${(error as Error).message}): write a JSON object, e.g. { "company": "{{company.name}}" }.`);
    }
    const body: Record<string, unknown> = { connector: chosen, tool: tool.trim(), label: label.trim(), args: parsed };
    if (timeout.trim()) body.timeout = timeout.trim();
    return api.post<BriefSource>('/brief-sources', body);
  });
  if (props.connectors.length === 0) return <p>Register a connector first to add a brief source.</p>;
  const known = tools?.connector === chosen ? tools.names : null;
  return (
    <details class="add-source">
      <summary>Add a brief source</summary>
      <form
        aria-label="Add a brief source"
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await add.go();
          if (result) {
            setTool('');
            setLabel('');
            props.onAdded(result);
          }
        }}
      >
        <div class="grid">
          <label>
            Connector
            <select name="source_connector" value={chosen} onChange={(e) => setConnector((e.target as HTMLSelectElement).value)}>
              {props.connectors.map((c) => (
                <option key={c.id} value={c.name}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <div>
            <label for="source-tool">Tool</label>
            <input id="source-tool" name="source_tool" required list="source-tools" value={tool} onInput={(e) => setTool((e.target as HTMLInputElement).value)} placeholder="search_tickets" />
            <datalist id="source-tools">
              {(known ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.description ?? ''}
                </option>
              ))}
            </datalist>
            <button type="button" class="outline secondary small" aria-busy={listTools.busy} disabled={listTools.busy || !chosen} onClick={() => void listTools.go(chosen)}>
              List {chosen}'s tools
            </button>
            {known ? <small data-testid="source-tools-found"> {known.length ? `${known.length} ${known.length === 1 ? 'tool' : 'tools'}: ${known.map((t) => t.name).join(', ')}` : 'It has no tools.'}</small> : null}
            <ErrorNotice error={listTools.error} />
          </div>
        </div>
        <div class="grid">
          <label>
            Label (the section's title in the brief)
            <input name="source_label" required value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} placeholder="Open tickets" />
          </label>
          <label>
            Timeout
            <input name="source_timeout" value={timeout} onInput={(e) => setTimeoutText((e.target as HTMLInputElement).value)} placeholder="10s (at most 60s)" />
          </label>
        </div>
        <label>
          Arguments (a JSON object template)
          <textarea name="source_args" rows={3} value={args} onInput={(e) => setArgs((e.target as HTMLTextAreaElement).value)} spellcheck={false} />
        </label>
        <ErrorNotice error={add.error} />
        <button type="submit" aria-busy={add.busy} disabled={add.busy}>
          Add brief source
        </button>
      </form>
    </details>
  );
}
