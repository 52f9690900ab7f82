import { Badge, type BadgeProps } from "@mantine/core";
import type { ReactNode } from "react";

/**
 * A small neutral label (alias, "best", "follows production"): the words carry the meaning and
 * keep full contrast in both themes; an optional icon adds colour.
 */
export function Tag({ children, icon, size = "sm", ...props }: { children: ReactNode; icon?: ReactNode; size?: BadgeProps["size"] } & Omit<BadgeProps, "children" | "size" | "leftSection">) {
  return (
    <Badge variant="default" radius="sm" tt="none" fw={600} size={size} leftSection={icon} {...props}>
      {children}
    </Badge>
  );
}
