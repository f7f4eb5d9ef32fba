/**
 * What the OAuth e2e specs need of a browser without one: a cookie jar that carries the sign-in
 * session across manual redirects, and the forms (action and CSRF token) of csmcp's sign-in and
 * consent pages.
 */

/** A fetch with a cookie jar, redirects left to the caller; `cookie()` is its Cookie header. */
export function cookieJarFetch(): ((url: string, init?: RequestInit) => Promise<Response>) & { cookie(): string } {
  const cookies = new Map<string, string>();
  const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookie() } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return res;
  };
  return Object.assign(go, { cookie });
}

/** The page's POST form whose action matches: its action (HTML-unescaped) and CSRF token. */
export function formOf(html: string, action: RegExp): { action: string; csrf: string } {
  const form = [...html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)].find((m) => action.test(m[1]));
  if (!form) throw new Error(`no form ${action} in:\n${html}`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(form[2])![1];
  return { action: form[1].replace(/&#38;/g, '&'), csrf };
}
