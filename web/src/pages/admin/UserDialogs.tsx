import { Alert, Button, Group, Modal, PasswordInput, Select, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconInfoCircle } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { ApiError } from "../../api/problem";
import { notifyError, notifySuccess } from "../../components/notify";
import { aRole, ROLES, type Role, type User } from "./roles";

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const PASSWORD_HELP = "At least 8 characters.";

/** Puts the API's field errors on the form's inputs; true when some were placed. */
function placeErrors(error: unknown, setFieldError: (field: string, message: string) => void, fields: string[]): boolean {
  if (!(error instanceof ApiError)) return false;
  let placed = false;
  for (const field of fields) {
    const message = error.forField(field);
    if (message) {
      setFieldError(field, message);
      placed = true;
    }
  }
  return placed;
}

export function AddUserModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const client = useQueryClient();
  const form = useForm({
    initialValues: { username: "", password: "", role: "viewer" as Role },
    validate: {
      username: (value) =>
        value.trim() === ""
          ? "Give the user a name to sign in with."
          : USERNAME.test(value.trim())
            ? null
            : "Use letters, digits and _ . @ - (at most 64), starting with a letter or digit.",
      password: (value) => (value.length >= 8 ? null : "The password needs at least 8 characters."),
    },
  });
  const create = useMutation({
    mutationFn: (values: typeof form.values) =>
      unwrap(api.POST("/api/users", { body: { username: values.username.trim(), password: values.password, role: values.role } })),
    onSuccess: (user) => {
      void client.invalidateQueries({ queryKey: keys.users });
      notifySuccess(`${user.username} can now sign in as ${aRole(user.role)}.`, "User created");
      form.reset();
      onClose();
    },
    onError: (error) => {
      if (!placeErrors(error, form.setFieldError, ["username", "password", "role"])) notifyError(error, "The user was not created");
    },
  });
  const close = () => {
    if (create.isPending) return;
    form.reset();
    create.reset();
    onClose();
  };

  return (
    <Modal opened={opened} onClose={close} title="Add user" centered closeButtonProps={{ "aria-label": "Close" }}>
      <form onSubmit={form.onSubmit((values) => create.mutate(values))} noValidate>
        <Stack gap="md">
          <TextInput
            label="Username"
            description="Letters, digits and _ . @ -"
            autoComplete="off"
            data-autofocus
            {...form.getInputProps("username")}
          />
          <PasswordInput
            label="Password"
            description={`${PASSWORD_HELP} Share it with them safely; they can change it later.`}
            autoComplete="new-password"
            {...form.getInputProps("password")}
          />
          <Select
            label="Role"
            description={ROLES.find((r) => r.value === form.values.role)?.description}
            data={ROLES.map((r) => ({ value: r.value, label: r.label }))}
            allowDeselect={false}
            {...form.getInputProps("role")}
          />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function ResetPasswordModal({
  user,
  isSelf,
  onClose,
}: {
  user: User | null;
  isSelf: boolean;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const form = useForm({
    initialValues: { password: "" },
    validate: { password: (value) => (value.length >= 8 ? null : "The password needs at least 8 characters.") },
  });
  const reset = useMutation({
    mutationFn: ({ id, password }: { id: string; password: string }) =>
      unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: id } }, body: { password } })),
    onSuccess: (updated) => {
      void client.invalidateQueries({ queryKey: keys.users });
      void client.invalidateQueries({ queryKey: ["tokens"] });
      notifySuccess(
        isSelf ? "Sign in again with your new password." : `${updated.username} signs in with the new password; their API tokens were revoked.`,
        "Password changed",
      );
      form.reset();
      onClose();
    },
    onError: (error) => {
      if (!placeErrors(error, form.setFieldError, ["password"])) notifyError(error, "The password was not changed");
    },
  });
  const close = () => {
    if (reset.isPending) return;
    form.reset();
    reset.reset();
    onClose();
  };

  return (
    <Modal
      opened={user !== null}
      onClose={close}
      title={isSelf ? "Change your password" : `Reset the password of ${user?.username ?? ""}`}
      centered
      closeButtonProps={{ "aria-label": "Close" }}
    >
      <form onSubmit={form.onSubmit((values) => {
        if (user) reset.mutate({ id: user.id, password: values.password });
      })} noValidate>
        <Stack gap="md">
          <Alert color="yellow" icon={<IconInfoCircle size={18} aria-hidden />}>
            <Text size="sm">
              {isSelf
                ? "You will be signed out everywhere, and your API tokens will be revoked."
                : "They are signed out everywhere and their API tokens are revoked."}
            </Text>
          </Alert>
          <PasswordInput
            label="New password"
            description={PASSWORD_HELP}
            autoComplete="new-password"
            data-autofocus
            {...form.getInputProps("password")}
          />
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={reset.isPending}>
              Reset password
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
