import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { navigate } from '../router';
import { ErrorNotice, Link, Loading, Pager, formatTime, nextCursorOf, show, useAction, useApi, useLoad, usePager } from '../ui';
import { useTools } from '../tools';
import type { Integration } from './integrations';

interface Actor {
  readonly type: string;
  readonly id: string;
  readonly email: string | null;
}

interface Change {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** An audit entry as GET /admin/api/audit gives it; `entry` is the recorded body, by type. */
interface AuditRecord {
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  readonly actor: Actor;
  readonly entry: Record<string, unknown>;
  readonly hash: string;
  readonly prevHash?: string;
}

/** The filters, as the URL's query string and the API's parameters name them. */
const FILTERS = ['user', 'integration', 'tool', 'entity', 'session', 'outcome', 'since', 'until'] as const;
const OUTCOMES = ['ok', 'refused', 'failed'] as const;

const TYPE_LABELS: Record<string, string> = {
  ToolCallRecorded: 'tool call',
  CreditsGranted: 'credits granted',
  CreditLimitSet: 'monthly limit set',
  CreditPricesSet: 'prices set',
  WriteReverted: 'writes reverted',
};

function who(actor: Actor | undefined): string {
  if (!actor) return '—';
  if (actor.email) return actor.email;
  return actor.type === 'system' ? 'operator (CLI)' : `${actor.type} ${actor.id}`;
}

function what(r: AuditRecord): string {
  const e = r.entry;
  switch (r.type) {
    case 'ToolCallRecorded':
      return String(e.tool ?? '');
    case 'CreditsGranted':
      return `credits ${Number(e.amount) >= 0 ? '+' : ''}${show(e.amount)}`;
    case 'CreditLimitSet':
      return `limit ${show(e.scope)} ${show(e.id)}: ${e.monthlyLimit === null ? 'none' : show(e.monthlyLimit)}`;
    default:
      return TYPE_LABELS[r.type] ?? r.type;
  }
}

function subjectOf(e: Record<string, unknown>): string {
  const s = e.subject as { type?: string; id?: string } | null | undefined;
  return s ? `${s.type} ${s.id}` : '';
}

export function AuditPage(props: { query: URLSearchParams }) {
  const api = useApi();
  const filters = Object.fromEntries(FILTERS.map((f) => [f, props.query.get(f) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const key = FILTERS.map((f) => filters[f]).join('|');
  const pager = usePager(key);
  const list = useLoad(() => api.get<{ items: AuditRecord[]; nextCursor?: string | null }>('/audit', { ...filters, limit: 25, cursor: pager.cursor }), `${key}|${pager.cursor ?? ''}`);
  const integrations = useLoad(() => api.get<{ items: Integration[] }>('/integrations', { limit: 200 }), 'audit-integrations');
  const names = new Map((integrations.data?.items ?? []).map((i) => [i.client_id, i.name]));
  // The tool filter offers csmcp's tools (any name can still be typed).
  const tools = useTools();
  return (
    <>
      <h1>Audit log</h1>
      <p>Every MCP tool call and every credit change, newest first. Open an entry to see what it changed.</p>
      <Filters initial={filters} integrations={integrations.data?.items ?? []} tools={(tools.data?.items ?? []).map((t) => t.name)} />
      <Verify />
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading what="the audit log" /> : null}
      {list.data ? (
        list.data.items.length === 0 ? (
          <p role="status">No entry matches these filters.</p>
        ) : (
          <div class="overflow-auto">
            <table class="striped audit">
              <caption class="visually-hidden">Audit entries</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">Who</th>
                  <th scope="col">Integration</th>
                  <th scope="col">What</th>
                  <th scope="col">Record</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Credits</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((r) => (
                  <tr key={r.seq}>
                    <td>
                      <Link to={`/audit/${r.seq}`}>#{r.seq}</Link>
                    </td>
                    <td>{formatTime(r.at)}</td>
                    <td>{who(r.actor)}</td>
                    <td>{r.entry.integrationId ? (r.entry.integrationName as string) ?? names.get(r.entry.integrationId as string) ?? (r.entry.integrationId as string) : '—'}</td>
                    <td>
                      <Link to={`/audit/${r.seq}`}>{what(r)}</Link>
                    </td>
                    <td>{subjectOf(r.entry)}</td>
                    <td>{r.entry.outcome ? <span class={`outcome ${String(r.entry.outcome)}`}>{String(r.entry.outcome)}</span> : '—'}</td>
                    <td>{r.type === 'ToolCallRecorded' ? show(r.entry.credits) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <Pager label="Audit log" page={pager.page} nextCursor={list.data ? nextCursorOf(list.data) : null} onNext={pager.next} onPrevious={pager.previous} />
    </>
  );
}

function Filters(props: { initial: Record<string, string>; integrations: Integration[]; tools: string[] }) {
  const [f, setF] = useState(props.initial);
  const set = (name: string) => (e: Event) => setF({ ...f, [name]: (e.target as HTMLInputElement).value });
  const apply = (values: Record<string, string>) => {
    const q = new URLSearchParams(Object.entries(values).filter(([, v]) => v.trim() !== ''));
    navigate(`/audit${q.size ? `?${q}` : ''}`);
  };
  return (
    <form
      class="filters"
      aria-label="Filter the audit log"
      onSubmit={(e) => {
        e.preventDefault();
        apply(f);
      }}
    >
      <div class="grid">
        <label>
          User (email or id)
          <input name="user" value={f.user} onInput={set('user')} />
        </label>
        <label>
          Integration
          <select name="integration" value={f.integration} onChange={set('integration')}>
            <option value="">any</option>
            {props.integrations.map((i) => (
              <option key={i.client_id} value={i.client_id}>
                {i.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tool
          <input name="tool" list="audit-tools" value={f.tool} onInput={set('tool')} />
          <datalist id="audit-tools">
            {props.tools.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Record id
          <input name="entity" value={f.entity} onInput={set('entity')} />
        </label>
        <label>
          MCP session
          <input name="session" value={f.session} onInput={set('session')} />
        </label>
      </div>
      <div class="grid">
        <label>
          Outcome
          <select name="outcome" value={f.outcome} onChange={set('outcome')}>
            <option value="">any</option>
            {OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" name="since" value={f.since} onInput={set('since')} />
        </label>
        <label>
          To
          <input type="date" name="until" value={f.until} onInput={set('until')} />
        </label>
        <div class="buttons">
          <button type="submit">Filter</button>
          <button
            type="button"
            class="outline secondary"
            onClick={() => {
              const empty = Object.fromEntries(FILTERS.map((k) => [k, '']));
              setF(empty);
              apply(empty);
            }}
          >
            Clear
          </button>
        </div>
      </div>
    </form>
  );
}

/** `csmcp audit verify` from the console: the whole chain checked, the first break named. */
function Verify() {
  const api = useApi();
  const [report, setReport] = useState<Record<string, unknown> | null>(null);
  const verify = useAction(() => api.get<Record<string, unknown>>('/audit/verify'));
  return (
    <details class="verify">
      <summary>Verify the hash chain</summary>
      <button
        type="button"
        class="secondary"
        aria-busy={verify.busy}
        disabled={verify.busy}
        onClick={async () => {
          const r = await verify.go();
          if (r) setReport(r);
        }}
      >
        Verify now
      </button>
      <ErrorNotice error={verify.error} />
      {report ? (
        <p role="status" class={report.ok ? 'notice success' : 'notice error'}>
          {report.ok ? 'The chain verifies: no entry was changed, removed or reordered.' : `The chain is broken: ${JSON.stringify(report)}`}
        </p>
      ) : null}
    </details>
  );
}

export function AuditDetailPage(props: { seq: string }) {
  const api = useApi();
  const one = useLoad(() => api.get<AuditRecord>(`/audit/${encodeURIComponent(props.seq)}`), props.seq);
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <Link to="/audit">Audit log</Link>
          </li>
          <li>Entry #{props.seq}</li>
        </ul>
      </nav>
      <ErrorNotice error={one.error} />
      {one.data ? <AuditDetail key={one.data.seq} record={one.data} /> : one.error ? null : <Loading what="the entry" />}
      <p>
        <button type="button" class="outline secondary" onClick={() => history.back()}>
          Back
        </button>
      </p>
    </>
  );
}

function AuditDetail(props: { record: AuditRecord }) {
  const r = props.record;
  const e = r.entry;
  const changes = (Array.isArray(e.changes) ? e.changes : []) as Change[];
  const events = (Array.isArray(e.events) ? e.events : []) as Array<{ stream: string; id: string; type: string }>;
  const facts: Array<[string, unknown]> =
    r.type === 'ToolCallRecorded'
      ? [
          ['Tool', e.tool],
          ['Outcome', e.code ? `${show(e.outcome)} (${show(e.code)})` : e.outcome],
          ['Message', e.message],
          ['Credits charged', e.credits],
          ['Who', who(r.actor)],
          ['Integration', e.integrationName ?? e.integrationId],
          ['Access', e.accessContext],
          ['Record', subjectOf(e) || null],
          ['Company', e.companyId],
          ['Session', e.sessionId],
          ['Request', e.requestId],
          ['Source IP', e.sourceIp],
          ['Duration', typeof e.durationMs === 'number' ? `${e.durationMs} ms` : null],
          ['Retry answered with the first result', e.replayed ? 'yes' : null],
        ]
      : [
          ['Who', who((e.by as Actor | undefined) ?? r.actor)],
          ...Object.entries(e).filter(([k]) => !['at', 'by', 'changes', 'events'].includes(k)) as Array<[string, unknown]>,
        ];
  return (
    <>
      <h1>
        #{r.seq}: {r.type === 'ToolCallRecorded' ? String(e.tool) : TYPE_LABELS[r.type] ?? r.type}
      </h1>
      <p>{formatTime(r.at)}</p>
      <dl class="facts">
        {facts
          .filter(([, v]) => v !== null && v !== undefined && v !== '')
          .map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd>{show(v)}</dd>
            </Fragment>
          ))}
      </dl>
      {typeof e.sessionId === 'string' && e.sessionId !== '' ? (
        <p>
          <Link to={`/audit?session=${encodeURIComponent(e.sessionId)}`}>Every entry of this MCP session</Link>
        </p>
      ) : null}
      {r.type === 'WriteReverted' && Array.isArray(e.revertedSeqs) ? (
        <p>
          Undid{' '}
          {(e.revertedSeqs as number[]).map((seq, i) => (
            <Fragment key={seq}>
              {i ? ', ' : ''}
              <Link to={`/audit/${seq}`}>entry #{seq}</Link>
            </Fragment>
          ))}
          .
        </p>
      ) : null}
      {revertible(r) ? <Revert record={r} /> : null}
      <section aria-labelledby="changes-title">
        <h2 id="changes-title">Changes</h2>
        {changes.length ? (
          <table class="changes">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Old value</th>
                <th scope="col" aria-hidden="true"></th>
                <th scope="col">New value</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((c) => (
                <tr key={c.field}>
                  <th scope="row">{c.field}</th>
                  <td>
                    <del>{show(c.from)}</del>
                  </td>
                  <td aria-hidden="true">→</td>
                  <td>
                    <ins>{show(c.to)}</ins>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>{events.length ? 'A new record: every field is in its arguments below.' : 'Nothing was changed.'}</p>
        )}
      </section>
      {events.length ? (
        <section aria-labelledby="events-title">
          <h2 id="events-title">Events written</h2>
          <ul>
            {events.map((ev) => (
              <li key={ev.id}>
                <code>{ev.type}</code> in <code>{ev.stream}</code>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {e.args !== undefined ? (
        <section aria-labelledby="args-title">
          <h2 id="args-title">Arguments</h2>
          <pre>
            <code>{JSON.stringify(e.args, null, 2)}</code>
          </pre>
        </section>
      ) : null}
      <details>
        <summary>Place in the hash chain</summary>
        <dl class="facts">
          <dt>Hash</dt>
          <dd>
            <code>{r.hash}</code>
          </dd>
          {r.prevHash ? (
            <>
              <dt>Previous hash</dt>
              <dd>
                <code>{r.prevHash}</code>
              </dd>
            </>
          ) : null}
        </dl>
      </details>
    </>
  );
}

/** What POST …/revert answers for one record (RevertService's outcome). */
interface RevertOutcome {
  readonly seqs: number[];
  readonly stream: string;
  readonly reverted: boolean;
  readonly revertSeq?: number;
  readonly changes?: Change[];
  readonly reason?: string;
}

interface SessionRevert {
  readonly sessionId: string;
  readonly reverted: number;
  readonly refused: number;
  readonly outcomes: RevertOutcome[];
}

/** A successful write that wrote something: the only kind of entry a revert can undo. */
function revertible(r: AuditRecord): boolean {
  const e = r.entry;
  return r.type === 'ToolCallRecorded' && e.kind === 'write' && e.outcome === 'ok' && !e.replayed && Array.isArray(e.events) && e.events.length > 0;
}

/**
 * "Revert this write" (and, for a write made in an MCP session, "Revert the whole session"): a reason,
 * then a confirm step that says what will happen, then the API's outcome: the revert's entry and each
 * field put back, or the refusal as the API words it (changed since, reverted already…).
 */
function Revert(props: { record: AuditRecord }) {
  const api = useApi();
  const r = props.record;
  const sessionId = typeof r.entry.sessionId === 'string' && r.entry.sessionId !== '' ? r.entry.sessionId : null;
  const [scope, setScope] = useState<'entry' | 'session' | null>(null);
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<{ scope: 'entry'; outcome: RevertOutcome } | { scope: 'session'; answer: SessionRevert } | null>(null);
  const revert = useAction(async (what: 'entry' | 'session', why: string) => {
    if (what === 'entry') return { scope: 'entry' as const, outcome: await api.post<RevertOutcome>(`/audit/${r.seq}/revert`, { reason: why }) };
    return { scope: 'session' as const, answer: await api.post<SessionRevert>(`/sessions/${encodeURIComponent(sessionId!)}/revert`, { reason: why }) };
  });
  const start = (what: 'entry' | 'session') => {
    setScope(what);
    setConfirming(false);
    setDone(null);
    revert.setError(null);
  };
  const cancel = () => {
    setScope(null);
    setConfirming(false);
  };
  const what = scope === 'session' ? `every write of MCP session ${sessionId}` : `entry #${r.seq} (${show(r.entry.tool)})`;
  return (
    <section aria-labelledby="revert-title" class="revert">
      <h2 id="revert-title">Revert</h2>
      <p>
        Undo with compensating events: changed fields go back to their values before, a created CTA is closed as invalid, a created success plan
        cancelled. Nothing is deleted, and a record someone changed since is left alone.
      </p>
      {scope === null ? (
        <div class="buttons">
          <button type="button" class="secondary" onClick={() => start('entry')}>
            Revert this write
          </button>
          {sessionId ? (
            <button type="button" class="outline secondary" onClick={() => start('session')}>
              Revert the whole session
            </button>
          ) : null}
        </div>
      ) : (
        <form
          aria-label={scope === 'session' ? 'Revert the whole session' : 'Revert this write'}
          onSubmit={async (event) => {
            event.preventDefault();
            if (!confirming) return setConfirming(true);
            const result = await revert.go(scope, reason);
            // Refused: the reason stays on screen, and the form goes back a step (nothing was written).
            setConfirming(false);
            if (result) {
              setDone(result);
              setScope(null);
              setReason('');
            }
          }}
        >
          <label>
            Reason (kept in the audit log)
            <input name="revert_reason" required maxLength={500} value={reason} disabled={confirming} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          </label>
          {confirming ? (
            <p class="notice" role="status">
              Revert {what}? This writes new events in your name and cannot itself be undone here.
            </p>
          ) : null}
          <ErrorNotice error={revert.error} />
          <div class="buttons">
            <button type="submit" aria-busy={revert.busy} disabled={revert.busy}>
              {confirming ? 'Confirm revert' : scope === 'session' ? 'Revert the session…' : 'Revert…'}
            </button>
            <button type="button" class="outline secondary" onClick={cancel}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {done?.scope === 'entry' ? <RevertedOne outcome={done.outcome} /> : null}
      {done?.scope === 'session' ? <RevertedSession answer={done.answer} /> : null}
    </section>
  );
}

function changeText(c: Change): string {
  return `${c.field}: ${show(c.from)} → ${show(c.to)}`;
}

function RevertedOne(props: { outcome: RevertOutcome }) {
  const o = props.outcome;
  return (
    <div class="notice success" role="status">
      Reverted: audit entry <Link to={`/audit/${o.revertSeq}`}>#{o.revertSeq}</Link> put back {o.stream}.
      <ul>
        {(o.changes ?? []).map((c) => (
          <li key={c.field}>{changeText(c)}</li>
        ))}
      </ul>
    </div>
  );
}

function RevertedSession(props: { answer: SessionRevert }) {
  const a = props.answer;
  return (
    <div role="status">
      <p class={a.refused ? 'notice error' : 'notice success'}>
        Session {a.sessionId}: {a.reverted} record{a.reverted === 1 ? '' : 's'} put back, {a.refused} refused.
      </p>
      <table class="striped revert-outcomes">
        <thead>
          <tr>
            <th scope="col">Record</th>
            <th scope="col">Entries</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {a.outcomes.map((o) => (
            <tr key={o.stream}>
              <td>{o.stream}</td>
              <td>
                {o.seqs.map((seq, i) => (
                  <Fragment key={seq}>
                    {i ? ', ' : ''}
                    <Link to={`/audit/${seq}`}>#{seq}</Link>
                  </Fragment>
                ))}
              </td>
              <td>
                {o.reverted ? (
                  <>
                    reverted by <Link to={`/audit/${o.revertSeq}`}>#{o.revertSeq}</Link>: {(o.changes ?? []).map(changeText).join('; ')}
                  </>
                ) : (
                  <>refused: {o.reason}</>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
