import { useState } from 'preact/hooks';
import { useTools } from '../tools';
import { ErrorNotice, Link, Loading, Success, useAction, useApi, useLoad } from '../ui';

interface LimitView {
  readonly id: string;
  readonly monthlyLimit: number;
  readonly used: number;
}

/** GET /admin/api/credits. */
interface Credits {
  readonly limited: boolean;
  readonly balance: number | null;
  readonly granted: number;
  readonly charged: number;
  readonly prices: { readonly byKind: Record<string, number>; readonly byTool: Record<string, number> };
  readonly month: string;
  readonly userLimits: ReadonlyArray<LimitView & { readonly email: string | null }>;
  readonly integrationLimits: ReadonlyArray<LimitView & { readonly name: string | null }>;
}

const wholeNumber = (text: string): number | string => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text);

export function CreditsPage() {
  const api = useApi();
  const credits = useLoad(() => api.get<Credits>('/credits'), 'credits');
  const [notice, setNotice] = useState<string | null>(null);
  const done = (message: string) => {
    setNotice(message);
    credits.reload();
  };
  if (credits.error) return <ErrorNotice error={credits.error} />;
  if (!credits.data) return <Loading what="credits" />;
  const c = credits.data;
  return (
    <>
      <h1>Credits</h1>
      {notice ? <Success>{notice}</Success> : null}
      <section class="grid stats" aria-label="Balance">
        <article>
          <header>Balance</header>
          <p class="big" data-testid="balance">
            {c.limited ? c.balance : 'not limited'}
          </p>
          <small>{c.limited ? 'credits left for the organisation' : 'No grant yet: every call is metered, none is refused for credits.'}</small>
        </article>
        <article>
          <header>Granted</header>
          <p class="big">{c.granted}</p>
          <small>in all, adjustments included</small>
        </article>
        <article>
          <header>Charged</header>
          <p class="big">{c.charged}</p>
          <small>
            in all; <Link to="/usage">usage by day</Link>
          </small>
        </article>
      </section>
      <Grant onDone={done} />
      <Limits credits={c} onDone={done} />
      <Prices credits={c} onDone={done} />
    </>
  );
}

function Grant(props: { onDone(message: string): void }) {
  const api = useApi();
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const grant = useAction(() => api.post<{ seq: number; amount: number; balance: number | null }>('/credits/grants', { amount: wholeNumber(amount), ...(reason ? { reason } : {}) }));
  return (
    <section aria-labelledby="grant-title">
      <h2 id="grant-title">Grant credits</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await grant.go();
          if (result) {
            setAmount('');
            setReason('');
            props.onDone(`${result.amount > 0 ? 'Granted' : 'Took away'} ${Math.abs(result.amount)} credits (audit entry #${result.seq}); the balance is now ${result.balance}.`);
          }
        }}
      >
        <div class="grid">
          <label>
            Amount
            <input name="amount" inputMode="numeric" required value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} aria-describedby="amount-help" />
            <small id="amount-help">A whole number; negative takes credits away (an adjustment).</small>
          </label>
          <label>
            Reason
            <input name="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} placeholder="Q3 budget" />
          </label>
        </div>
        <ErrorNotice error={grant.error} />
        <button type="submit" aria-busy={grant.busy} disabled={grant.busy}>
          Grant
        </button>
      </form>
    </section>
  );
}

function Limits(props: { credits: Credits; onDone(message: string): void }) {
  const api = useApi();
  const c = props.credits;
  const [scope, setScope] = useState('user');
  const [who, setWho] = useState('');
  const [limit, setLimit] = useState('');
  const [reason, setReason] = useState('');
  const save = useAction((body: Record<string, unknown>) =>
    api.put<{ scope: string; id: string; email?: string | null; name?: string | null; monthlyLimit: number | null }>('/credits/limits', body),
  );
  const submit = async (body: Record<string, unknown>) => {
    const result = await save.go(body);
    if (result) {
      const label = result.email ?? result.name ?? result.id;
      props.onDone(result.monthlyLimit === null ? `${label} has no monthly limit any more.` : `${label} may use ${result.monthlyLimit} credits a month.`);
      setWho('');
      setLimit('');
      setReason('');
    }
  };
  const rows = [
    ...c.userLimits.map((l) => ({ scope: 'user', label: l.email ?? l.id, ...l })),
    ...c.integrationLimits.map((l) => ({ scope: 'integration', label: l.name ?? l.id, ...l })),
  ];
  return (
    <section aria-labelledby="limits-title">
      <h2 id="limits-title">Monthly limits ({c.month})</h2>
      {rows.length ? (
        <table class="striped">
          <thead>
            <tr>
              <th scope="col">For</th>
              <th scope="col">Who</th>
              <th scope="col">Limit</th>
              <th scope="col">Used this month</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.scope}|${r.id}`}>
                <td>{r.scope}</td>
                <td>{r.label}</td>
                <td>{r.monthlyLimit}</td>
                <td>{r.used}</td>
                <td>
                  <button type="button" class="outline secondary small" onClick={() => void submit({ scope: r.scope, id: r.id, monthlyLimit: null, reason: 'limit removed in the console' })}>
                    Remove limit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No monthly limit is set: only the balance limits spending.</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit({ scope, id: who, monthlyLimit: limit.trim() === '' ? null : wholeNumber(limit), ...(reason ? { reason } : {}) });
        }}
      >
        <div class="grid">
          <label>
            For
            <select name="scope" value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value)}>
              <option value="user">a user</option>
              <option value="integration">an integration</option>
            </select>
          </label>
          <label>
            {scope === 'user' ? 'User (email or id)' : 'Integration (client ID)'}
            <input name="who" required value={who} onInput={(e) => setWho((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Credits a month (empty: no limit)
            <input name="monthly_limit" inputMode="numeric" value={limit} onInput={(e) => setLimit((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Reason for the limit
            <input name="limit_reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          </label>
        </div>
        <ErrorNotice error={save.error} />
        <button type="submit" class="secondary" aria-busy={save.busy} disabled={save.busy}>
          Set limit
        </button>
      </form>
    </section>
  );
}

function Prices(props: { credits: Credits; onDone(message: string): void }) {
  const api = useApi();
  const { byKind, byTool } = props.credits.prices;
  const [kinds, setKinds] = useState<Record<string, string>>(Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, String(v)])));
  const [tool, setTool] = useState('');
  const [toolPrice, setToolPrice] = useState('');
  // The tools with their price now: loaded again whenever the prices change.
  const tools = useTools(`tools|${JSON.stringify(props.credits.prices)}`);
  const save = useAction((body: Record<string, unknown>) => api.put<{ seq: number }>('/credits/prices', body));
  const submit = async (body: Record<string, unknown>, message: string) => {
    const result = await save.go(body);
    if (result) props.onDone(`${message} (audit entry #${result.seq}).`);
  };
  return (
    <section aria-labelledby="prices-title">
      <h2 id="prices-title">Prices</h2>
      <p>Credits per call. A refused or failed call costs nothing.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit({ byKind: Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, wholeNumber(v)])) }, 'Prices by kind saved');
        }}
      >
        <div class="grid">
          {Object.keys(byKind).map((kind) => (
            <label key={kind}>
              {/^[aeiou]/.test(kind) ? 'An' : 'A'} {kind}
              <input name={`price_${kind}`} inputMode="numeric" value={kinds[kind]} onInput={(e) => setKinds({ ...kinds, [kind]: (e.target as HTMLInputElement).value })} />
            </label>
          ))}
        </div>
        <button type="submit" class="secondary" disabled={save.busy}>
          Save prices by kind
        </button>
      </form>
      <h3>Tools with their own price</h3>
      {Object.keys(byTool).length ? (
        <table class="striped">
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">Credits</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(byTool).map(([name, price]) => (
              <tr key={name}>
                <td>
                  <code>{name}</code>
                </td>
                <td>{price}</td>
                <td>
                  <button type="button" class="outline secondary small" onClick={() => void submit({ byTool: { [name]: null } }, `${name} is back on its kind's price`)}>
                    Use the kind's price
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>None: every tool costs its kind's price.</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit({ byTool: { [tool.trim()]: wholeNumber(toolPrice) } }, `${tool.trim()} costs ${toolPrice.trim()} credits`);
        }}
      >
        <div class="grid">
          <label>
            Tool
            <select name="tool" required value={tool} onChange={(e) => setTool((e.target as HTMLSelectElement).value)}>
              <option value="">choose a tool</option>
              {(tools.data?.items ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name} ({t.kind}, now {t.price})
                </option>
              ))}
            </select>
          </label>
          <label>
            Credits a call
            <input name="tool_price" inputMode="numeric" required value={toolPrice} onInput={(e) => setToolPrice((e.target as HTMLInputElement).value)} />
          </label>
        </div>
        <button type="submit" class="secondary" disabled={save.busy}>
          Set the tool's price
        </button>
      </form>
      <ErrorNotice error={save.error} />
      <ErrorNotice error={tools.error} title="The tools could not be listed" />
      {tools.data ? (
        <details>
          <summary>What every tool costs now</summary>
          <table class="striped" data-testid="tool-prices">
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col">Kind</th>
                <th scope="col">Credits a call</th>
                <th scope="col">Price from</th>
              </tr>
            </thead>
            <tbody>
              {tools.data.items.map((t) => (
                <tr key={t.name}>
                  <td>
                    <code>{t.name}</code>
                  </td>
                  <td>{t.kind}</td>
                  <td>{t.price}</td>
                  <td>{t.price_from === 'tool' ? 'its own price' : `the ${t.kind} price`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </section>
  );
}
