/**
 * A fake gateway for the runs and workflow tests: "METHOD /path" → JSON answer, every call recorded.
 *
 * openapi-fetch keeps the `fetch` and `Request` it finds when the client is created, and Node's
 * Request refuses relative URLs; so this module, imported before anything that loads the client,
 * installs a Request that resolves them and a fetch that asks whatever `fakeGateway` set last.
 */
type Handler = (request: Request) => Promise<Response>;

const current: { handler: Handler } = {
  handler: async () => new Response(JSON.stringify({ detail: "no fake gateway installed" }), { status: 599 }),
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

export type Answer = { status?: number; body: unknown } | ((call: Call) => { status?: number; body: unknown });

/** Answer these routes (plus who is signed in) and record every call. */
export function fakeGateway(routes: Record<string, Answer>, role: "viewer" | "editor" | "admin" = "editor") {
  const calls: Call[] = [];
  const all: Record<string, Answer> = {
    "GET /api/auth/me": { body: { user_id: "u1", username: "ada", role, via: "session", csrf_token: "t" } },
    ...routes,
  };
  current.handler = async (request: Request) => {
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const call = { method: request.method, path: url.pathname, query: url.searchParams, body };
    calls.push(call);
    const answer = all[`${request.method} ${url.pathname}`];
    if (!answer) {
      return new Response(JSON.stringify({ detail: `no fake for ${request.method} ${url.pathname}` }), {
        status: 404,
        headers: { "content-type": "application/problem+json" },
      });
    }
    const { status = 200, body: payload } = typeof answer === "function" ? answer(call) : answer;
    const type = status >= 400 ? "application/problem+json" : "application/json";
    return new Response(JSON.stringify(payload), { status, headers: { "content-type": type } });
  };
  return { calls };
}
