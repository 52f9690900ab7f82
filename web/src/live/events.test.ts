import { QueryClient } from "@tanstack/react-query";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { keys } from "../api/keys";
import { applyEvent, LiveLink, type LinkStatus, type LiveEvent } from "./events";

function event(type: string, data: Record<string, unknown>, seq = 1): LiveEvent {
  return { id: `e${seq}`, type, source: "test", time: new Date().toISOString(), data, seq, subject: `evt.${type}` };
}

describe("applyEvent", () => {
  let client: QueryClient;
  beforeEach(() => {
    client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity } } });
  });

  it("moves a run's progress in the run and in every runs list without refetching", () => {
    client.setQueryData(keys.run("r1"), { job_id: "r1", progress: 0.1, epochs: [] });
    client.setQueryData(keys.runs({ status: ["running"] }), { items: [{ job_id: "r1", progress: 0.1 }, { job_id: "r2", progress: 0.5 }], total: 2 });
    applyEvent(client, event("workflow.run.progressed.v1", { job_id: "r1", epoch: 1, epochs: 2, fraction: 0.42 }));
    expect(client.getQueryData<{ progress: number }>(keys.run("r1"))?.progress).toBe(0.42);
    const page = client.getQueryData<{ items: { job_id: string; progress: number }[] }>(keys.runs({ status: ["running"] }));
    expect(page?.items.map((r) => r.progress)).toEqual([0.42, 0.5]);
    expect(client.getQueryState(keys.run("r1"))?.isInvalidated).toBe(false);
  });

  it("appends each epoch once, in order, even when an event is replayed", () => {
    client.setQueryData(keys.run("r1"), { job_id: "r1", metrics: {}, epochs: [] });
    applyEvent(client, event("workflow.run.epoch_completed.v1", { job_id: "r1", epoch: 2, epochs: 2, metrics: { val_accuracy: 0.98 }, seconds: 3 }));
    applyEvent(client, event("workflow.run.epoch_completed.v1", { job_id: "r1", epoch: 1, epochs: 2, metrics: { val_accuracy: 0.95 }, seconds: 3 }));
    applyEvent(client, event("workflow.run.epoch_completed.v1", { job_id: "r1", epoch: 2, epochs: 2, metrics: { val_accuracy: 0.98 }, seconds: 3 }));
    const run = client.getQueryData<{ epochs: { epoch: number }[]; metrics: Record<string, number> }>(keys.run("r1"));
    expect(run?.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(run?.metrics.val_accuracy).toBe(0.98);
  });

  it("appends log text that continues the log, skips text it has, and refetches after a hole", () => {
    client.setQueryData(keys.runLogs("r1"), { text: "a\n", offset: 0, next_offset: 2, size: 2, complete: false });
    applyEvent(client, event("workflow.run.logged.v1", { job_id: "r1", offset: 2, text: "bé\n" }));
    let log = client.getQueryData<{ text: string; next_offset: number }>(keys.runLogs("r1"));
    expect(log?.text).toBe("a\nbé\n");
    expect(log?.next_offset).toBe(6); // bytes, not characters
    applyEvent(client, event("workflow.run.logged.v1", { job_id: "r1", offset: 2, text: "bé\n" }));
    log = client.getQueryData(keys.runLogs("r1"));
    expect(log?.text).toBe("a\nbé\n");
    expect(client.getQueryState(keys.runLogs("r1"))?.isInvalidated).toBe(false);
    applyEvent(client, event("workflow.run.logged.v1", { job_id: "r1", offset: 50, text: "later\n" }));
    expect(client.getQueryState(keys.runLogs("r1"))?.isInvalidated).toBe(true);
  });

  it("invalidates what a state change touches, and nothing else", () => {
    for (const key of [keys.run("r1"), keys.runs(), keys.models(), keys.deployments(), keys.deployment("d1"), keys.alerts(), keys.settings]) {
      client.setQueryData(key, {});
    }
    applyEvent(client, event("workflow.run.succeeded.v1", { job_id: "r1" }));
    expect(client.getQueryState(keys.run("r1"))?.isInvalidated).toBe(true);
    expect(client.getQueryState(keys.runs())?.isInvalidated).toBe(true);
    expect(client.getQueryState(keys.models())?.isInvalidated).toBe(true);
    expect(client.getQueryState(keys.deployments())?.isInvalidated).toBe(false);

    applyEvent(client, event("infra.deployment.ready.v1", { deployment_id: "d1" }));
    expect(client.getQueryState(keys.deployment("d1"))?.isInvalidated).toBe(true);
    expect(client.getQueryState(keys.deployments())?.isInvalidated).toBe(true);
    expect(client.getQueryState(keys.alerts())?.isInvalidated).toBe(false);

    applyEvent(client, event("infra.alert.raised.v1", { alert_id: "a1" }));
    expect(client.getQueryState(keys.alerts())?.isInvalidated).toBe(true);
    expect(client.getQueryState(keys.settings)?.isInvalidated).toBe(false);
    applyEvent(client, event("gateway.settings.changed.v1", { group: "llm" }));
    expect(client.getQueryState(keys.settings)?.isInvalidated).toBe(true);
  });
});

/** A stand-in for the browser's WebSocket that the test drives by hand. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((c: { code: number }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  open() {
    this.onopen?.();
  }
  send(frame: object) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  close(code = 1006) {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.({ code });
  }
}

describe("LiveLink", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  function link() {
    const events: number[] = [];
    const statuses: LinkStatus[] = [];
    let stale = 0;
    const live = new LiveLink({
      url: "ws://test/ws/events",
      createSocket: (url) => new FakeSocket(url) as unknown as WebSocket,
      onEvent: (e) => events.push(e.seq),
      onStale: () => (stale += 1),
      onStatus: (s) => statuses.push(s),
    });
    return { live, events, statuses, stale: () => stale };
  }

  it("resumes after the last seq it saw, without gaps or repeats", () => {
    const { live, events, statuses, stale } = link();
    live.start();
    const first = FakeSocket.all[0]!;
    expect(first.url).toBe("ws://test/ws/events");
    first.open();
    expect(stale()).toBe(1); // first connect: refetch what the queries hold
    first.send({ kind: "subscribed", seq: 10 });
    first.send({ kind: "event", ...event("registry.model_version.registered.v1", {}, 11) });
    first.send({ kind: "event", ...event("registry.model_version.registered.v1", {}, 12) });
    first.close(1006);
    expect(statuses.at(-1)).toBe("down");
    vi.advanceTimersByTime(200);
    const second = FakeSocket.all[1]!;
    expect(second.url).toBe("ws://test/ws/events?since=12");
    second.open();
    expect(statuses.at(-1)).toBe("open");
    expect(stale()).toBe(1); // resumed: the replay fills the hole, no refetch needed
    second.send({ kind: "event", ...event("registry.model_version.registered.v1", {}, 12) });
    second.send({ kind: "event", ...event("registry.model_version.registered.v1", {}, 13) });
    expect(events).toEqual([11, 12, 13]);
    live.stop();
  });

  it("resumes from the stream position it was told even before any event", () => {
    const { live } = link();
    live.start();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.send({ kind: "subscribed", seq: 40 });
    FakeSocket.all[0]!.close();
    vi.advanceTimersByTime(200);
    expect(FakeSocket.all[1]!.url).toBe("ws://test/ws/events?since=40");
    live.stop();
  });

  it("refetches everything after a gap or a reset", () => {
    const { live, stale } = link();
    live.start();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.send({ kind: "gap", detail: "too old" });
    FakeSocket.all[0]!.send({ kind: "reset", seq: 3 });
    expect(stale()).toBe(3);
    live.stop();
  });

  it("presumes a silent line dead and reconnects with growing delays", () => {
    const { live, statuses } = link();
    live.start();
    FakeSocket.all[0]!.open();
    vi.advanceTimersByTime(41_000);
    expect(FakeSocket.all[0]!.closed).toBe(true);
    expect(statuses.at(-1)).toBe("down");
    vi.advanceTimersByTime(150);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.close(); // refused again: back off
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.all).toHaveLength(3);
    live.stop();
  });

  it("stops reconnecting when signed out (4401)", () => {
    const { live } = link();
    live.start();
    FakeSocket.all[0]!.close(4401);
    vi.advanceTimersByTime(30_000);
    expect(FakeSocket.all).toHaveLength(1);
    live.stop();
  });
});
