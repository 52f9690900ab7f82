/**
 * The one place live events reach the UI: a WebSocket to /ws/events that resumes from the last
 * `seq` it saw, and `applyEvent`, which turns each event into cache updates or invalidations.
 * Pages only read queries; none of them polls.
 */
import type { QueryClient } from "@tanstack/react-query";

import { keys } from "../api/keys";

export interface LiveEvent {
  id: string;
  type: string;
  source: string;
  time: string;
  correlation_id?: string | null;
  causation_id?: string | null;
  actor?: { id?: string; name?: string; username?: string; role?: string } | null;
  data: Record<string, unknown>;
  seq: number;
  subject: string;
}

export type Frame =
  | ({ kind: "event" } & LiveEvent)
  | { kind: "heartbeat"; seq?: number }
  | { kind: "subscribed"; topics?: string[]; seq?: number }
  | { kind: "gap"; detail?: string }
  | { kind: "reset"; detail?: string; seq?: number }
  | { kind: "pong" }
  | { kind: "error"; detail?: string };

/** The event's type without its version: "workflow.run.progressed". */
export function eventName(type: string): string {
  return type.replace(/\.v\d+$/, "");
}

interface RunLike {
  job_id: string;
  progress?: number;
  status?: string;
  metrics?: Record<string, number>;
  epochs?: { epoch: number; metrics: Record<string, number>; seconds: number }[];
}

interface LogLike {
  text: string;
  offset: number;
  next_offset: number;
  size: number;
  complete: boolean;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Bring the cache up to date with one event. */
export function applyEvent(client: QueryClient, event: LiveEvent): void {
  const name = eventName(event.type);
  const data = event.data;
  const [service, aggregate] = name.split(".");

  if (service === "workflow" && aggregate === "run") {
    const jobId = str(data.job_id);
    if (!jobId) return;
    if (name === "workflow.run.progressed") {
      const progress = typeof data.fraction === "number" ? data.fraction : undefined;
      const patch = (run: RunLike): RunLike => ({ ...run, progress: progress ?? run.progress });
      client.setQueryData<RunLike>(keys.run(jobId), (run) => (run ? patch(run) : run));
      client.setQueriesData<{ items: RunLike[] }>({ queryKey: ["runs"] }, (page) =>
        page?.items
          ? { ...page, items: page.items.map((run) => (run.job_id === jobId ? patch(run) : run)) }
          : page,
      );
      return;
    }
    if (name === "workflow.run.epoch_completed") {
      const epoch = Number(data.epoch);
      const metrics = (data.metrics ?? {}) as Record<string, number>;
      const seconds = Number(data.seconds ?? 0);
      client.setQueryData<RunLike>(keys.run(jobId), (run) => {
        if (!run) return run;
        const epochs = (run.epochs ?? []).filter((e) => e.epoch !== epoch);
        epochs.push({ epoch, metrics, seconds });
        epochs.sort((a, b) => a.epoch - b.epoch);
        return { ...run, epochs, metrics: { ...run.metrics, ...metrics } };
      });
      return;
    }
    if (name === "workflow.run.logged") {
      const text = str(data.text) ?? "";
      const offset = Number(data.offset);
      let appended = false;
      client.setQueryData<LogLike>(keys.runLogs(jobId), (log) => {
        if (!log) return log;
        if (offset + new TextEncoder().encode(text).length <= log.next_offset) {
          appended = true; // already have it (a replay after reconnecting)
          return log;
        }
        if (offset !== log.next_offset) return log;
        appended = true;
        const end = offset + new TextEncoder().encode(text).length;
        return { ...log, text: log.text + text, next_offset: end, size: Math.max(log.size, end) };
      });
      if (!appended) void client.invalidateQueries({ queryKey: keys.runLogs(jobId) });
      return;
    }
    void client.invalidateQueries({ queryKey: keys.run(jobId) });
    void client.invalidateQueries({ queryKey: ["runs"] });
    if (["workflow.run.succeeded", "workflow.run.failed", "workflow.run.cancelled"].includes(name)) {
      void client.invalidateQueries({ queryKey: keys.runLogs(jobId) });
      void client.invalidateQueries({ queryKey: ["models"] });
    }
    return;
  }

  if (service === "registry") {
    for (const prefix of ["models", "model", "versions", "version", "compare", "lineage"]) {
      void client.invalidateQueries({ queryKey: [prefix] });
    }
    return;
  }

  if (service === "infra" && aggregate === "deployment") {
    const id = str(data.deployment_id);
    if (id) void client.invalidateQueries({ queryKey: keys.deployment(id) });
    void client.invalidateQueries({ queryKey: ["deployments"] });
    void client.invalidateQueries({ queryKey: ["model"] });
    void client.invalidateQueries({ queryKey: ["lineage"] });
    void client.invalidateQueries({ queryKey: ["metrics"] });
    return;
  }

  if (service === "infra" && aggregate === "alert") {
    const id = str(data.alert_id);
    if (id) void client.invalidateQueries({ queryKey: keys.alert(id) });
    void client.invalidateQueries({ queryKey: ["alerts"] });
    void client.invalidateQueries({ queryKey: ["metrics"] });
    return;
  }

  if (service === "infra" && aggregate === "metrics") {
    void client.invalidateQueries({ queryKey: ["metrics"] });
    return;
  }

  if (service === "gateway" && aggregate === "settings") {
    void client.invalidateQueries({ queryKey: keys.settings });
    return;
  }

  if (aggregate === "command" || aggregate === "system") {
    void client.invalidateQueries({ queryKey: keys.system });
  }
}

export type LinkStatus = "connecting" | "open" | "down";

export interface LinkOptions {
  url?: string;
  /** Seconds without any frame (heartbeats come every 15 s) before the line is presumed dead. */
  silenceSeconds?: number;
  createSocket?: (url: string) => WebSocket;
  onEvent: (event: LiveEvent) => void;
  /** Events may have been missed (a gap, a reset, or a first connect with nothing to resume). */
  onStale: () => void;
  onStatus: (status: LinkStatus) => void;
}

/** One WebSocket to /ws/events that reconnects with backoff and resumes after the last seq. */
export class LiveLink {
  private socket: WebSocket | null = null;
  private lastSeq: number | null = null;
  private attempts = 0;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly options: LinkOptions;
  private readonly seen = new Set<number>();

  constructor(options: LinkOptions) {
    this.options = options;
  }

  get seq(): number | null {
    return this.lastSeq;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.socket?.close(1000, "leaving");
    this.socket = null;
  }

  /** Drop the line now and reconnect (used by the banner's "Reconnect" button). */
  reconnect(): void {
    this.attempts = 0;
    this.socket?.close(1000, "reconnecting");
  }

  private url(): string {
    const base =
      this.options.url ??
      `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}/ws/events`;
    return this.lastSeq === null ? base : `${base}?since=${this.lastSeq}`;
  }

  private connect(): void {
    if (this.stopped) return;
    this.options.onStatus(this.attempts === 0 ? "connecting" : "down");
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url));
    const socket = create(this.url());
    this.socket = socket;
    const resuming = this.lastSeq !== null;
    socket.onopen = () => {
      this.attempts = 0;
      this.options.onStatus("open");
      this.watchSilence();
      // Nothing to resume from: what happened before this page opened comes from the queries,
      // which may be older than the socket; refetch them once now that the line is live.
      if (!resuming) this.options.onStale();
    };
    socket.onmessage = (message: MessageEvent) => {
      this.watchSilence();
      let frame: Frame;
      try {
        frame = JSON.parse(String(message.data)) as Frame;
      } catch {
        return;
      }
      this.handle(frame);
    };
    socket.onclose = (close: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.silenceTimer) clearTimeout(this.silenceTimer);
      if (this.stopped) return;
      if (close.code === 4401) {
        this.options.onStatus("down");
        return; // signed out: the app takes it from here
      }
      this.options.onStatus("down");
      this.attempts += 1;
      const delay = Math.min(10_000, 250 * 2 ** Math.min(this.attempts, 6));
      this.retryTimer = setTimeout(() => this.connect(), this.attempts === 1 ? 100 : delay);
    };
  }

  private handle(frame: Frame): void {
    switch (frame.kind) {
      case "event": {
        if (this.seen.has(frame.seq)) return;
        this.seen.add(frame.seq);
        if (this.seen.size > 5000) {
          const oldest = [...this.seen].slice(0, 2500);
          oldest.forEach((seq) => this.seen.delete(seq));
        }
        this.lastSeq = Math.max(this.lastSeq ?? 0, frame.seq);
        const { kind: _kind, ...event } = frame;
        this.options.onEvent(event);
        return;
      }
      case "subscribed":
      case "heartbeat":
        // Where the stream stands: a line that drops before any event resumes from here.
        if (this.lastSeq === null && typeof frame.seq === "number") this.lastSeq = frame.seq;
        return;
      case "reset":
        if (typeof frame.seq === "number") this.lastSeq = frame.seq;
        this.options.onStale();
        return;
      case "gap":
        this.options.onStale();
        return;
      default:
        return;
    }
  }

  private watchSilence(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    const seconds = this.options.silenceSeconds ?? 40;
    this.silenceTimer = setTimeout(() => this.socket?.close(4000, "silent"), seconds * 1000);
  }
}
