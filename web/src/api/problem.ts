/** RFC 9457 problems from the gateway, as an Error the UI can show and map onto form fields. */

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  field?: string;
  errors?: FieldError[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly field: string | undefined;
  readonly errors: FieldError[];

  constructor(status: number, problem: Problem | undefined, fallback: string) {
    super(problem?.detail || problem?.title || fallback);
    this.name = "ApiError";
    this.status = status;
    this.code = problem?.code;
    this.field = problem?.field;
    this.errors =
      problem?.errors ??
      (problem?.field && problem.detail ? [{ field: problem.field, message: problem.detail }] : []);
  }

  /** The message for one field path (exact, or the first error under it). */
  forField(path: string): string | undefined {
    const hit =
      this.errors.find((e) => e.field === path) ??
      this.errors.find((e) => e.field.startsWith(path + "."));
    return hit?.message;
  }
}

/** What to tell a person about any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return error.message;
    if (error.status === 403) return `${error.message} — your role does not allow this; ask an admin.`;
    if (error.status === 429) return `${error.message} — wait a minute and try again.`;
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isProblem(value: unknown): value is Problem {
  return typeof value === "object" && value !== null && ("detail" in value || "title" in value);
}
