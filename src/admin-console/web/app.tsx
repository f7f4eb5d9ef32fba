import { useEffect, useMemo, useState } from 'preact/hooks';
import { AdminApi, ApiError, messageOf } from './api';
import { Auth } from './auth';
import { AuditDetailPage, AuditPage } from './pages/audit';
import { ConnectorDetailPage } from './pages/connector-detail';
import { ConnectorsPage } from './pages/connectors';
import { CreditsPage } from './pages/credits';
import { IntegrationDetailPage, IntegrationsPage } from './pages/integrations';
import { UsagePage } from './pages/usage';
import { UsersPage } from './pages/users';
import { WritePolicyPage } from './pages/write-policy';
import { navigate, useRoute, type Route } from './router';
import type { Settings } from './settings';
import { ApiContext, ErrorNotice, Link, Loading } from './ui';

type Screen =
  | { readonly kind: 'starting' }
  | { readonly kind: 'signed-out'; readonly message: string | null }
  | { readonly kind: 'not-admin'; readonly message: string }
  | { readonly kind: 'admin'; readonly who: string };

const PAGES = [
  { path: '/integrations', title: 'Integrations' },
  { path: '/connectors', title: 'Connectors' },
  { path: '/users', title: 'Users' },
  { path: '/write-policy', title: 'Write policy' },
  { path: '/credits', title: 'Credits' },
  { path: '/audit', title: 'Audit log' },
  { path: '/usage', title: 'Usage' },
] as const;

/** GET /admin/api/me: the admin the token belongs to, as the API verified it. */
interface Me {
  readonly user_id: string;
  readonly email: string | null;
  readonly name: string;
  readonly token: { readonly kind: 'personal_access_token' | 'oauth_access_token' };
}

export function App(props: { settings: Settings }) {
  const { settings } = props;
  const [screen, setScreen] = useState<Screen>({ kind: 'starting' });
  const auth = useMemo(() => new Auth(settings), [settings]);
  const api = useMemo(() => new AdminApi(settings.base, auth, (message) => setScreen({ kind: 'signed-out', message })), [settings, auth]);

  /** Who is signed in, and whether they may use the console: the admin API answers that. */
  const check = async () => {
    try {
      const me = await api.get<Me>('/me');
      const name = me.email ?? me.name;
      setScreen({ kind: 'admin', who: me.token.kind === 'personal_access_token' ? `${name} (personal access token)` : name });
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) setScreen({ kind: 'not-admin', message: error.message });
      else if (error instanceof ApiError && error.code === 'signed_out') return;
      else setScreen({ kind: 'signed-out', message: messageOf(error) });
    }
  };

  useEffect(() => {
    const start = async () => {
      if (location.pathname === new URL(settings.redirectUri).pathname) {
        try {
          const returnTo = await auth.finishSignIn(new URL(location.href));
          // The code and state leave the address bar (and the history) at once.
          navigate(returnTo === '/' ? '/integrations' : returnTo, { replace: true });
        } catch (error) {
          history.replaceState(null, '', `${settings.prefix}`);
          setScreen({ kind: 'signed-out', message: messageOf(error) });
          return;
        }
      }
      if (!auth.session()) return setScreen({ kind: 'signed-out', message: null });
      await check();
    };
    void start();
  }, []);

  const signOut = async () => {
    try {
      await auth.signOut();
      setScreen({ kind: 'signed-out', message: 'You are signed out.' });
    } catch (error) {
      setScreen({ kind: 'signed-out', message: `Signed out here, but csmcp did not confirm the revocation: ${messageOf(error)}` });
    }
  };

  switch (screen.kind) {
    case 'starting':
      return (
        <main class="container">
          <Loading what="the console" />
        </main>
      );
    case 'signed-out':
      return <SignIn settings={settings} auth={auth} message={screen.message} onToken={() => void check()} />;
    case 'not-admin':
      return (
        <main class="container narrow">
          <article>
            <h1>Admins only</h1>
            <p>The csmcp admin console is for admins, and this account is not one.</p>
            <p class="notice error" role="alert">
              {screen.message}
            </p>
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </article>
        </main>
      );
    case 'admin':
      return (
        <ApiContext.Provider value={api}>
          <Shell who={screen.who} onSignOut={() => void signOut()} />
        </ApiContext.Provider>
      );
  }
}

function Shell(props: { who: string; onSignOut(): void }) {
  const route = useRoute();
  useEffect(() => {
    if (route.path === '/' || route.path === '/callback') navigate('/integrations', { replace: true });
  }, [route.path]);
  const section = `/${route.path.split('/')[1] ?? ''}`;
  return (
    <>
      <header class="container top">
        <nav aria-label="Console">
          <ul>
            <li>
              <strong>csmcp admin</strong>
            </li>
          </ul>
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <Link to={p.path} aria-current={section === p.path ? 'page' : undefined}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
          <ul>
            <li class="who" title="Signed in as">
              {props.who}
            </li>
            <li>
              <button type="button" class="outline secondary small" onClick={props.onSignOut}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main class="container">
        <Page route={route} />
      </main>
    </>
  );
}

function Page(props: { route: Route }) {
  const { path, query } = props.route;
  const [, section, param] = path.split('/');
  const title = PAGES.find((p) => p.path === `/${section}`)?.title;
  useEffect(() => {
    document.title = title ? `${title} · csmcp admin` : 'csmcp admin';
  }, [title]);
  switch (section) {
    case 'integrations':
      return param ? <IntegrationDetailPage clientId={decodeURIComponent(param)} /> : <IntegrationsPage />;
    case 'connectors':
      return param ? <ConnectorDetailPage name={decodeURIComponent(param)} /> : <ConnectorsPage />;
    case 'users':
      return <UsersPage />;
    case 'write-policy':
      return <WritePolicyPage />;
    case 'credits':
      return <CreditsPage />;
    case 'audit':
      return param ? <AuditDetailPage seq={param} /> : <AuditPage query={query} />;
    case 'usage':
      return <UsagePage query={query} />;
    case '':
    case 'callback':
      return <Loading what="the console" />;
    default:
      return (
        <article>
          <h1>Not found</h1>
          <p>
            There is no console page at {path}. <Link to="/integrations">Integrations</Link>
          </p>
        </article>
      );
  }
}

function SignIn(props: { settings: Settings; auth: Auth; message: string | null; onToken(): void }) {
  const { settings, auth } = props;
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState('');
  const builtIn = settings.signIn === 'built-in';
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const here = location.pathname.startsWith(settings.prefix) ? location.pathname.slice(settings.prefix.length) || '/' : '/';
      await auth.signIn(here === '/callback' ? '/' : here);
    } catch (e) {
      setError(new Error(`Could not start signing in: ${messageOf(e)}`));
      setBusy(false);
    }
  };
  const useToken = (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) return setError(new Error('Paste a personal access token first.'));
    auth.useToken(value);
    setToken('');
    props.onToken();
  };
  const tokenForm = (
    <form onSubmit={useToken}>
      <label>
        Personal access token with the admin scope
        <input
          type="password"
          name="token"
          autocomplete="off"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby="token-help"
        />
        <small id="token-help">
          Issue one with <code>csmcp tokens issue --user you@example.com --scopes admin --ttl 8h</code>. It is kept in this tab only.
        </small>
      </label>
      <button type="submit" class={builtIn ? 'secondary' : ''}>
        Use this token
      </button>
    </form>
  );
  return (
    <main class="container narrow">
      <article>
        <h1>csmcp admin console</h1>
        {props.message ? (
          <p class="notice" role="status">
            {props.message}
          </p>
        ) : null}
        <ErrorNotice error={error} />
        {builtIn ? (
          <>
            <p>Sign in with your csmcp admin account.</p>
            <button type="button" onClick={() => void start()} aria-busy={busy} disabled={busy}>
              Sign in
            </button>
            <details>
              <summary>Use a personal access token instead</summary>
              {tokenForm}
            </details>
          </>
        ) : (
          <>
            <p>
              This csmcp trusts an external authorization server (<code>OAUTH_ISSUER</code>), so its built-in sign-in is off and the console cannot
              sign you in itself. Paste a personal access token with the <code>admin</code> scope instead.
            </p>
            {tokenForm}
          </>
        )}
      </article>
    </main>
  );
}
