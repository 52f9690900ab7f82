/**
 * Query keys, one place. The live module (src/live/events.ts) invalidates or updates by these
 * prefixes, so every page that reads through them stays current without polling.
 */
export const keys = {
  me: ["me"] as const,
  system: ["system"] as const,
  modelTypes: ["model-types"] as const,
  runs: (filters: object = {}) => ["runs", filters] as const,
  run: (jobId: string) => ["run", jobId] as const,
  runLogs: (jobId: string) => ["run-logs", jobId] as const,
  models: (filters: object = {}) => ["models", filters] as const,
  model: (modelId: string) => ["model", modelId] as const,
  versions: (filters: object = {}) => ["versions", filters] as const,
  version: (versionId: string) => ["version", versionId] as const,
  compare: (ids: string[]) => ["compare", ids] as const,
  lineage: (filters: object = {}) => ["lineage", filters] as const,
  deployments: (filters: object = {}) => ["deployments", filters] as const,
  deployment: (deploymentId: string) => ["deployment", deploymentId] as const,
  metrics: (scope: object = {}) => ["metrics", scope] as const,
  alerts: (filters: object = {}) => ["alerts", filters] as const,
  alert: (alertId: string) => ["alert", alertId] as const,
  activity: ["activity"] as const,
  settings: ["settings"] as const,
  users: ["users"] as const,
  tokens: (userId: string = "me") => ["tokens", userId] as const,
  audit: (filters: object = {}) => ["audit", filters] as const,
};
