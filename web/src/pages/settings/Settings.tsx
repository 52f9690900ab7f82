import { Alert, Stack, Text } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { keys } from "../../api/keys";
import { useCan } from "../../auth/AuthProvider";
import { PageHeader, QueryState } from "../../components/Page";
import { GroupCard } from "./GroupCard";
import { GROUPS } from "./groups";

/** The platform's connections and credentials, one form per group; only admins change them. */
export function Settings() {
  const isAdmin = useCan("admin");
  const settings = useQuery({ queryKey: keys.settings, queryFn: () => unwrap(api.GET("/api/settings")) });

  return (
    <>
      <PageHeader
        title="Settings"
        description="Keys, clusters and storage the platform uses. Secrets are encrypted and never shown again — only whether they are set and their last characters."
      />
      {!isAdmin && (
        <Alert color="blue" icon={<IconLock size={18} aria-hidden />} mb="lg">
          <Text size="sm" fw={600} span>
            Read only.
          </Text>{" "}
          Only admins can change settings. You can see how the platform is set up; secrets stay hidden.
        </Alert>
      )}
      <QueryState query={settings} label="settings">
        {() =>
          settings.data && (
            <Stack gap="lg">
              {GROUPS.map((group) => (
                <GroupCard key={group.name} group={group} view={settings.data[group.name]} canChange={isAdmin} />
              ))}
            </Stack>
          )
        }
      </QueryState>
    </>
  );
}
