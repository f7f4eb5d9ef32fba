import { useEffect, useState } from 'preact/hooks';

/**
 * The console's own small router: real paths under /admin (the server answers each with the page),
 * history.pushState between them, filters in the query string (never a secret in a URL).
 */
let prefix = '/admin';
const listeners = new Set<() => void>();

export function setPrefix(value: string): void {
  prefix = value;
}

export interface Route {
  /** The path inside the console: `/`, `/integrations`, `/audit/42` ... */
  readonly path: string;
  readonly query: URLSearchParams;
}

export function currentRoute(): Route {
  const path = location.pathname.startsWith(prefix) ? location.pathname.slice(prefix.length) || '/' : '/';
  return { path: path.replace(/\/+$/, '') || '/', query: new URLSearchParams(location.search) };
}

export function href(path: string): string {
  return `${prefix}${path === '/' ? '' : path}`;
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href(path));
  else history.pushState(null, '', href(path));
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const listener = () => setRoute(currentRoute());
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return route;
}

/** A link inside the console: a real href (open in a new tab works), followed without a reload. */
export function onLinkClick(event: MouseEvent, path: string): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(path);
}
