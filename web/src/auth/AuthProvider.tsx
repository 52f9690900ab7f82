import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, type ReactNode } from "react";

import { api, onUnauthorized, setCsrfToken, unwrap } from "../api/client";
import { keys } from "../api/keys";
import { ApiError } from "../api/problem";

export type Role = "viewer" | "editor" | "admin";
const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export interface Me {
  user_id: string;
  username: string;
  role: Role;
  via: "session" | "token";
  csrf_token?: string | null;
}

interface Auth {
  me: Me | null;
  loading: boolean;
  signIn: (username: string, password: string) => Promise<Me>;
  signOut: () => Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}

/** Whether the signed-in user has at least this role (the API refuses anyway). */
export function useCan(role: Role): boolean {
  const { me } = useAuth();
  return me !== null && RANK[me.role] >= RANK[role];
}

async function fetchMe(): Promise<Me | null> {
  try {
    return (await unwrap(api.GET("/api/auth/me"))) as Me;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Drop everything cached for the previous user (keeping the "me" query its observers hold). */
function forgetOthers(client: QueryClient): void {
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== keys.me[0] });
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: keys.me, queryFn: fetchMe, staleTime: Infinity, retry: 1 });
  const me = query.data ?? null;

  useEffect(() => setCsrfToken(me?.csrf_token ?? null), [me]);
  useEffect(
    () => onUnauthorized(() => client.setQueryData(keys.me, null)),
    [client],
  );

  const value: Auth = {
    me,
    loading: query.isPending,
    signIn: async (username, password) => {
      const session = (await unwrap(
        api.POST("/api/auth/login", { body: { username, password } }),
      )) as Me;
      setCsrfToken(session.csrf_token ?? null);
      forgetOthers(client);
      client.setQueryData(keys.me, session);
      return session;
    },
    signOut: async () => {
      try {
        await unwrap(api.POST("/api/auth/logout"));
      } finally {
        setCsrfToken(null);
        forgetOthers(client);
        client.setQueryData(keys.me, null);
      }
    },
  };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
