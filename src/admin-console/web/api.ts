import type { Auth } from './auth';

/**
 * A refusal of the admin API, as it says it: `{ error: { code, message, details } }` (docs/admin-api.md).
 * The console shows `message` as it is: it says what was wrong and what is allowed.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** No token, or it was refused and could not be refreshed: the console shows the sign-in screen. */
export class SignedOutError extends ApiError {
  constructor(message: string) {
    super(401, 'signed_out', message);
  }
}

type Query = Record<string, string | number | undefined | null>;

/** The admin API, with the console's bearer token: refreshed once when refused as expired. */
export class AdminApi {
  constructor(
    private readonly base: string,
    private readonly auth: Auth,
    private readonly onSignedOut: (message: string) => void,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.json<T>('GET', path, query);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.json<T>('POST', path, {}, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, {}, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, {}, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.json<T>('DELETE', path, {});
  }

  /** A download (the usage report as CSV): its body, and the file name the server gives it. */
  async download(path: string, query: Query, accept: string): Promise<{ blob: Blob; fileName: string | null }> {
    const response = await this.send('GET', path, query, undefined, accept);
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? null;
    return { blob: await response.blob(), fileName };
  }

  private async json<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const response = await this.send(method, path, query, body, 'application/json');
    return (await response.json()) as T;
  }

  private async send(method: string, path: string, query: Query, body: unknown, accept: string): Promise<Response> {
    const url = new URL(`${this.base}/admin/api${path}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
    let response = await this.once(method, url, body, accept, await this.auth.accessToken());
    if (response.status === 401 && this.auth.session()?.kind === 'oauth') {
      const renewed = await this.auth.refresh();
      if (renewed) response = await this.once(method, url, body, accept, renewed.accessToken);
    }
    if (response.ok) return response;
    const error = await errorOf(response);
    if (response.status === 401) {
      this.auth.forget();
      this.onSignedOut(error.message);
      throw new SignedOutError(error.message);
    }
    throw error;
  }

  private async once(method: string, url: URL, body: unknown, accept: string, token: string | null): Promise<Response> {
    if (!token) {
      const message = 'You are signed out. Sign in again.';
      this.onSignedOut(message);
      throw new SignedOutError(message);
    }
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: accept };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    } catch (error) {
      throw new ApiError(0, 'NETWORK', `csmcp did not answer (${(error as Error).message}). Check that it is running and reload the page.`);
    }
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (body.error && typeof body.error.message === 'string')
      return new ApiError(response.status, String(body.error.code ?? response.status), body.error.message, (body.error.details as Record<string, unknown>) ?? null);
  } catch {
    // not JSON: said below
  }
  return new ApiError(response.status, `HTTP_${response.status}`, `csmcp answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 300)}` : ''}`);
}

/** What the error says, for any error the console meets. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
