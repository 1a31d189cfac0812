// The one API client: typed from the server's OpenAPI document
// (src/api/openapi.json → schema.d.ts by `npm run gen:api`), so a changed API
// breaks `npm run check`, not the user.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

/** The server's error body: `{"error":{"code","message","field"}}`. */
export type ErrorInfo = { code: string; message: string; field?: string | null };

/** A failed call, with the server's code, message and (for 422) field. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly info: ErrorInfo,
    readonly retryAfterSecs: number | null = null,
  ) {
    super(info.message);
  }
  get field(): string | null {
    return this.info.field ?? null;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** The CSRF token of the session, sent as `X-CSRF-Token` on every write. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The session's CSRF token, for requests made outside this client (file
 *  uploads through XMLHttpRequest, for their progress events). */
export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Called whenever the server answers 401 (the session ended). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && csrfToken) {
      request.headers.set('X-CSRF-Token', csrfToken);
    }
    return request;
  },
  onResponse({ request, response }) {
    const isLogin = new URL(request.url).pathname === '/api/v1/auth/login';
    if (response.status === 401 && !isLogin) onUnauthorized?.();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(auth);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a call, or an `ApiFailure` thrown with the server's words. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch {
    throw new ApiFailure(0, {
      code: 'network',
      message: 'The server cannot be reached. Check your connection; this will retry when you try again.',
    });
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  throw failureFrom(response, error);
}

export function failureFrom(response: Response, error: unknown): ApiFailure {
  const retry = response.headers.get('retry-after');
  const body = (error ?? {}) as { error?: ErrorInfo };
  const info: ErrorInfo = body.error ?? {
    code: `http_${response.status}`,
    message: `The server answered ${response.status} ${response.statusText}.`,
  };
  return new ApiFailure(response.status, info, retry ? Number(retry) : null);
}

/** A failure as one sentence for people. */
export function describe(e: unknown): string {
  if (e instanceof ApiFailure) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
