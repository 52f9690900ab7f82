import { Fieldset, NumberInput, Select, SimpleGrid, Stack, Switch, TagsInput, Text, TextInput } from "@mantine/core";
import type { ReactNode } from "react";

import {
  boundsText,
  fieldId,
  fieldKind,
  humanize,
  isNullable,
  stepFor,
  type JsonSchema,
  type SchemaValue,
  type SchemaValues,
} from "./schema";

export interface SchemaFormProps {
  schema: JsonSchema;
  value: SchemaValues;
  /** The whole new value, and the path of the field that changed. */
  onChange: (value: SchemaValues, path: string) => void;
  /** Path of the schema's root in the request (e.g. "workflow_params.training"); fields extend it. */
  path?: string;
  /** Messages by field path (the same paths the platform names in a 422). */
  errors?: Record<string, string | undefined>;
  disabled?: boolean;
}

function join(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

function isValues(value: SchemaValue | undefined): value is SchemaValues {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function help(schema: JsonSchema): string | undefined {
  const bounds = boundsText(schema);
  const parts = [schema.description, bounds ? `${bounds}.` : null].filter(Boolean);
  return parts.length ? parts.join(" ") : undefined;
}

/**
 * A switch whose name is its label alone (Mantine puts the description inside the label element,
 * which would make it part of the name); the description is linked with aria-describedby.
 */
export function LabelledSwitch({ id, label, description, error, disabled, checked, onChange }: {
  id: string;
  label: string;
  description?: string;
  error?: string;
  disabled?: boolean;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const described = [description && `${id}-help`, error && `${id}-error`].filter(Boolean).join(" ");
  return (
    <Stack gap={4} mt="xs">
      <Switch
        id={id}
        label={label}
        disabled={disabled}
        checked={checked}
        onChange={(event) => onChange(event.currentTarget.checked)}
        aria-describedby={described || undefined}
        aria-invalid={error ? true : undefined}
      />
      {description && (
        <Text id={`${id}-help`} size="xs" c="dimmed">
          {description}
        </Text>
      )}
      {error && (
        <Text id={`${id}-error`} size="xs" c="red">
          {error}
        </Text>
      )}
    </Stack>
  );
}

interface FieldProps {
  name: string;
  schema: JsonSchema;
  value: SchemaValue | undefined;
  path: string;
  error: string | undefined;
  disabled?: boolean;
  onChange: (value: SchemaValue) => void;
}

function Field({ name, schema, value, path, error, disabled, onChange }: FieldProps) {
  const label = schema.title ?? humanize(name);
  const common = { id: fieldId(path), label, description: help(schema), error, disabled };
  switch (fieldKind(schema)) {
    case "integer":
    case "number": {
      const step = stepFor(schema);
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + step : undefined);
      const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - step : undefined);
      return (
        <NumberInput
          {...common}
          value={typeof value === "number" || typeof value === "string" ? value : ""}
          onChange={(next) => onChange(next)}
          min={min}
          max={max}
          step={step}
          allowDecimal={fieldKind(schema) === "number"}
          clampBehavior="none"
          placeholder={isNullable(schema) ? "Not set" : undefined}
        />
      );
    }
    case "enum": {
      const options = (schema.enum ?? []).filter((o) => o !== null).map((o) => ({ value: String(o), label: humanize(String(o)) }));
      return (
        <Select
          {...common}
          data={options}
          value={typeof value === "string" ? value : null}
          onChange={(next) => onChange(next)}
          allowDeselect={isNullable(schema)}
          clearable={isNullable(schema)}
        />
      );
    }
    case "boolean":
      return (
        <LabelledSwitch
          id={common.id}
          label={label}
          description={common.description}
          error={error}
          disabled={disabled}
          checked={value === true}
          onChange={(checked) => onChange(checked)}
        />
      );
    case "array":
      return (
        <TagsInput
          {...common}
          description={[common.description, "Press Enter after each."].filter(Boolean).join(" ")}
          value={Array.isArray(value) ? value : []}
          onChange={(next) => onChange(next)}
          placeholder={isNullable(schema) ? "All" : undefined}
          clearable
        />
      );
    default:
      return (
        <TextInput
          {...common}
          value={typeof value === "string" ? value : ""}
          onChange={(event) => onChange(event.currentTarget.value)}
        />
      );
  }
}

interface GroupProps {
  schema: JsonSchema;
  value: SchemaValues;
  path: string;
  errors: Record<string, string | undefined>;
  disabled?: boolean;
  onChange: (value: SchemaValues, path: string) => void;
}

function Group({ schema, value, path, errors, disabled, onChange }: GroupProps) {
  const entries = Object.entries(schema.properties ?? {});
  const fields: ReactNode[] = [];
  const groups: ReactNode[] = [];
  for (const [key, child] of entries) {
    const childPath = join(path, key);
    const update = (next: SchemaValue, changed: string) => onChange({ ...value, [key]: next }, changed);
    if (fieldKind(child) === "object") {
      const current = value[key];
      groups.push(
        <Fieldset key={key} legend={child.title ?? humanize(key)} variant="filled" disabled={disabled}>
          {child.description && (
            <Text size="sm" c="dimmed" mb="sm">
              {child.description}
            </Text>
          )}
          <Group
            schema={child}
            value={isValues(current) ? current : {}}
            path={childPath}
            errors={errors}
            disabled={disabled}
            onChange={(next, changed) => update(next, changed)}
          />
        </Fieldset>,
      );
    } else {
      fields.push(
        <Field
          key={key}
          name={key}
          schema={child}
          value={value[key]}
          path={childPath}
          error={errors[childPath]}
          disabled={disabled}
          onChange={(next) => update(next, childPath)}
        />,
      );
    }
  }
  return (
    <Stack gap="md">
      {fields.length > 0 && (
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md" verticalSpacing="md">
          {fields}
        </SimpleGrid>
      )}
      {groups}
    </Stack>
  );
}

/**
 * A form drawn from a JSON Schema: numbers with their bounds and step, choices as a select,
 * switches for booleans, lists as tags, nested objects as labelled fieldsets.
 */
export function SchemaForm({ schema, value, onChange, path = "", errors = {}, disabled }: SchemaFormProps) {
  return <Group schema={schema} value={value} path={path} errors={errors} disabled={disabled} onChange={onChange} />;
}
