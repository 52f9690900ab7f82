import { Badge, Button, Code, Table, Text, VisuallyHidden } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { formatDate, timeAgo } from "../../components/format";
import { notifyError, notifySuccess } from "../../components/notify";
import { ConfirmModal } from "./ConfirmModal";

export type Token = components["schemas"]["TokenView"];

type State = "active" | "expired" | "revoked";

export function tokenState(token: Token, now: number = Date.now()): State {
  if (token.revoked_at) return "revoked";
  return new Date(token.expires_at).getTime() <= now ? "expired" : "active";
}

const BADGE: Record<State, { color: string; word: string }> = {
  active: { color: "green", word: "Active" },
  expired: { color: "gray", word: "Expired" },
  revoked: { color: "red", word: "Revoked" },
};

/** Active tokens first, then the newest. */
function ordered(tokens: Token[]): Token[] {
  const rank = (t: Token) => (tokenState(t) === "active" ? 0 : 1);
  return [...tokens].sort((a, b) => rank(a) - rank(b) || b.created_at.localeCompare(a.created_at));
}

function inDays(value: string): string {
  const days = Math.round((new Date(value).getTime() - Date.now()) / 86_400_000);
  if (days < 0) return "";
  if (days === 0) return " (today)";
  return days === 1 ? " (in 1 day)" : ` (in ${days} days)`;
}

/** Tokens as a table, with "Revoke" (after a confirmation) on the ones still working; `owner` is "your" or "vera's". */
export function TokenTable({ tokens, owner }: { tokens: Token[]; owner: string }) {
  const client = useQueryClient();
  const [revoking, setRevoking] = useState<Token | null>(null);
  const revoke = useMutation({
    mutationFn: (token: Token) => unwrap(api.DELETE("/api/auth/tokens/{token_id}", { params: { path: { token_id: token.id } } })),
    onSuccess: (token) => {
      void client.invalidateQueries({ queryKey: ["tokens"] });
      notifySuccess(`“${token.name}” stopped working.`, "Token revoked");
      setRevoking(null);
    },
    onError: (error) => {
      notifyError(error, "The token was not revoked");
      setRevoking(null);
    },
  });

  return (
    <>
      <Table.ScrollContainer minWidth={820}>
        <Table verticalSpacing="sm" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Token</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {ordered(tokens).map((token) => {
              const state = tokenState(token);
              return (
                <Table.Tr key={token.id} data-testid={`token-row-${token.name}`}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {token.name}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Code>{token.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" title={formatDate(token.created_at)}>
                      {timeAgo(token.created_at)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {new Date(token.expires_at).toLocaleDateString()}
                      {state === "active" ? inDays(token.expires_at) : ""}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" title={token.last_used_at ? formatDate(token.last_used_at) : undefined} c={token.last_used_at ? undefined : "dimmed"}>
                      {token.last_used_at ? timeAgo(token.last_used_at) : "Never"}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={BADGE[state].color} variant="light" radius="sm" title={token.revoked_at ? `Revoked ${formatDate(token.revoked_at)}` : undefined}>
                      {BADGE[state].word}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="right">
                    {state === "active" && (
                      <Button size="xs" variant="light" color="red" onClick={() => setRevoking(token)} aria-label={`Revoke ${token.name}`}>
                        Revoke
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ConfirmModal
        opened={revoking !== null}
        onClose={() => !revoke.isPending && setRevoking(null)}
        loading={revoke.isPending}
        onConfirm={() => revoking && revoke.mutate(revoking)}
        title={`Revoke “${revoking?.name ?? ""}”?`}
        confirmLabel="Revoke token"
      >
        Scripts and tools using {owner} token {revoking?.prefix}… stop working at once. This cannot be undone; create a new
        token if they still need access.
      </ConfirmModal>
    </>
  );
}
