import "@testing-library/jest-dom/vitest";

import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

import { fakeFetch } from "./fakeGateway";

afterEach(() => cleanup());

// jsdom lacks these; Mantine's components ask for them.
if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;
}
class NoopObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
(globalThis as { ResizeObserver?: unknown }).ResizeObserver ??= NoopObserver;
Element.prototype.scrollIntoView ??= () => undefined;
// jsdom has no font loading API; Mantine's autosizing Textarea listens to it.
if (!("fonts" in document)) {
  Object.defineProperty(document, "fonts", {
    value: { addEventListener: () => undefined, removeEventListener: () => undefined, ready: Promise.resolve() },
  });
}

// openapi-fetch keeps the `fetch` and `Request` it finds when `src/api/client.ts` loads, and Node's
// Request refuses relative URLs: so install, before any test file loads, a Request that resolves
// them and a fetch that asks the fake gateway the test set up last (see fakeGateway.ts).
const NodeRequest = globalThis.Request;
class RelativeRequest extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" && input.startsWith("/") ? new URL(input, "http://localhost") : input, init);
  }
}
globalThis.Request = RelativeRequest;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) =>
  fakeFetch(input instanceof NodeRequest ? input : new RelativeRequest(input, init));
