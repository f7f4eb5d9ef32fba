import { useState } from 'preact/hooks';
import { navigate } from '../router';
import { ErrorNotice, Link, Loading, Pager, SecretOnce, Success, formatTime, nextCursorOf, useAction, useApi, useLoad, usePager } from '../ui';

/** An integration as the admin API shows it (IntegrationJson: never a secret). */
export interface Integration {
  readonly client_id: string;
  readonly name: string;
  readonly preset: string;
  readonly redirect_uris: string[];
  readonly scopes: string[];
  readonly access_context: string;
  readonly grant_types: string[];
  readonly token_endpoint_auth_method: string;
  readonly confidential: boolean;
  readonly ip_allow_list: string[];
  readonly enabled: boolean;
  readonly registered_at: string;
  readonly updated_at: string;
  readonly secrets: Array<{ issued_at: string; valid_until: string | null }>;
}

interface Page<T> {
  readonly items: T[];
  readonly next_cursor?: string | null;
}

export const PRESETS = [
  { value: 'chatgpt', label: 'ChatGPT' },
  { value: 'claude', label: 'Claude' },
  { value: 'copilot_studio', label: 'Copilot Studio' },
  { value: 'custom', label: 'Custom' },
] as const;

const presetLabel = (value: string) => PRESETS.find((p) => p.value === value)?.label ?? value;
const lines = (text: string) =>
  text
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean);

export function IntegrationsPage() {
  const api = useApi();
  const pager = usePager('integrations');
  const list = useLoad(() => api.get<Page<Integration>>('/integrations', { limit: 50, cursor: pager.cursor }), `integrations|${pager.cursor ?? ''}`);
  const [created, setCreated] = useState<{ client_id: string; name: string; client_secret: string | null } | null>(null);
  return (
    <>
      <h1>Integrations</h1>
      <p>The OAuth clients of your connectors (ChatGPT, Claude, Copilot Studio, any MCP client). The client ID is the one to paste into the connector.</p>
      {created ? (
        <SecretOnce
          clientId={created.client_id}
          secret={created.client_secret}
          note={
            <p>
              <Link to={`/integrations/${encodeURIComponent(created.client_id)}`}>{created.name}</Link>: add the connector's callback URL there once it shows it.
            </p>
          }
          onDone={() => setCreated(null)}
        />
      ) : (
        <CreateIntegration
          onCreated={(c) => {
            setCreated(c);
            list.reload();
          }}
        />
      )}
      <h2>Registered</h2>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading what="integrations" /> : null}
      {list.data ? (
        list.data.items.length === 0 ? (
          <p>No integration is registered yet.</p>
        ) : (
          <div class="overflow-auto">
            <table class="striped">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Client ID</th>
                  <th scope="col">Preset</th>
                  <th scope="col">Access</th>
                  <th scope="col">Status</th>
                  <th scope="col">Registered</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((i) => (
                  <tr key={i.client_id}>
                    <td>
                      <Link to={`/integrations/${encodeURIComponent(i.client_id)}`}>{i.name}</Link>
                    </td>
                    <td>
                      <code>{i.client_id}</code>
                    </td>
                    <td>{presetLabel(i.preset)}</td>
                    <td>{i.access_context}</td>
                    <td>{i.enabled ? 'enabled' : <mark>disabled</mark>}</td>
                    <td>{formatTime(i.registered_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <Pager label="Integrations" page={pager.page} nextCursor={list.data ? nextCursorOf(list.data) : null} onNext={pager.next} onPrevious={pager.previous} />
    </>
  );
}

function CreateIntegration(props: { onCreated(c: { client_id: string; name: string; client_secret: string | null }): void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [preset, setPreset] = useState('claude');
  const [redirects, setRedirects] = useState('');
  const [access, setAccess] = useState('personal');
  const [auth, setAuth] = useState('');
  const create = useAction(async () => {
    const body: Record<string, unknown> = { name, preset, access_context: access };
    if (lines(redirects).length) body.redirect_uris = lines(redirects);
    if (auth) body.token_endpoint_auth_method = auth;
    return api.post<Integration & { client_secret: string | null }>('/integrations', body);
  });
  const submit = async (event: Event) => {
    event.preventDefault();
    const result = await create.go();
    if (result) {
      setName('');
      setRedirects('');
      props.onCreated({ client_id: result.client_id, name: result.name, client_secret: result.client_secret });
    }
  };
  return (
    <details open>
      <summary>Register an integration</summary>
      <form onSubmit={submit} aria-label="Register an integration">
        <div class="grid">
          <label>
            Name
            <input name="name" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="Claude for the CS team" />
          </label>
          <div>
            <label for="integration-preset">Preset</label>
            <select id="integration-preset" name="preset" value={preset} onChange={(e) => setPreset((e.target as HTMLSelectElement).value)} aria-describedby="preset-help">
              {PRESETS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
            <small id="preset-help">Fills in the connector's known callback URLs (Claude's; Microsoft's Teams callback).</small>
          </div>
        </div>
        <label>
          Redirect URIs (one per line, added to the preset's)
          <textarea name="redirect_uris" rows={2} value={redirects} onInput={(e) => setRedirects((e.target as HTMLTextAreaElement).value)} placeholder="https://chatgpt.com/connector_platform_oauth_redirect" />
        </label>
        <div class="grid">
          <fieldset>
            <legend>Access</legend>
            <label>
              <input type="radio" name="access" value="personal" checked={access === 'personal'} onChange={() => setAccess('personal')} />
              Personal: what the signed-in user may see
            </label>
            <label>
              <input type="radio" name="access" value="shared" checked={access === 'shared'} onChange={() => setAccess('shared')} />
              Shared: the whole organisation
            </label>
          </fieldset>
          <label>
            Client authentication
            <select name="token_endpoint_auth_method" value={auth} onChange={(e) => setAuth((e.target as HTMLSelectElement).value)}>
              <option value="">The preset's default</option>
              <option value="client_secret_basic">client_secret_basic (secret in the Authorization header)</option>
              <option value="client_secret_post">client_secret_post (secret in the body)</option>
              <option value="none">none: a public client without a secret</option>
            </select>
          </label>
        </div>
        <ErrorNotice error={create.error} />
        <button type="submit" aria-busy={create.busy} disabled={create.busy}>
          Register
        </button>
      </form>
    </details>
  );
}

export function IntegrationDetailPage(props: { clientId: string }) {
  const api = useApi();
  const path = `/integrations/${encodeURIComponent(props.clientId)}`;
  const one = useLoad(() => api.get<Integration>(path), path);
  const [rotated, setRotated] = useState<{ client_secret: string; previous_secrets_valid_until: string | null } | null>(null);
  const [immediately, setImmediately] = useState(false);
  const [changes, setChanges] = useState<Array<{ field: string; from: unknown; to: unknown }> | null>(null);
  const rotate = useAction(() => api.post<{ client_id: string; client_secret: string; previous_secrets_valid_until: string | null }>(`${path}/rotate-secret`, { immediately }));
  const toggle = useAction((enable: boolean) => api.post<{ integration: Integration; changed: boolean }>(`${path}/${enable ? 'enable' : 'disable'}`, {}));

  if (one.error) return <ErrorNotice error={one.error} />;
  if (!one.data) return <Loading what="the integration" />;
  const i = one.data;
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <Link to="/integrations">Integrations</Link>
          </li>
          <li>{i.name}</li>
        </ul>
      </nav>
      <h1>{i.name}</h1>
      {rotated ? (
        <SecretOnce
          clientId={i.client_id}
          secret={rotated.client_secret}
          note={
            <p>
              {rotated.previous_secrets_valid_until
                ? `The previous secret keeps working until ${formatTime(rotated.previous_secrets_valid_until)}.`
                : 'The previous secret stopped working.'}
            </p>
          }
          onDone={() => {
            setRotated(null);
            one.reload();
          }}
        />
      ) : null}
      <dl class="facts">
        <dt>Client ID</dt>
        <dd>
          <code data-testid="detail-client-id">{i.client_id}</code>
        </dd>
        <dt>Status</dt>
        <dd>{i.enabled ? 'enabled' : 'disabled: its tokens are refused'}</dd>
        <dt>Preset</dt>
        <dd>{presetLabel(i.preset)}</dd>
        <dt>Access</dt>
        <dd>{i.access_context}</dd>
        <dt>Client authentication</dt>
        <dd>{i.token_endpoint_auth_method}</dd>
        <dt>Scopes</dt>
        <dd>{i.scopes.join(' ') || '—'}</dd>
        <dt>Grant types</dt>
        <dd>{i.grant_types.join(', ')}</dd>
        <dt>Redirect URIs</dt>
        <dd>{i.redirect_uris.length ? <ul>{i.redirect_uris.map((u) => <li key={u}>{u}</li>)}</ul> : 'none yet'}</dd>
        <dt>IP allow-list</dt>
        <dd>{i.ip_allow_list.length ? i.ip_allow_list.join(', ') : 'any address'}</dd>
        <dt>Secrets</dt>
        <dd>
          {i.confidential
            ? i.secrets.map((s) => (
                <div key={s.issued_at}>
                  issued {formatTime(s.issued_at)}
                  {s.valid_until ? `, valid until ${formatTime(s.valid_until)}` : ''}
                </div>
              ))
            : 'none (public client)'}
        </dd>
        <dt>Registered</dt>
        <dd>{formatTime(i.registered_at)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(i.updated_at)}</dd>
      </dl>

      <section aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        <div class="grid">
          {i.confidential ? (
            <form
              onSubmit={async (e) => {
                e.preventDefault();
                const result = await rotate.go();
                if (result) setRotated(result);
              }}
            >
              <fieldset>
                <label>
                  <input type="checkbox" name="immediately" checked={immediately} onChange={(e) => setImmediately((e.target as HTMLInputElement).checked)} />
                  Stop the old secret at once (it leaked); otherwise it works 24 more hours
                </label>
              </fieldset>
              <ErrorNotice error={rotate.error} />
              <button type="submit" class="secondary" aria-busy={rotate.busy} disabled={rotate.busy}>
                Rotate secret
              </button>
            </form>
          ) : null}
          <div>
            <ErrorNotice error={toggle.error} />
            <button
              type="button"
              class={i.enabled ? 'contrast' : ''}
              aria-busy={toggle.busy}
              disabled={toggle.busy}
              onClick={async () => {
                if (await toggle.go(!i.enabled)) one.reload();
              }}
            >
              {i.enabled ? 'Disable' : 'Enable'}
            </button>
            <p>
              <small>{i.enabled ? 'Disabling refuses its tokens at once; enabling lets them in again.' : 'Its tokens are refused while it is disabled.'}</small>
            </p>
          </div>
        </div>
      </section>

      <EditIntegration integration={i} onSaved={(c) => (setChanges(c), one.reload())} />
      {changes ? (
        <Success>
          {changes.length === 0 ? (
            'Nothing changed.'
          ) : (
            <>
              Saved:
              <ul>
                {changes.map((c) => (
                  <li key={c.field}>
                    {c.field}: {JSON.stringify(c.from)} → {JSON.stringify(c.to)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </Success>
      ) : null}
      <p>
        <button type="button" class="outline secondary" onClick={() => navigate('/integrations')}>
          Back to integrations
        </button>
      </p>
    </>
  );
}

function EditIntegration(props: { integration: Integration; onSaved(changes: Array<{ field: string; from: unknown; to: unknown }>): void }) {
  const api = useApi();
  const i = props.integration;
  const [name, setName] = useState(i.name);
  const [redirects, setRedirects] = useState(i.redirect_uris.join('\n'));
  const [scopes, setScopes] = useState(i.scopes.join(' '));
  const [ips, setIps] = useState(i.ip_allow_list.join('\n'));
  const save = useAction(async () => {
    const body: Record<string, unknown> = {};
    if (name !== i.name) body.name = name;
    if (lines(redirects).join('\n') !== i.redirect_uris.join('\n')) body.redirect_uris = lines(redirects);
    if (scopes.trim().split(/\s+/).filter(Boolean).join(' ') !== i.scopes.join(' ')) body.scopes = scopes.trim().split(/\s+/).filter(Boolean);
    if (lines(ips).join('\n') !== i.ip_allow_list.join('\n')) body.ip_allow_list = lines(ips);
    if (Object.keys(body).length === 0) return [];
    return (await api.patch<{ changes: Array<{ field: string; from: unknown; to: unknown }> }>(`/integrations/${encodeURIComponent(i.client_id)}`, body)).changes;
  });
  return (
    <section aria-labelledby="edit-title">
      <h2 id="edit-title">Settings</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const changes = await save.go();
          if (changes) props.onSaved(changes);
        }}
      >
        <label>
          Name
          <input name="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Redirect URIs (one per line)
          <textarea name="redirect_uris" rows={3} value={redirects} onInput={(e) => setRedirects((e.target as HTMLTextAreaElement).value)} />
        </label>
        <div class="grid">
          <label>
            Scopes (space-separated)
            <input name="scopes" value={scopes} onInput={(e) => setScopes((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            IP allow-list (addresses or CIDR ranges, one per line; empty: any)
            <textarea name="ip_allow_list" rows={2} value={ips} onInput={(e) => setIps((e.target as HTMLTextAreaElement).value)} />
          </label>
        </div>
        <ErrorNotice error={save.error} />
        <button type="submit" aria-busy={save.busy} disabled={save.busy}>
          Save settings
        </button>
      </form>
    </section>
  );
}
