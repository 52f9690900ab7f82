/** The part of JSON Schema the model catalog uses, and what a form needs to know about it. */

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minLength?: number;
}

export type SchemaValue = string | number | boolean | string[] | null | SchemaValues;
export interface SchemaValues {
  [key: string]: SchemaValue;
}

export type FieldKind = "object" | "enum" | "boolean" | "integer" | "number" | "array" | "string";

function types(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type ? [schema.type] : [];
}

export function isNullable(schema: JsonSchema): boolean {
  return types(schema).includes("null");
}

export function fieldKind(schema: JsonSchema): FieldKind {
  if (schema.enum) return "enum";
  const main = types(schema).find((t) => t !== "null");
  if (main === "object" || (!main && schema.properties)) return "object";
  if (main === "boolean" || main === "integer" || main === "number" || main === "array") return main;
  return "string";
}

function isValues(value: unknown): value is SchemaValues {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The initial value of one field: its default, or an empty value of its kind. */
function initial(schema: JsonSchema, given: unknown): SchemaValue {
  const kind = fieldKind(schema);
  if (kind === "object") return schemaDefaults(schema, isValues(given) ? given : undefined);
  const value = given ?? schema.default;
  switch (kind) {
    case "boolean":
      return typeof value === "boolean" ? value : false;
    case "integer":
    case "number":
      return typeof value === "number" ? value : "";
    case "array":
      return Array.isArray(value) ? value.map(String) : [];
    case "enum":
      return value === undefined || value === null ? null : String(value);
    default:
      return typeof value === "string" ? value : "";
  }
}

/** The form's values from the schema's defaults (overridden by `given` where it has a value). */
export function schemaDefaults(schema: JsonSchema, given?: SchemaValues): SchemaValues {
  const values: SchemaValues = {};
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    values[key] = initial(child, given?.[key]);
  }
  return values;
}

/**
 * What to send: numbers as numbers, empty fields left out so the platform applies its default
 * (or null where the schema allows null, e.g. "unlimited depth").
 */
export function schemaOutput(schema: JsonSchema, values: SchemaValues): SchemaValues {
  const out: SchemaValues = {};
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const value = values[key];
    const kind = fieldKind(child);
    if (kind === "object") {
      out[key] = schemaOutput(child, isValues(value) ? value : {});
      continue;
    }
    const empty =
      value === undefined ||
      value === null ||
      (typeof value === "string" && value.trim() === "") ||
      (Array.isArray(value) && value.length === 0);
    if (empty) {
      if (isNullable(child) && value !== undefined) out[key] = null;
      continue;
    }
    if ((kind === "integer" || kind === "number") && typeof value === "string") {
      const number = Number(value);
      out[key] = Number.isFinite(number) ? number : value;
      continue;
    }
    out[key] = value;
  }
  return out;
}

/** Every input's path (`prefix.key.sub`), so errors from the platform can find their field. */
export function schemaFieldPaths(schema: JsonSchema, prefix: string): string[] {
  const paths: string[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (fieldKind(child) === "object") paths.push(...schemaFieldPaths(child, path));
    else paths.push(path);
  }
  return paths;
}

/** "random_forest" → "Random forest". */
export function humanize(name: string): string {
  const words = name.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function show(value: number): string {
  return value.toLocaleString(undefined, { maximumFractionDigits: 6 });
}

/** The allowed range in words: "1 to 50", "More than 0, at most 1", "At least 1". */
export function boundsText(schema: JsonSchema): string | null {
  const low =
    schema.exclusiveMinimum !== undefined
      ? `more than ${show(schema.exclusiveMinimum)}`
      : schema.minimum !== undefined
        ? `at least ${show(schema.minimum)}`
        : null;
  const high =
    schema.exclusiveMaximum !== undefined
      ? `less than ${show(schema.exclusiveMaximum)}`
      : schema.maximum !== undefined
        ? `at most ${show(schema.maximum)}`
        : null;
  if (schema.minimum !== undefined && schema.maximum !== undefined) {
    return `${show(schema.minimum)} to ${show(schema.maximum)}`;
  }
  const text = [low, high].filter(Boolean).join(", ");
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : null;
}

/** A step that suits the number: 1 for integers, else a power of ten near the default or range. */
export function stepFor(schema: JsonSchema): number {
  if (fieldKind(schema) === "integer") return 1;
  if (schema.multipleOf) return schema.multipleOf;
  const reference =
    typeof schema.default === "number" && schema.default !== 0
      ? Math.abs(schema.default)
      : ((schema.maximum ?? schema.exclusiveMaximum ?? 1) - (schema.minimum ?? schema.exclusiveMinimum ?? 0)) / 100;
  if (!(reference > 0)) return 0.01;
  return 10 ** Math.floor(Math.log10(reference));
}

/** The id of a field's input, so a page can scroll to it and focus it. */
export function fieldId(path: string): string {
  return `field-${path}`;
}
