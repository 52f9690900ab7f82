import type { components } from "../../api/schema";

export type User = components["schemas"]["UserView"];
export type Role = User["role"];

export const ROLES: { value: Role; label: string; description: string; can: string }[] = [
  { value: "viewer", label: "Viewer", description: "Reads everything but secrets.", can: "only be able to read (everything but secrets)" },
  {
    value: "editor",
    label: "Editor",
    description: "Also trains, registers, deploys, promotes and handles alerts.",
    can: "be able to train, register, deploy, promote and handle alerts",
  },
  {
    value: "admin",
    label: "Admin",
    description: "Also manages users, settings and infrastructure.",
    can: "be able to do everything, including managing users and settings",
  },
];

export function roleLabel(role: string): string {
  return ROLES.find((r) => r.value === role)?.label ?? role;
}

/** The role with its article, for sentences: "an editor". */
export function aRole(role: string): string {
  const word = roleLabel(role).toLowerCase();
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}
