import { Button, FileButton, Group, PasswordInput, Stack, Text, TextInput, VisuallyHidden } from "@mantine/core";
import { IconFileUpload } from "@tabler/icons-react";

import { notifyError } from "../../components/notify";
import type { FieldDef, SecretState } from "./groups";

/** "Currently set, ends in …abcd." — what a person may know of a stored secret. */
export function secretSummary(state: SecretState | undefined): string {
  if (!state?.set) return "Not set.";
  return state.last4 ? `Currently set, ends in ${state.last4}.` : "Currently set.";
}

/**
 * A write-only secret: the stored value is never shown, only whether it is set and its last
 * characters. Typing sends a new value; "Clear" sends an explicit null when saved.
 */
export function SecretField({
  field,
  state,
  edit,
  onEdit,
  error,
  readOnly,
}: {
  field: FieldDef;
  state: SecretState | undefined;
  /** undefined or "": unchanged; a string: the new value; null: to be cleared. */
  edit: string | null | undefined;
  onEdit: (value: string | null | undefined) => void;
  error?: string;
  readOnly: boolean;
}) {
  const summary = secretSummary(state);
  if (readOnly) {
    return (
      <TextInput
        label={field.label}
        value={state?.set ? (state.last4 ? `Set, ends in ${state.last4}` : "Set") : "Not set"}
        readOnly
        description={field.description}
        variant="filled"
      />
    );
  }
  const clearing = edit === null;
  const description = (
    <Stack gap={0} component="span">
      {field.description && <span>{field.description}</span>}
      <span>
        {clearing ? "Will be cleared when you save." : summary}
        {!clearing && state?.set ? " Type a new value to replace it." : ""}
      </span>
    </Stack>
  );
  return (
    <Stack gap={4}>
      <PasswordInput
        label={field.label}
        description={description}
        placeholder={clearing ? "Will be cleared" : state?.set ? "Unchanged" : field.placeholder ?? "Not set"}
        value={typeof edit === "string" ? edit : ""}
        onChange={(event) => onEdit(event.currentTarget.value === "" ? undefined : event.currentTarget.value)}
        disabled={clearing}
        error={error}
        autoComplete="new-password"
        spellCheck={false}
      />
      {(state?.set || field.fromFile) && (
        <Group gap="xs">
          {field.fromFile && !clearing && (
            <FileButton
              accept={field.fromFile.accept}
              onChange={(file) => {
                if (!file) return;
                file.text().then((text) => onEdit(text.trim() === "" ? undefined : text), notifyError);
              }}
            >
              {(props) => (
                <Button {...props} size="compact-sm" variant="subtle" leftSection={<IconFileUpload size={14} aria-hidden />}>
                  {field.fromFile?.button}
                </Button>
              )}
            </FileButton>
          )}
          {state?.set && !clearing && (
            <Button size="compact-sm" variant="subtle" color="red" onClick={() => onEdit(null)}>
              Clear <VisuallyHidden>{field.label}</VisuallyHidden>
            </Button>
          )}
          {clearing && (
            <>
              <Text size="xs" c="red">
                {field.label} will be removed.
              </Text>
              <Button size="compact-sm" variant="subtle" onClick={() => onEdit(undefined)}>
                Undo <VisuallyHidden>clearing {field.label}</VisuallyHidden>
              </Button>
            </>
          )}
        </Group>
      )}
    </Stack>
  );
}
