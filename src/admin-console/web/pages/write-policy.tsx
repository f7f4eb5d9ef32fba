import { useEffect, useState } from 'preact/hooks';
import { ErrorNotice, Loading, Success, useAction, useApi, useLoad } from '../ui';
import type { Integration } from './integrations';

type Switches = Record<string, boolean>;

/** The write policy as GET/PUT /admin/api/write-policy carry it (PolicyConfig). */
interface Policy {
  readonly roles: Record<string, Switches>;
  readonly integrations: Record<string, Switches>;
  readonly allowCtaReopen: boolean;
  readonly confirmWrites: Switches;
}

const ROLE_ORDER = ['admin', 'csm', 'viewer'];

export function WritePolicyPage() {
  const api = useApi();
  const loaded = useLoad(() => api.get<Policy>('/write-policy'), 'write-policy');
  const integrations = useLoad(() => api.get<{ items: Integration[] }>('/integrations', { limit: 200 }), 'write-policy-integrations');
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setPolicy(loaded.data), [loaded.data]);
  const save = useAction(() => api.put<Policy>('/write-policy', clean(policy!)));

  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!policy) return <Loading what="the write policy" />;
  const roles = [...ROLE_ORDER.filter((r) => r in policy.roles), ...Object.keys(policy.roles).filter((r) => !ROLE_ORDER.includes(r))];
  const tools = Object.keys(policy.roles[roles[0]] ?? {});
  const names = new Map((integrations.data?.items ?? []).map((i) => [i.client_id, i.name]));
  const edit = (change: (p: Policy) => Policy) => {
    setSaved(false);
    setPolicy(change(policy));
  };
  const setRole = (role: string, tool: string, on: boolean) => edit((p) => ({ ...p, roles: { ...p.roles, [role]: { ...p.roles[role], [tool]: on } } }));
  const setConfirm = (tool: string, on: boolean) => edit((p) => ({ ...p, confirmWrites: { ...p.confirmWrites, [tool]: on } }));
  const setIntegration = (id: string, tool: string, on: boolean) =>
    edit((p) => ({ ...p, integrations: { ...p.integrations, [id]: { ...p.integrations[id], [tool]: on } } }));
  const unlisted = (integrations.data?.items ?? []).filter((i) => !(i.client_id in policy.integrations));

  return (
    <>
      <h1>Write policy</h1>
      <p>Which MCP write tools each role may use, which writes the user must confirm first, and what each integration switches off.</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await save.go();
          if (result) {
            setPolicy(result);
            setSaved(true);
          }
        }}
      >
        <div class="overflow-auto">
          <table>
            <caption>Write tools by role</caption>
            <thead>
              <tr>
                <th scope="col">Tool</th>
                {roles.map((r) => (
                  <th scope="col" key={r}>
                    {r}
                  </th>
                ))}
                <th scope="col">Confirm first</th>
              </tr>
            </thead>
            <tbody>
              {tools.map((tool) => (
                <tr key={tool}>
                  <th scope="row">
                    <code>{tool}</code>
                  </th>
                  {roles.map((role) => (
                    <td key={role}>
                      <input
                        type="checkbox"
                        aria-label={`${role} may use ${tool}`}
                        checked={policy.roles[role][tool] === true}
                        onChange={(e) => setRole(role, tool, (e.target as HTMLInputElement).checked)}
                      />
                    </td>
                  ))}
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Confirm ${tool} before writing`}
                      checked={policy.confirmWrites[tool] === true}
                      onChange={(e) => setConfirm(tool, (e.target as HTMLInputElement).checked)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <label>
          <input type="checkbox" role="switch" checked={policy.allowCtaReopen} onChange={(e) => edit((p) => ({ ...p, allowCtaReopen: (e.target as HTMLInputElement).checked }))} />
          MCP callers may reopen a closed CTA
        </label>

        <h2>Per integration</h2>
        <p>An integration can switch a tool off for everyone connecting through it; it cannot switch on what a role may not do.</p>
        {Object.keys(policy.integrations).length ? (
          <div class="overflow-auto">
            <table>
              <caption>Tools each integration leaves on</caption>
              <thead>
                <tr>
                  <th scope="col">Tool</th>
                  {Object.keys(policy.integrations).map((id) => (
                    <th scope="col" key={id}>
                      {names.get(id) ?? id}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {tools.map((tool) => (
                  <tr key={tool}>
                    <th scope="row">
                      <code>{tool}</code>
                    </th>
                    {Object.keys(policy.integrations).map((id) => (
                      <td key={id}>
                        <input
                          type="checkbox"
                          aria-label={`${names.get(id) ?? id} leaves ${tool} on`}
                          checked={policy.integrations[id][tool] !== false}
                          onChange={(e) => setIntegration(id, tool, (e.target as HTMLInputElement).checked)}
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>No integration switches anything off.</p>
        )}
        {unlisted.length ? (
          <label>
            Restrict an integration
            <select
              value=""
              onChange={(e) => {
                const id = (e.target as HTMLSelectElement).value;
                if (id) edit((p) => ({ ...p, integrations: { ...p.integrations, [id]: {} } }));
              }}
            >
              <option value="">Choose an integration…</option>
              {unlisted.map((i) => (
                <option key={i.client_id} value={i.client_id}>
                  {i.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <ErrorNotice error={save.error} />
        {saved ? <Success>The write policy is saved and in force.</Success> : null}
        <button type="submit" aria-busy={save.busy} disabled={save.busy}>
          Save the write policy
        </button>
      </form>
    </>
  );
}

/** What is stored: an integration's switches only where they turn a tool off; confirmations only where on. */
function clean(p: Policy): Policy {
  const integrations: Record<string, Switches> = {};
  for (const [id, switches] of Object.entries(p.integrations)) {
    const off = Object.fromEntries(Object.entries(switches).filter(([, on]) => on === false));
    if (Object.keys(off).length) integrations[id] = off;
  }
  const confirmWrites = Object.fromEntries(Object.entries(p.confirmWrites).filter(([, on]) => on === true));
  return { roles: p.roles, integrations, allowCtaReopen: p.allowCtaReopen, confirmWrites };
}
