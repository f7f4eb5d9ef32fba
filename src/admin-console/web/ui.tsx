import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf, type AdminApi } from './api';
import { href, onLinkClick } from './router';

export const ApiContext = createContext<AdminApi | null>(null);

export function useApi(): AdminApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('no admin API in context');
  return api;
}

export function Link(props: { to: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' | undefined }) {
  return (
    <a href={href(props.to)} class={props.class} aria-current={props['aria-current']} onClick={(e) => onLinkClick(e, props.to)}>
      {props.children}
    </a>
  );
}

/** An API refusal or any other failure, as its message says. */
export function ErrorNotice(props: { error: unknown; title?: string }) {
  if (props.error === null || props.error === undefined) return null;
  return (
    <div class="notice error" role="alert">
      {props.title ? <strong>{props.title}: </strong> : null}
      {messageOf(props.error)}
    </div>
  );
}

export function Success(props: { children: ComponentChildren }) {
  return (
    <div class="notice success" role="status">
      {props.children}
    </div>
  );
}

/** "Remove X?" with what it means, Confirm removal and Cancel: a removal is never one click. */
export function ConfirmRemoval(props: { label: string; error: unknown; busy: boolean; onConfirm(): void; onCancel(): void; children: ComponentChildren }) {
  return (
    <div class="notice confirm" role="alertdialog" aria-label={props.label}>
      <p>{props.children}</p>
      <ErrorNotice error={props.error} />
      <div class="buttons">
        <button type="button" class="contrast" aria-busy={props.busy} disabled={props.busy} onClick={props.onConfirm}>
          Confirm removal
        </button>
        <button type="button" class="outline secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export interface Loaded<T> {
  readonly data: T | null;
  readonly error: unknown;
  readonly loading: boolean;
  reload(): void;
}

/** Loads when `key` changes (and on reload()); an answer to an older request is dropped. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const request = ++latest.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => request === latest.current && setState({ data, error: null, loading: false }),
      (error: unknown) => request === latest.current && setState({ data: null, error, loading: false }),
    );
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A form action: busy while it runs, its error kept to show. */
export function useAction<A extends unknown[], R>(run: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const go = async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await run(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, go, setError };
}

export function Loading(props: { what: string }) {
  return <p aria-busy="true">Loading {props.what}…</p>;
}

/**
 * A client secret, shown once: where to put it, a copy button, and a button that drops it. It lives in
 * this component's state only; leaving the page drops it too.
 */
export function SecretOnce(props: { clientId: string; secret: string | null; note?: ComponentChildren; onDone(): void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async (label: string, value: string) => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(label);
    } catch {
      setCopied(null);
    }
  };
  return (
    <article class="secret-once" aria-labelledby="secret-once-title">
      <header>
        <h3 id="secret-once-title">{props.secret ? 'Copy the client secret now' : 'Registered'}</h3>
      </header>
      <dl>
        <dt>Client ID</dt>
        <dd>
          <code data-testid="client-id">{props.clientId}</code>{' '}
          <button type="button" class="outline secondary small" onClick={() => copy('client id', props.clientId)}>
            Copy client ID
          </button>
        </dd>
        {props.secret ? (
          <>
            <dt>Client secret</dt>
            <dd>
              <code data-testid="client-secret">{props.secret}</code>{' '}
              <button type="button" class="outline secondary small" onClick={() => copy('client secret', props.secret!)}>
                Copy client secret
              </button>
            </dd>
          </>
        ) : (
          <>
            <dt>Client secret</dt>
            <dd>none: a public client (PKCE only)</dd>
          </>
        )}
      </dl>
      {props.secret ? (
        <p>
          <strong>This is the only time the secret is shown.</strong> csmcp keeps only its hash: paste it into the connector now. If it is lost,
          rotate it.
        </p>
      ) : null}
      {props.note}
      {copied ? <p role="status">Copied the {copied}.</p> : null}
      <button type="button" onClick={props.onDone}>
        Done, hide it
      </button>
    </article>
  );
}

/** "Older" / "Newer" through a cursor-paginated list (the cursors seen are kept to go back). */
export function usePager(resetKey: string) {
  const [cursors, setCursors] = useState<string[]>([]);
  useEffect(() => setCursors([]), [resetKey]);
  const cursor = cursors.length ? cursors[cursors.length - 1] : undefined;
  return {
    cursor,
    page: cursors.length + 1,
    next: (c: string) => setCursors((all) => [...all, c]),
    previous: () => setCursors((all) => all.slice(0, -1)),
  };
}

export function Pager(props: { page: number; nextCursor: string | null | undefined; onNext(cursor: string): void; onPrevious(): void; label: string }) {
  if (props.page === 1 && !props.nextCursor) return null;
  return (
    <nav class="pager" aria-label={`${props.label} pages`}>
      <button type="button" class="secondary" disabled={props.page === 1} onClick={props.onPrevious}>
        Previous page
      </button>
      <span>Page {props.page}</span>
      <button type="button" class="secondary" disabled={!props.nextCursor} onClick={() => props.nextCursor && props.onNext(props.nextCursor)}>
        Next page
      </button>
    </nav>
  );
}

/** The list's next cursor, whichever way the endpoint spells it. */
export function nextCursorOf(page: { next_cursor?: string | null; nextCursor?: string | null }): string | null {
  return page.next_cursor ?? page.nextCursor ?? null;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
}

/** A value of an audit entry or a change: text as it is, the rest as JSON. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
