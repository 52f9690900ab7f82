import { Alert, Button, Code, CopyButton, Group, Modal, NumberInput, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconAlertTriangle, IconCheck, IconCopy } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";
import type { components } from "../../api/schema";
import { notifyError } from "../../components/notify";

type NewToken = components["schemas"]["NewToken"];

/** The new token, shown this once, with a copy button and how to use it. */
function ShowOnce({ token, onDone }: { token: NewToken; onDone: () => void }) {
  const origin = window.location.origin;
  return (
    <Stack gap="md">
      <Alert color="orange" icon={<IconAlertTriangle size={18} aria-hidden />}>
        <Text size="sm" fw={700}>
          Copy it now — it will not be shown again.
        </Text>
        <Text size="sm">The platform keeps only a fingerprint of this token. If you lose it, revoke it and create another.</Text>
      </Alert>
      <Stack gap={4}>
        <Text size="sm" fw={500} id="new-token-label">
          Your token “{token.name}”
        </Text>
        <Code block aria-labelledby="new-token-label" data-testid="new-token" style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }}>
          {token.token}
        </Code>
      </Stack>
      <CopyButton value={token.token}>
        {({ copied, copy }) => (
          <Button
            onClick={copy}
            color={copied ? "teal" : undefined}
            leftSection={copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
          >
            {copied ? "Copied" : "Copy token"}
          </Button>
        )}
      </CopyButton>
      <Text size="sm" c="dimmed">
        Send it as a header. For example, with the token in <Code>$TOKEN</Code>:
      </Text>
      <Code block style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>
        {`curl -H "Authorization: Bearer $TOKEN" ${origin}/api/system/status`}
      </Code>
      <Text size="sm" c="dimmed">
        It works until {new Date(token.expires_at).toLocaleDateString()}.
      </Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onDone}>
          Done
        </Button>
      </Group>
    </Stack>
  );
}

/** "Create token": name and lifetime, then the token itself, once. */
export function CreateTokenModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const [created, setCreated] = useState<NewToken | null>(null);
  const form = useForm({
    initialValues: { name: "", expires_in_days: 90 as number | string },
    validate: {
      name: (value) => (value.trim() === "" ? "Say what the token is for, e.g. “laptop” or “ci”." : value.trim().length > 100 ? "At most 100 characters." : null),
      expires_in_days: (value) => {
        const days = Number(value);
        return Number.isInteger(days) && days >= 1 && days <= 365 ? null : "Between 1 and 365 days.";
      },
    },
  });
  const create = useMutation({
    mutationFn: (values: { name: string; expires_in_days: number }) => unwrap(api.POST("/api/auth/tokens", { body: values })),
    onSuccess: (token) => {
      void client.invalidateQueries({ queryKey: ["tokens"] });
      setCreated(token);
      form.reset();
    },
    onError: (error) => {
      let placed = false;
      if (error instanceof ApiError) {
        for (const field of ["name", "expires_in_days"]) {
          const message = error.forField(field);
          if (message) {
            form.setFieldError(field, message);
            placed = true;
          }
        }
      }
      if (!placed) notifyError(error, "The token was not created");
    },
  });
  const close = () => {
    if (create.isPending) return;
    setCreated(null);
    form.reset();
    create.reset();
    onClose();
  };

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? "Your new API token" : "Create token"}
      centered
      size="lg"
      closeOnClickOutside={created === null}
      closeButtonProps={{ "aria-label": "Close" }}
    >
      {created ? (
        <ShowOnce token={created} onDone={close} />
      ) : (
        <form
          onSubmit={form.onSubmit((values) => create.mutate({ name: values.name.trim(), expires_in_days: Number(values.expires_in_days) }))}
          noValidate
        >
          <Stack gap="md">
            <TextInput label="Name" description="What the token is for, so you recognise it later." placeholder="laptop" data-autofocus {...form.getInputProps("name")} />
            <NumberInput
              label="Expires in (days)"
              description="It stops working after this many days (1 to 365)."
              min={1}
              max={365}
              clampBehavior="none"
              allowDecimal={false}
              {...form.getInputProps("expires_in_days")}
            />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create token
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
