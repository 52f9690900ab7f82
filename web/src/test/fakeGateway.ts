/**
 * A fake gateway for unit tests: "METHOD /path" routes answer with JSON, and every call (method,
 * path, query, body) is recorded for the test to check.
 *
 * `setup.ts` installs, before each test file loads, a `fetch` that hands every request to
 * `fakeFetch`: that is, to whatever `fakeGateway` set up last.
 */

export type Role = "viewer" | "editor" | "admin";

export interface Call {
  method: string;
  /** As the URL has it, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body (the raw text if it is not JSON); undefined if there is none. */
  body: unknown;
}

/** `body` is sent as JSON with `status` (200 unless given); no body means an empty answer. */
export interface Reply {
  status?: number;
  body?: unknown;
}

export type Answer = Reply | ((call: Call) => Reply);

let handler: (request: Request) => Promise<Response> = async () =>
  new Response(JSON.stringify({ detail: "no fake gateway installed" }), { status: 599 });

/** What the tests' `fetch` does (see setup.ts). */
export function fakeFetch(request: Request): Promise<Response> {
  return handler(request);
}

/**
 * Answer these routes and record every call. `GET /api/auth/me` says "ada" is signed in with
 * `role`, unless the routes answer it themselves; a route nobody answers gets a 404 problem.
 */
export function fakeGateway(routes: Record<string, Answer>, role: Role = "editor"): { calls: Call[] } {
  const calls: Call[] = [];
  const all: Record<string, Answer> = {
    "GET /api/auth/me": { body: { user_id: "u1", username: "ada", role, via: "session", csrf_token: "t" } },
    ...routes,
  };
  handler = async (request: Request) => {
    const url = new URL(request.url);
    const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const call: Call = { method: request.method, path: url.pathname, query: url.searchParams, body };
    calls.push(call);
    const answer = all[`${request.method} ${url.pathname}`];
    const { status = 200, body: payload } = !answer
      ? { status: 404, body: { title: "Not found", status: 404, detail: `no fake for ${request.method} ${url.pathname}` } }
      : typeof answer === "function"
        ? answer(call)
        : answer;
    if (payload === undefined) return new Response(null, { status });
    const type = status >= 400 ? "application/problem+json" : "application/json";
    return new Response(JSON.stringify(payload), { status, headers: { "content-type": type } });
  };
  return { calls };
}
