/**
 * A stand-in for the gateway in unit tests: "METHOD /path" routes answer with JSON, and every call
 * (method, path, query, body) is recorded for the test to check.
 *
 * openapi-fetch keeps the `fetch` and `Request` it finds when the client module loads, and Node's
 * Request refuses relative URLs: so import this module first in a test file. It installs, once, a
 * Request that resolves them and a fetch that asks whatever `fakeApi` set last.
 */
type Handler = (request: Request) => Promise<Response>;

const current: { handler: Handler } = {
  handler: async () => new Response(JSON.stringify({ detail: "no fake API installed" }), { status: 599 }),
};

const NodeRequest = globalThis.Request;

class PageRequest extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" && input.startsWith("/") ? new URL(input, "http://localhost") : input, init);
  }
}

globalThis.Request = PageRequest;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) =>
  current.handler(input instanceof NodeRequest ? input : new PageRequest(input, init));

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** A non-200 answer: `reply(422, {detail, errors: [...]})`. */
export function reply(status: number, body: unknown): Reply {
  return new Reply(status, body);
}

type Route = unknown | ((call: Call) => unknown);

export function fakeApi(routes: Record<string, Route>): { calls: Call[] } {
  const calls: Call[] = [];
  current.handler = async (request: Request) => {
    const url = new URL(request.url);
    const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const call: Call = { method: request.method, path: url.pathname, query: url.searchParams, body: text ? JSON.parse(text) : undefined };
    calls.push(call);
    const route = routes[`${request.method} ${url.pathname}`];
    if (route === undefined) {
      return new Response(JSON.stringify({ title: "Not found", detail: `no fake for ${request.method} ${url.pathname}` }), {
        status: 404,
        headers: { "content-type": "application/problem+json" },
      });
    }
    const answer = typeof route === "function" ? (route as (call: Call) => unknown)(call) : route;
    if (answer instanceof Reply) {
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { "content-type": answer.status >= 400 ? "application/problem+json" : "application/json" },
      });
    }
    if (answer === null) return new Response(null, { status: 204 });
    return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { calls };
}

export const ADMIN = { user_id: "u-admin", username: "admin", role: "admin", via: "session", csrf_token: "csrf" };
export const VIEWER = { user_id: "u-vera", username: "vera", role: "viewer", via: "session", csrf_token: "csrf" };
