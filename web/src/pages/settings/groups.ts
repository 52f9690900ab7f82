/**
 * The settings groups as the page shows them: every field of GET /api/settings, its label and help.
 * Field names are the API's; secrets are write-only (the API answers `{set, last4}` for them).
 */
import type { components } from "../../api/schema";

export type AllSettings = components["schemas"]["AllSettings"];
export type GroupName = keyof AllSettings;
export type SecretState = components["schemas"]["SecretState"];

/** Values typed but not saved yet: text for fields, null for a secret to clear. */
export type Edits = Record<string, string | null>;

export interface Option {
  value: string;
  label: string;
}

export interface FieldDef {
  name: string;
  label: string;
  kind: "text" | "textarea" | "select" | "secret" | "kubeconfig";
  description?: string;
  placeholder?: string;
  options?: Option[];
  /** The option meaning "nothing chosen" (sent as null). */
  noneLabel?: string;
  /** A secret that usually comes as a file (its content is sent). */
  fromFile?: { accept: string; button: string };
  /** Shown only when this returns true for the current values. */
  when?: (value: (name: string) => unknown) => boolean;
}

export interface SectionDef {
  title?: string;
  description?: string;
  fields: FieldDef[];
}

export interface GroupDef {
  name: GroupName;
  title: string;
  /** The Save button's words: "Save <this>". */
  saveLabel: string;
  description: string;
  sections: SectionDef[];
}

const isKubeconfig = (value: (name: string) => unknown) => value("mode") === "kubeconfig";
const isToken = (value: (name: string) => unknown) => value("mode") === "token";
const isLocal = (value: (name: string) => unknown) => value("kind") !== "s3";
const isS3 = (value: (name: string) => unknown) => value("kind") === "s3";

export const GROUPS: GroupDef[] = [
  {
    name: "llm",
    title: "LLM keys",
    saveLabel: "LLM keys",
    description: "The language model the assistant talks to: pick a provider and give it a key.",
    sections: [
      {
        fields: [
          {
            name: "default_provider",
            label: "Provider the assistant uses",
            kind: "select",
            noneLabel: "None — the assistant is off",
            options: [
              { value: "anthropic", label: "Anthropic (Claude)" },
              { value: "openai", label: "OpenAI" },
              { value: "openai_compatible", label: "OpenAI-compatible endpoint (vLLM, Ollama…)" },
            ],
          },
          { name: "anthropic_api_key", label: "Anthropic API key", kind: "secret", placeholder: "sk-ant-…" },
          { name: "openai_api_key", label: "OpenAI API key", kind: "secret", placeholder: "sk-…" },
          {
            name: "openai_compatible_base_url",
            label: "OpenAI-compatible base URL",
            kind: "text",
            placeholder: "http://localhost:11434/v1",
            description: "Any endpoint that speaks the OpenAI API, e.g. vLLM or Ollama.",
          },
          {
            name: "openai_compatible_api_key",
            label: "OpenAI-compatible API key",
            kind: "secret",
            description: "Only if the endpoint asks for one.",
          },
        ],
      },
    ],
  },
  {
    name: "kubernetes",
    title: "Kubernetes connection",
    saveLabel: "Kubernetes connection",
    description: "Where trainings and deployments run. Without a cluster everything runs on this machine.",
    sections: [
      {
        fields: [
          {
            name: "mode",
            label: "How to reach the cluster",
            kind: "select",
            noneLabel: "No cluster — run on this machine",
            options: [
              { value: "kubeconfig", label: "An uploaded kubeconfig file" },
              { value: "token", label: "API server URL and a bearer token" },
            ],
          },
          {
            name: "default_namespace",
            label: "Default namespace",
            kind: "text",
            placeholder: "default",
            description: "Used when a run or deployment names none (lowercase letters, digits and -).",
          },
        ],
      },
      {
        title: "Kubeconfig file",
        description: "Upload the file kubectl uses; its credentials must be embedded in it.",
        fields: [
          { name: "kubeconfig", label: "Kubeconfig", kind: "kubeconfig", when: isKubeconfig },
          {
            name: "context",
            label: "Context",
            kind: "text",
            description: "Which context of the kubeconfig to use; its current context when empty.",
            when: isKubeconfig,
          },
        ],
      },
      {
        title: "API server and token",
        description: "Reach the cluster's API directly with a service account's token.",
        fields: [
          { name: "api_server_url", label: "API server URL", kind: "text", placeholder: "https://10.0.0.1:6443", when: isToken },
          {
            name: "ca_certificate",
            label: "CA certificate (PEM)",
            kind: "textarea",
            placeholder: "-----BEGIN CERTIFICATE-----",
            description: "The cluster's certificate authority; not a secret.",
            when: isToken,
          },
          { name: "bearer_token", label: "Bearer token", kind: "secret", when: isToken },
        ],
      },
    ],
  },
  {
    name: "container_registry",
    title: "Container registry",
    saveLabel: "container registry",
    description: "Where trainer and inference images are pushed to and pulled from.",
    sections: [
      {
        fields: [
          {
            name: "url",
            label: "Registry",
            kind: "text",
            placeholder: "registry.example.com/team",
            description: "Host, optional port and path.",
          },
          { name: "username", label: "Username", kind: "text" },
          { name: "password", label: "Password or access token", kind: "secret" },
        ],
      },
    ],
  },
  {
    name: "artifact_store",
    title: "Artifact store",
    saveLabel: "artifact store",
    description: "Where trained models, their metrics and data fingerprints are kept.",
    sections: [
      {
        fields: [
          {
            name: "kind",
            label: "Keep artifacts in",
            kind: "select",
            options: [
              { value: "local", label: "A directory on this machine" },
              { value: "s3", label: "An S3-compatible bucket (AWS S3, MinIO, Ceph)" },
            ],
          },
          {
            name: "local_path",
            label: "Directory",
            kind: "text",
            placeholder: "MLOPS_HOME/artifacts",
            description: "An absolute path; empty means the artifacts folder of the platform's home.",
            when: isLocal,
          },
          {
            name: "s3_endpoint_url",
            label: "Endpoint URL",
            kind: "text",
            placeholder: "http://minio:9000",
            description: "For MinIO or Ceph; leave empty for AWS.",
            when: isS3,
          },
          { name: "bucket", label: "Bucket", kind: "text", placeholder: "models", when: isS3 },
          { name: "region", label: "Region", kind: "text", placeholder: "us-east-1", when: isS3 },
          { name: "access_key_id", label: "Access key ID", kind: "text", when: isS3 },
          { name: "secret_access_key", label: "Secret access key", kind: "secret", when: isS3 },
        ],
      },
    ],
  },
  {
    name: "data_sources",
    title: "Data sources",
    saveLabel: "data sources",
    description: "Credentials training runs read data with. They never appear in a run's parameters or logs.",
    sections: [
      {
        title: "Amazon S3 and compatible stores",
        description: "Also used for DVC remotes on S3.",
        fields: [
          {
            name: "s3_endpoint_url",
            label: "S3 endpoint URL",
            kind: "text",
            placeholder: "http://minio:9000",
            description: "For MinIO or Ceph; leave empty for AWS.",
          },
          { name: "s3_region", label: "S3 region", kind: "text", placeholder: "us-east-1" },
          { name: "s3_access_key_id", label: "S3 access key ID", kind: "text" },
          { name: "s3_secret_access_key", label: "S3 secret access key", kind: "secret" },
        ],
      },
      {
        title: "Google Cloud Storage",
        fields: [
          { name: "gcs_project", label: "Google Cloud project", kind: "text", placeholder: "my-project-123" },
          {
            name: "gcs_service_account_json",
            label: "Service-account key (JSON)",
            kind: "secret",
            fromFile: { accept: "application/json,.json", button: "Load key file" },
          },
        ],
      },
      {
        title: "Database",
        fields: [
          {
            name: "database_url",
            label: "Database URL",
            kind: "secret",
            placeholder: "postgresql://user:password@host/db",
            description: "A SQLAlchemy URL; it holds a password, so it is kept as a secret.",
          },
        ],
      },
    ],
  },
];

export function isSecretState(value: unknown): value is SecretState {
  return typeof value === "object" && value !== null && "set" in value;
}

/** A field's label by name, to name the fields the API says are still missing. */
export function fieldLabel(group: GroupDef, name: string): string {
  for (const section of group.sections) {
    const field = section.fields.find((f) => f.name === name);
    if (field) return field.label;
  }
  return name.replace(/_/g, " ");
}

/** The stored value of a plain field as text ("" when unset). */
export function storedText(view: object, name: string): string {
  const value = (view as Record<string, unknown>)[name];
  return typeof value === "string" ? value : "";
}

/** Only what changed, as the PUT body wants it: text or null for fields, a value or null for secrets. */
export function changes(group: GroupDef, view: object, edits: Edits): Record<string, string | null> {
  const body: Record<string, string | null> = {};
  for (const section of group.sections) {
    for (const field of section.fields) {
      if (!(field.name in edits)) continue;
      const edit = edits[field.name];
      if (field.kind === "secret" || field.kind === "kubeconfig") {
        if (edit === null) body[field.name] = null;
        else if (edit !== undefined && edit !== "") body[field.name] = edit;
        continue;
      }
      const next = (edit ?? "").trim();
      if (next !== storedText(view, field.name)) body[field.name] = next === "" ? null : next;
    }
  }
  return body;
}
