import { Alert, Button, Card, Group, Select, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { IconAlertCircle, IconDeviceFloppy } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { ApiError } from "../../api/problem";
import type { operations } from "../../api/schema";
import { timeAgo } from "../../components/format";
import { notifyError, notifySuccess } from "../../components/notify";
import {
  changes,
  fieldLabel,
  isSecretState,
  storedText,
  type AllSettings,
  type Edits,
  type FieldDef,
  type GroupDef,
  type Option,
} from "./groups";
import { KubeconfigField } from "./KubeconfigField";
import { SecretField } from "./SecretField";

type UpdateBody = operations["update_settings_group"]["requestBody"]["content"]["application/json"];
type View = AllSettings[keyof AllSettings];

const NONE = "__none__";

function contextOptions(view: View): Option[] | undefined {
  if (view.group !== "kubernetes") return undefined;
  const contexts = view.kubeconfig_contexts ?? [];
  return contexts.length > 0 ? contexts.map((c) => ({ value: c, label: c })) : undefined;
}

/** One settings group as a form: every field, secrets write-only, "Save <group>" sends only what changed. */
export function GroupCard({ group, view, canChange }: { group: GroupDef; view: View; canChange: boolean }) {
  const client = useQueryClient();
  const [edits, setEdits] = useState<Edits>({});
  const readOnly = !canChange;

  const save = useMutation({
    mutationFn: (body: Record<string, string | null>) =>
      unwrap(api.PUT("/api/settings/{group}", { params: { path: { group: group.name } }, body: body as UpdateBody })),
    onSuccess: (updated) => {
      client.setQueryData<AllSettings>(keys.settings, (all) => (all ? { ...all, [group.name]: updated } : all));
      setEdits({});
      notifySuccess(`${group.title}: your changes are saved.`, "Settings saved");
    },
    onError: (error) => notifyError(error, `${group.title} not saved`),
  });

  const record = view as unknown as Record<string, unknown>;
  const value = (name: string): unknown => (name in edits ? edits[name] : record[name]);
  const body = changes(group, view, edits);
  const dirty = Object.keys(body).length > 0;
  const fieldError = (name: string) => (save.error instanceof ApiError ? save.error.forField(name) : undefined);
  const generalError =
    save.error instanceof ApiError && save.error.errors.length === 0 && !save.error.field ? save.error.message : undefined;

  const setEdit = (name: string, next: string | null | undefined) =>
    setEdits((current) => {
      const copy = { ...current };
      if (next === undefined) delete copy[name];
      else copy[name] = next;
      return copy;
    });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (dirty) save.mutate(body);
  };

  const renderField = (field: FieldDef) => {
    const error = fieldError(field.name);
    const stored = record[field.name];
    if (field.kind === "kubeconfig" && view.group === "kubernetes") {
      return (
        <KubeconfigField
          key={field.name}
          view={view}
          clearing={edits.kubeconfig === null}
          onClear={(clear) => setEdit("kubeconfig", clear ? null : undefined)}
          readOnly={readOnly}
          error={error}
        />
      );
    }
    if (field.kind === "secret") {
      return (
        <SecretField
          key={field.name}
          field={field}
          state={isSecretState(stored) ? stored : undefined}
          edit={edits[field.name]}
          onEdit={(next) => setEdit(field.name, next)}
          error={error}
          readOnly={readOnly}
        />
      );
    }
    const text = field.name in edits ? edits[field.name] ?? "" : storedText(view, field.name);
    const options = field.name === "context" ? contextOptions(view) : field.options;
    if (options) {
      const none = field.name === "context" ? `Current context${view.group === "kubernetes" && view.kubeconfig_current_context ? ` (${view.kubeconfig_current_context})` : ""}` : field.noneLabel;
      const data = none ? [{ value: NONE, label: none }, ...options] : options;
      return (
        <Select
          key={field.name}
          label={field.label}
          description={field.description}
          data={data}
          value={text === "" ? (none ? NONE : null) : text}
          onChange={(next) => setEdit(field.name, next === null || next === NONE ? "" : next)}
          allowDeselect={false}
          readOnly={readOnly}
          variant={readOnly ? "filled" : "default"}
          error={error}
          comboboxProps={{ withinPortal: true }}
        />
      );
    }
    const common = {
      label: field.label,
      description: field.description,
      placeholder: readOnly ? undefined : field.placeholder,
      value: text,
      onChange: (event: { currentTarget: { value: string } }) => setEdit(field.name, event.currentTarget.value),
      readOnly,
      variant: readOnly ? "filled" : "default",
      error,
      spellCheck: false,
    } as const;
    if (field.kind === "textarea") {
      return <Textarea key={field.name} {...common} autosize minRows={3} maxRows={10} styles={{ input: { fontFamily: "monospace" } }} />;
    }
    return <TextInput key={field.name} {...common} />;
  };

  const sections = group.sections
    .map((section) => ({ ...section, fields: section.fields.filter((f) => !f.when || f.when(value)) }))
    .filter((section) => section.fields.length > 0);
  const missing = view.missing ?? [];
  const headingId = `settings-${group.name}`;

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby={headingId}>
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <Stack gap={4}>
            <Title order={2} fz="lg" id={headingId}>
              {group.title}
            </Title>
            <Text size="sm" c="dimmed">
              {group.description}
            </Text>
            {view.updated_at && (
              <Text size="xs" c="dimmed">
                Last changed {timeAgo(view.updated_at)}
                {view.updated_by ? ` by ${view.updated_by}` : ""}
              </Text>
            )}
          </Stack>
          {missing.length > 0 && (
            <Alert color="yellow" icon={<IconAlertCircle size={18} aria-hidden />}>
              <Text size="sm" fw={600} span>
                Not complete yet.
              </Text>{" "}
              Still needed: {missing.map((name) => fieldLabel(group, name)).join(", ")}.
            </Alert>
          )}
          {sections.map((section, index) => (
            <Stack gap="sm" key={section.title ?? index}>
              {section.title && (
                <Stack gap={2}>
                  <Title order={3} fz="md">
                    {section.title}
                  </Title>
                  {section.description && (
                    <Text size="sm" c="dimmed">
                      {section.description}
                    </Text>
                  )}
                </Stack>
              )}
              <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" verticalSpacing="md">
                {section.fields.map(renderField)}
              </SimpleGrid>
            </Stack>
          ))}
          {generalError && (
            <Alert color="red" icon={<IconAlertCircle size={18} aria-hidden />} role="alert">
              {generalError}
            </Alert>
          )}
          {canChange && (
            <Group justify="flex-end" gap="sm">
              {dirty ? (
                <Button variant="default" onClick={() => { setEdits({}); save.reset(); }}>
                  Discard changes
                </Button>
              ) : (
                <Text size="sm" c="dimmed">
                  No unsaved changes
                </Text>
              )}
              <Button type="submit" loading={save.isPending} disabled={!dirty} leftSection={<IconDeviceFloppy size={16} aria-hidden />}>
                Save {group.saveLabel}
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Card>
  );
}
