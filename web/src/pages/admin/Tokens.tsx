import { Anchor, Button, Code, Select, Stack, Text } from "@mantine/core";
import { IconKey, IconPlus, IconUserSearch } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { useAuth } from "../../auth/AuthProvider";
import { Empty, PageHeader, QueryState } from "../../components/Page";
import { CreateTokenModal } from "./CreateTokenModal";
import { roleLabel } from "./roles";
import { TokenTable } from "./TokenTable";

/** The signed-in user's own API tokens: create one (shown once), see when each was used, revoke. */
export function MyTokens() {
  const { me } = useAuth();
  const [creating, setCreating] = useState(false);
  const tokens = useQuery({ queryKey: keys.tokens(), queryFn: () => unwrap(api.GET("/api/auth/tokens")) });
  const create = (
    <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={() => setCreating(true)}>
      Create token
    </Button>
  );

  return (
    <>
      <PageHeader
        title="My API tokens"
        description={
          <>
            Scripts, notebooks and the <Code>mlops</Code> command line act as you with a token: send it as{" "}
            <Code>Authorization: Bearer …</Code>. A token can do what your role ({roleLabel(me?.role ?? "")}) can.
          </>
        }
        actions={create}
      />
      <QueryState query={tokens} label="your API tokens">
        {() =>
          (tokens.data ?? []).length === 0 ? (
            <Empty icon={<IconKey size={32} aria-hidden color="var(--mantine-color-dimmed)" />} title="No API tokens yet" action={create}>
              Create a token to use the platform from a script or the command line. You see it once, so keep it somewhere safe.
            </Empty>
          ) : (
            <TokenTable tokens={tokens.data ?? []} owner="your" />
          )
        }
      </QueryState>
      <CreateTokenModal opened={creating} onClose={() => setCreating(false)} />
    </>
  );
}

/** Admins: any user's tokens, to revoke one that leaked or is no longer needed. */
export function AdminTokens() {
  const [params, setParams] = useSearchParams();
  const userId = params.get("user");
  const users = useQuery({
    queryKey: [...keys.users, { limit: 200 }],
    queryFn: () => unwrap(api.GET("/api/users", { params: { query: { limit: 200 } } })),
  });
  const tokens = useQuery({
    queryKey: keys.tokens(userId ?? ""),
    queryFn: () => unwrap(api.GET("/api/users/{user_id}/tokens", { params: { path: { user_id: userId ?? "" } } })),
    enabled: Boolean(userId),
  });
  const chosen = users.data?.items.find((u) => u.id === userId);

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let scripts and tools act as a user. Pick a user to see theirs; revoke one that leaked or is no longer needed — it stops working at once."
      />
      <Stack gap="lg">
        <Select
          label="User"
          placeholder={users.isPending ? "Loading users…" : "Pick a user"}
          data={(users.data?.items ?? []).map((u) => ({ value: u.id, label: `${u.username} (${roleLabel(u.role)}${u.disabled ? ", disabled" : ""})` }))}
          value={userId}
          onChange={(value) => setParams(value ? { user: value } : {}, { replace: true })}
          searchable
          nothingFoundMessage="No user by that name"
          maw={360}
          error={users.isError ? "The users could not be loaded." : undefined}
        />
        {!userId ? (
          <Empty icon={<IconUserSearch size={32} aria-hidden color="var(--mantine-color-dimmed)" />} title="Pick a user">
            Their API tokens show here: when each was created, last used and when it expires. Your own are under{" "}
            <Anchor component={Link} to="/tokens" underline="always">
              My API tokens
            </Anchor>
            .
          </Empty>
        ) : (
          <QueryState query={tokens} label="API tokens">
            {() =>
              (tokens.data ?? []).length === 0 ? (
                <Empty icon={<IconKey size={32} aria-hidden color="var(--mantine-color-dimmed)" />} title={`${chosen?.username ?? "This user"} has no API tokens`}>
                  Users create their own tokens under My API tokens in their user menu.
                </Empty>
              ) : (
                <Stack gap="xs">
                  <Text size="sm" c="dimmed">
                    Tokens of {chosen?.username ?? "this user"}
                  </Text>
                  <TokenTable tokens={tokens.data ?? []} owner={chosen ? `${chosen.username}’s` : "this user’s"} />
                </Stack>
              )
            }
          </QueryState>
        )}
      </Stack>
    </>
  );
}
