/**
 * The typed API client. `schema.ts` is generated from the gateway's OpenAPI document
 * (`npm run generate`); a test fails when it drifts from the routes.
 */
import createClient, { type Middleware } from "openapi-fetch";

import { ApiError, isProblem } from "./problem";
import type { paths } from "./schema";

let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

/** The session's CSRF token, sent as X-CSRF-Token on every unsafe request. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the gateway says the session is gone (401), so the app can ask to sign in again. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !["GET", "HEAD", "OPTIONS"].includes(request.method)) {
      request.headers.set("X-CSRF-Token", csrfToken);
    }
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith("/api/auth/login")) {
      unauthorizedListeners.forEach((listener) => listener());
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or an ApiError carrying the problem's detail and field errors. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (error) {
    throw new ApiError(0, undefined, `The platform cannot be reached (${String(error)}). Is it running?`);
  }
  const { data, error, response } = result;
  if (!response.ok) {
    const problem = isProblem(error) ? error : undefined;
    throw new ApiError(response.status, problem, `${response.status} ${response.statusText}`);
  }
  return data as T;
}
