import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { navigate } from '../router';
import { ErrorNotice, Loading, useAction, useApi, useLoad } from '../ui';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const DIMENSIONS = [
  { value: 'user', label: 'user' },
  { value: 'integration', label: 'integration' },
  { value: 'tool', label: 'tool' },
] as const;

interface UsageRow {
  readonly period: string | null;
  readonly user?: { readonly id: string; readonly email: string | null };
  readonly integration?: { readonly id: string | null; readonly name: string | null };
  readonly tool?: string;
  readonly calls: number;
  readonly chargedCalls: number;
  readonly refusedCalls: number;
  readonly failedCalls: number;
  readonly credits: number;
}

interface Usage {
  readonly since: string;
  readonly until: string;
  readonly rows: UsageRow[];
  readonly totals: { readonly calls: number; readonly credits: number };
}

/** Distinguishable colours (Okabe–Ito, then a few more), in order. */
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#7F7F7F', '#8C564B'];

function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

function groupOf(row: UsageRow, by: string): string {
  if (by === 'user') return row.user?.email ?? row.user?.id ?? '(unknown)';
  if (by === 'integration') return row.integration?.name ?? row.integration?.id ?? 'no integration (personal access token)';
  return row.tool ?? '(unknown)';
}

/** Every day from since to until (YYYY-MM-DD), so the chart shows days without use too. */
function daysBetween(since: string, until: string): string[] {
  const days: string[] = [];
  const end = new Date(`${until.slice(0, 10)}T00:00:00Z`).getTime();
  for (let t = new Date(`${since.slice(0, 10)}T00:00:00Z`).getTime(); t <= end && days.length < 400; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export function UsagePage(props: { query: URLSearchParams }) {
  const api = useApi();
  const by = DIMENSIONS.some((d) => d.value === props.query.get('by')) ? props.query.get('by')! : 'user';
  const since = props.query.get('since') || day(-29);
  const until = props.query.get('until') || day(0);
  const params = { by, period: 'day', since, until };
  const usage = useLoad(() => api.get<Usage>('/usage', params), `${by}|${since}|${until}`);
  const download = useAction(async () => {
    const { blob, fileName } = await api.download('/usage', { ...params, format: 'csv' }, 'text/csv');
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName ?? `csmcp-usage-${since}-${until}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  const groups = new Map<string, Map<string, number>>();
  const totals = new Map<string, { calls: number; credits: number; refused: number; failed: number }>();
  for (const row of usage.data?.rows ?? []) {
    const g = groupOf(row, by);
    const perDay = groups.get(g) ?? new Map<string, number>();
    perDay.set(row.period ?? '', (perDay.get(row.period ?? '') ?? 0) + row.credits);
    groups.set(g, perDay);
    const t = totals.get(g) ?? { calls: 0, credits: 0, refused: 0, failed: 0 };
    totals.set(g, { calls: t.calls + row.calls, credits: t.credits + row.credits, refused: t.refused + row.refusedCalls, failed: t.failed + row.failedCalls });
  }
  const days = usage.data ? daysBetween(since, until) : [];

  return (
    <>
      <h1>Usage</h1>
      <p>Credits charged per day, by user, integration or tool. The totals reconcile with the ledger.</p>
      <Controls by={by} since={since} until={until} />
      <ErrorNotice error={usage.error} />
      {usage.loading && !usage.data ? <Loading what="usage" /> : null}
      {usage.data ? (
        <>
          <figure>
            <CreditsChart days={days} groups={groups} by={by} />
            <figcaption>
              Credits per day by {by}, {since} to {until}: {usage.data.totals.credits} credits over {usage.data.totals.calls} calls.
            </figcaption>
          </figure>
          <p>
            <button type="button" class="secondary" aria-busy={download.busy} disabled={download.busy} onClick={() => void download.go()}>
              Download CSV
            </button>
          </p>
          <ErrorNotice error={download.error} />
          <table class="striped">
            <caption>Totals by {by}</caption>
            <thead>
              <tr>
                <th scope="col">{by[0].toUpperCase() + by.slice(1)}</th>
                <th scope="col">Calls</th>
                <th scope="col">Refused</th>
                <th scope="col">Failed</th>
                <th scope="col">Credits</th>
              </tr>
            </thead>
            <tbody>
              {[...totals].map(([g, t]) => (
                <tr key={g}>
                  <td>{g}</td>
                  <td>{t.calls}</td>
                  <td>{t.refused}</td>
                  <td>{t.failed}</td>
                  <td>{t.credits}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td>{usage.data.totals.calls}</td>
                <td></td>
                <td></td>
                <td>{usage.data.totals.credits}</td>
              </tr>
            </tfoot>
          </table>
        </>
      ) : null}
    </>
  );
}

function Controls(props: { by: string; since: string; until: string }) {
  const [since, setSince] = useState(props.since);
  const [until, setUntil] = useState(props.until);
  const go = (by: string, s = since, u = until) => navigate(`/usage?${new URLSearchParams({ by, since: s, until: u })}`);
  return (
    <form
      aria-label="Usage range"
      onSubmit={(e) => {
        e.preventDefault();
        go(props.by);
      }}
    >
      <div class="grid">
        <fieldset>
          <legend>By</legend>
          {DIMENSIONS.map((d) => (
            <label key={d.value}>
              <input type="radio" name="by" value={d.value} checked={props.by === d.value} onChange={() => go(d.value)} />
              {d.label}
            </label>
          ))}
        </fieldset>
        <label>
          From
          <input type="date" name="since" value={since} onInput={(e) => setSince((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          To
          <input type="date" name="until" value={until} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} />
        </label>
        <div class="buttons">
          <button type="submit">Show</button>
        </div>
      </div>
    </form>
  );
}

/** A stacked bar per day, one colour per user / integration / tool (Chart.js on a canvas). */
function CreditsChart(props: { days: string[]; groups: Map<string, Map<string, number>>; by: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: props.days,
        datasets: [...props.groups].map(([group, perDay], i) => ({
          label: group,
          data: props.days.map((d) => perDay.get(d) ?? 0),
          backgroundColor: COLOURS[i % COLOURS.length],
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: 'credits' }, ticks: { precision: 0 } } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    return () => chart.destroy();
  }, [props.days.join(','), JSON.stringify([...props.groups].map(([g, m]) => [g, [...m]]))]);
  const label = `Bar chart of credits per day by ${props.by}: ${[...props.groups.keys()].join(', ') || 'no use in this range'}`;
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={label} data-testid="usage-chart" />
    </div>
  );
}
