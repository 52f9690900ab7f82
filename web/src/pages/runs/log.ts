/** A run's log as the API returns it, and the lines a search keeps. */

/** A part of a run's log, as the API returns it (the live module appends to it in the cache). */
export interface LogChunk {
  text: string;
  offset: number;
  next_offset: number;
  size: number;
  complete: boolean;
}

export function toLogChunk(value: unknown): LogChunk {
  const raw = (typeof value === "object" && value !== null ? value : {}) as Partial<Record<keyof LogChunk, unknown>>;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  return {
    text: typeof raw.text === "string" ? raw.text : "",
    offset: num(raw.offset),
    next_offset: num(raw.next_offset),
    size: num(raw.size),
    complete: raw.complete === true,
  };
}

/** The lines of a log, without the empty one after its last newline. */
export function logLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Lines containing the search (any case), with their line numbers in the shown part. */
export function matchLines(lines: string[], search: string): { line: string; index: number }[] {
  const needle = search.trim().toLowerCase();
  const all = lines.map((line, index) => ({ line, index }));
  return needle ? all.filter(({ line }) => line.toLowerCase().includes(needle)) : all;
}
