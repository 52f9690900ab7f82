import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Menu,
  Pagination,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import {
  IconDots,
  IconKey,
  IconLock,
  IconLockOpen,
  IconPassword,
  IconSearch,
  IconTrash,
  IconUserPlus,
  IconUsers,
} from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { useAuth } from "../../auth/AuthProvider";
import { formatDate, timeAgo } from "../../components/format";
import { notifyError, notifySuccess } from "../../components/notify";
import { Empty, PageHeader, QueryState } from "../../components/Page";
import { ConfirmModal } from "./ConfirmModal";
import { aRole, ROLES, roleLabel, type Role, type User } from "./roles";
import { AddUserModal, ResetPasswordModal } from "./UserDialogs";

const PAGE_SIZE = 50;

type Pending =
  | { kind: "role"; user: User; role: Role }
  | { kind: "disable"; user: User }
  | { kind: "delete"; user: User };

function When({ value, never }: { value: string | null; never: string }) {
  if (!value) return <Text size="sm" c="dimmed">{never}</Text>;
  return (
    <Text size="sm" title={formatDate(value)}>
      {timeAgo(value)}
    </Text>
  );
}

/** Who may sign in and with which role; admins add, change, disable and delete users here. */
export function Users() {
  const { me } = useAuth();
  const client = useQueryClient();
  const [search, setSearch] = useState("");
  const [roleFilter, setRoleFilter] = useState<Role | null>(null);
  const [page, setPage] = useState(1);
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);

  const filters = { search: debounced || undefined, role: roleFilter ?? undefined, page };
  const users = useQuery({
    queryKey: [...keys.users, filters],
    queryFn: () =>
      unwrap(
        api.GET("/api/users", {
          params: { query: { search: filters.search, role: filters.role, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const change = useMutation({
    mutationFn: ({ id, body }: { id: string; body: { role?: Role; disabled?: boolean } }) =>
      unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: id } }, body })),
    onSuccess: (user, { body }) => {
      void client.invalidateQueries({ queryKey: keys.users });
      if (body.role) notifySuccess(`${user.username} is now ${aRole(user.role)}. They sign in again to use it.`, "Role changed");
      else if (body.disabled) notifySuccess(`${user.username} cannot sign in any more; their API tokens stopped working.`, "User disabled");
      else notifySuccess(`${user.username} can sign in again.`, "User enabled");
      setPending(null);
    },
    onError: (error) => {
      notifyError(error);
      setPending(null);
    },
  });

  const remove = useMutation({
    mutationFn: (user: User) => unwrap(api.DELETE("/api/users/{user_id}", { params: { path: { user_id: user.id } } })),
    onSuccess: (_nothing, user) => {
      void client.invalidateQueries({ queryKey: keys.users });
      void client.invalidateQueries({ queryKey: keys.tokens(user.id) });
      notifySuccess(`${user.username} was deleted.`, "User deleted");
      setPending(null);
    },
    onError: (error) => {
      notifyError(error, "The user was not deleted");
      setPending(null);
    },
  });

  const confirm = () => {
    if (!pending) return;
    if (pending.kind === "role") change.mutate({ id: pending.user.id, body: { role: pending.role } });
    else if (pending.kind === "disable") change.mutate({ id: pending.user.id, body: { disabled: true } });
    else remove.mutate(pending.user);
  };

  const filtered = Boolean(filters.search || filters.role);

  return (
    <>
      <PageHeader
        title="Users"
        description="Who can sign in, and what they may do. Viewers read everything but secrets; editors also train, register, deploy and handle alerts; admins also manage users and settings."
        actions={
          <Button leftSection={<IconUserPlus size={16} aria-hidden />} onClick={() => setAdding(true)}>
            Add user
          </Button>
        }
      />
      <Group gap="sm" mb="md" align="flex-end">
        <TextInput
          label="Search by username"
          leftSection={<IconSearch size={16} aria-hidden />}
          value={search}
          onChange={(event) => {
            setSearch(event.currentTarget.value);
            setPage(1);
          }}
          w={{ base: "100%", xs: 260 }}
        />
        <Select
          label="Role"
          placeholder="All roles"
          data={ROLES.map((r) => ({ value: r.value, label: r.label }))}
          value={roleFilter}
          onChange={(value) => {
            setRoleFilter(value as Role | null);
            setPage(1);
          }}
          clearable
          w={{ base: "100%", xs: 180 }}
        />
      </Group>
      <QueryState query={users} label="users">
        {() => {
          const items = users.data?.items ?? [];
          const total = users.data?.total ?? 0;
          if (items.length === 0) {
            return (
              <Empty icon={<IconUsers size={32} aria-hidden color="var(--mantine-color-dimmed)" />} title={filtered ? "No user matches" : "No users yet"}>
                {filtered ? "Try another name or role." : "Add a user so someone else can sign in."}
              </Empty>
            );
          }
          return (
            <Stack gap="md">
              <Table.ScrollContainer minWidth={760}>
                <Table verticalSpacing="sm" highlightOnHover>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Username</Table.Th>
                      <Table.Th>Role</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Created</Table.Th>
                      <Table.Th>Last sign-in</Table.Th>
                      <Table.Th>
                        <VisuallyHidden>Actions</VisuallyHidden>
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {items.map((user) => {
                      const self = user.id === me?.user_id;
                      return (
                        <Table.Tr key={user.id} data-testid={`user-row-${user.username}`}>
                          <Table.Td>
                            <Group gap="xs" wrap="nowrap">
                              <Text fw={600} size="sm">
                                {user.username}
                              </Text>
                              {self && (
                                <Badge size="sm" variant="light">
                                  you
                                </Badge>
                              )}
                            </Group>
                          </Table.Td>
                          <Table.Td>
                            <Select
                              aria-label={`Role of ${user.username}`}
                              data={ROLES.map((r) => ({ value: r.value, label: r.label }))}
                              value={user.role}
                              onChange={(value) => value && value !== user.role && setPending({ kind: "role", user, role: value as Role })}
                              allowDeselect={false}
                              disabled={self}
                              title={self ? "You cannot change your own role" : undefined}
                              w={130}
                              size="xs"
                            />
                          </Table.Td>
                          <Table.Td>
                            <Badge color={user.disabled ? "gray" : "green"} variant="light" radius="sm">
                              {user.disabled ? "Disabled" : "Active"}
                            </Badge>
                          </Table.Td>
                          <Table.Td>
                            <When value={user.created_at} never="—" />
                          </Table.Td>
                          <Table.Td>
                            <When value={user.last_login_at} never="Never" />
                          </Table.Td>
                          <Table.Td ta="right">
                            <Menu position="bottom-end" withinPortal>
                              <Menu.Target>
                                <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${user.username}`}>
                                  <IconDots size={18} aria-hidden />
                                </ActionIcon>
                              </Menu.Target>
                              <Menu.Dropdown>
                                <Menu.Item leftSection={<IconPassword size={16} aria-hidden />} onClick={() => setResetting(user)}>
                                  {self ? "Change my password" : "Reset password"}
                                </Menu.Item>
                                <Menu.Item
                                  leftSection={<IconKey size={16} aria-hidden />}
                                  component={Link}
                                  to={self ? "/tokens" : `/admin/tokens?user=${encodeURIComponent(user.id)}`}
                                >
                                  View API tokens
                                </Menu.Item>
                                {!self && (
                                  <>
                                    {user.disabled ? (
                                      <Menu.Item
                                        leftSection={<IconLockOpen size={16} aria-hidden />}
                                        onClick={() => change.mutate({ id: user.id, body: { disabled: false } })}
                                      >
                                        Enable user
                                      </Menu.Item>
                                    ) : (
                                      <Menu.Item leftSection={<IconLock size={16} aria-hidden />} onClick={() => setPending({ kind: "disable", user })}>
                                        Disable user
                                      </Menu.Item>
                                    )}
                                    <Menu.Divider />
                                    <Menu.Item color="red" leftSection={<IconTrash size={16} aria-hidden />} onClick={() => setPending({ kind: "delete", user })}>
                                      Delete user
                                    </Menu.Item>
                                  </>
                                )}
                              </Menu.Dropdown>
                            </Menu>
                          </Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <Group justify="space-between">
                <Text size="sm" c="dimmed">
                  {total === 1 ? "1 user" : `${total} users`}
                </Text>
                {total > PAGE_SIZE && (
                  <Pagination total={Math.ceil(total / PAGE_SIZE)} value={page} onChange={setPage} aria-label="Pages of users" />
                )}
              </Group>
            </Stack>
          );
        }}
      </QueryState>

      <AddUserModal opened={adding} onClose={() => setAdding(false)} />
      <ResetPasswordModal user={resetting} isSelf={resetting?.id === me?.user_id} onClose={() => setResetting(null)} />
      <ConfirmModal
        opened={pending !== null}
        onClose={() => !(change.isPending || remove.isPending) && setPending(null)}
        loading={change.isPending || remove.isPending}
        onConfirm={confirm}
        color={pending?.kind === "role" ? "blue" : "red"}
        title={
          pending?.kind === "role"
            ? `Make ${pending.user.username} ${aRole(pending.role)}?`
            : pending?.kind === "disable"
              ? `Disable ${pending.user.username}?`
              : `Delete ${pending?.user.username ?? ""}?`
        }
        confirmLabel={pending?.kind === "role" ? "Change role" : pending?.kind === "disable" ? "Disable user" : "Delete user"}
      >
        {pending?.kind === "role" &&
          `${pending.user.username} will ${ROLES.find((r) => r.value === pending.role)?.can ?? roleLabel(pending.role)}. They are signed out and sign in again with the new role.`}
        {pending?.kind === "disable" &&
          `${pending.user.username} is signed out at once and cannot sign in; their API tokens stop working until you enable them again.`}
        {pending?.kind === "delete" &&
          `${pending.user.username} can no longer sign in and their API tokens stop working. What they created — runs, models, deployments — stays. This cannot be undone.`}
      </ConfirmModal>
    </>
  );
}
