import { Button, Group } from "@mantine/core";
import { IconBell, IconBox, IconListDetails, IconPlus, IconRocket } from "@tabler/icons-react";
import { Link } from "react-router";

import { useCan } from "../../auth/AuthProvider";

/** The places people go from here. */
export function QuickLinks() {
  const canEdit = useCan("editor");
  return (
    <Group component="nav" aria-label="Quick links" gap="xs" mb="lg">
      {canEdit && (
        <Button component={Link} to="/workflows/new" leftSection={<IconPlus size={16} aria-hidden />}>
          New workflow
        </Button>
      )}
      <Button component={Link} to="/runs" variant="default" leftSection={<IconListDetails size={16} aria-hidden />}>
        Runs
      </Button>
      <Button component={Link} to="/models" variant="default" leftSection={<IconBox size={16} aria-hidden />}>
        Registry
      </Button>
      <Button component={Link} to="/deployments" variant="default" leftSection={<IconRocket size={16} aria-hidden />}>
        Deployments
      </Button>
      <Button component={Link} to="/alerts" variant="default" leftSection={<IconBell size={16} aria-hidden />}>
        Alerts
      </Button>
    </Group>
  );
}
