import { Button, Group, Modal, Select, Stack, Text, TextInput } from "@mantine/core";
import { type FormEvent, useEffect, useState } from "react";

import { api, unwrap } from "../../api/client";
import { fieldError, ProblemAlert, useRegistryCommand, versionOptions } from "./actions";
import type { ModelDetailData } from "./data";

const ALIAS = /^[a-z][a-z0-9_-]{0,62}$/;

interface AliasInput {
  alias: string;
  version: number;
}

/** Point an alias (champion, candidate, …) at a version; setting it again moves it. */
export function AliasModal({ model, opened, onClose, initialVersionId, primary }: {
  model: ModelDetailData;
  opened: boolean;
  onClose: () => void;
  initialVersionId?: string | null;
  primary?: string;
}) {
  const preferred = initialVersionId ?? model.latest_model_id ?? null;
  const [alias, setAlias] = useState("");
  const [versionId, setVersionId] = useState<string | null>(preferred);
  const [touched, setTouched] = useState(false);
  const version = model.versions.find((v) => v.model_id === versionId);
  const name = alias.trim();
  const invalid =
    name && !ALIAS.test(name)
      ? "Use lower-case letters, digits, - and _, starting with a letter (for example champion)."
      : undefined;
  const moving = name && model.aliases[name] !== undefined && version && model.aliases[name] !== version.version;

  const save = useRegistryCommand(
    (input: AliasInput) =>
      unwrap(
        api.PUT("/api/models/{name}/aliases/{alias}", {
          params: { path: { name: model.name, alias: input.alias } },
          body: { version: input.version },
        }),
      ),
    { done: (input) => `Alias ${input.alias} now points at version ${input.version}.`, onDone: onClose },
  );

  useEffect(() => {
    if (opened) {
      setAlias("");
      setTouched(false);
      setVersionId(preferred);
      save.reset();
    }
    // Reset only when the modal opens.
  }, [opened]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!name || invalid || !version) return;
    save.mutate({ alias: name, version: version.version });
  };

  return (
    <Modal opened={opened} onClose={onClose} closeButtonProps={{ "aria-label": "Close" }} title={`Set an alias on ${model.name}`} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          <ProblemAlert error={save.error} title="The alias was not saved" />
          <Text size="sm" c="dimmed">
            An alias is a stable name for one version, such as champion or candidate, that scripts and people can use
            instead of a number. Setting an alias that exists moves it to the version you choose.
          </Text>
          <TextInput
            label="Alias"
            placeholder="champion"
            value={alias}
            onChange={(event) => setAlias(event.currentTarget.value)}
            onBlur={() => setTouched(true)}
            required
            error={(touched && (invalid ?? (!name ? "Give the alias a name." : undefined))) || fieldError(save.error, "path.alias", "alias")}
            data-autofocus
          />
          <Select
            label="Version"
            data={versionOptions(model.versions, primary)}
            value={versionId}
            onChange={setVersionId}
            allowDeselect={false}
            required
            error={fieldError(save.error, "version")}
          />
          {moving && (
            <Text size="sm">
              {name} points at version {model.aliases[name]} now; saving moves it to version {version.version}.
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={save.isPending} disabled={!version}>
              Save alias
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
