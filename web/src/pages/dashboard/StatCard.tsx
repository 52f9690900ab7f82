import { Card, Group, Loader, Stack, Text, ThemeIcon, UnstyledButton, type MantineColor } from "@mantine/core";
import type { ReactNode } from "react";
import { Link } from "react-router";

import classes from "./dashboard.module.css";

/** A number with its label, an icon and an optional line or chart below; the whole card links on. */
export function StatCard({
  testId,
  label,
  value,
  icon,
  color,
  to,
  hint,
  loading,
  compact,
  children,
}: {
  testId: string;
  label: string;
  value: ReactNode;
  icon: ReactNode;
  color: MantineColor;
  to: string;
  hint?: ReactNode;
  loading?: boolean;
  /** Three to a row even on a phone: the hint and icon show from the small breakpoint up. */
  compact?: boolean;
  children?: ReactNode;
}) {
  return (
    <UnstyledButton component={Link} to={to} data-testid={testId} className={classes.cardLink}>
      <Card withBorder p={compact ? { base: "sm", sm: "md" } : "md"} radius="md" h="100%" className={classes.card}>
        <Stack gap={6}>
          <Group justify="space-between" wrap="nowrap" align="flex-start">
            <Text size="sm" c="dimmed" fw={500}>
              {label}
            </Text>
            <ThemeIcon variant="light" color={color} size="md" radius="md" aria-hidden visibleFrom={compact ? "sm" : undefined}>
              {icon}
            </ThemeIcon>
          </Group>
          <Text fz={compact ? { base: 24, sm: 30 } : 30} fw={700} lh={1.1}>
            {loading ? <Loader size="xs" aria-label={`Loading ${label.toLowerCase()}`} /> : value}
          </Text>
          {hint && (
            <Text size="xs" c="dimmed" visibleFrom={compact ? "sm" : undefined}>
              {hint}
            </Text>
          )}
          {children}
        </Stack>
      </Card>
    </UnstyledButton>
  );
}
