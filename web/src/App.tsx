import { Center, Loader } from "@mantine/core";
import type { ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";

import { useAuth, useCan, type Role } from "./auth/AuthProvider";
import { Empty } from "./components/Page";
import { Shell } from "./layout/Shell";
import { LiveProvider } from "./live/LiveProvider";
import { AdminTokens, MyTokens } from "./pages/admin/Tokens";
import { Users } from "./pages/admin/Users";
import { Alerts } from "./pages/alerts/Alerts";
import { SignIn } from "./pages/auth/SignIn";
import { Dashboard } from "./pages/dashboard/Dashboard";
import { DeploymentDetail } from "./pages/deployments/DeploymentDetail";
import { Deployments } from "./pages/deployments/Deployments";
import { CompareVersions } from "./pages/registry/CompareVersions";
import { ModelDetail } from "./pages/registry/ModelDetail";
import { Models } from "./pages/registry/Models";
import { RunDetail } from "./pages/runs/RunDetail";
import { Runs } from "./pages/runs/Runs";
import { Settings } from "./pages/settings/Settings";
import { CreateWorkflow } from "./pages/workflows/CreateWorkflow";

function RequireAuth({ children }: { children: ReactNode }) {
  const { me, loading } = useAuth();
  const location = useLocation();
  if (loading) {
    return (
      <Center mih="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (!me) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  return <LiveProvider>{children}</LiveProvider>;
}

function RequireRole({ role, children }: { role: Role; children: ReactNode }) {
  const allowed = useCan(role);
  if (!allowed) {
    return (
      <Empty title="You cannot open this page">
        It needs the {role} role. Ask an admin to change your role in Admin → Users.
      </Empty>
    );
  }
  return <>{children}</>;
}

export function App() {
  return (
    <Routes>
      <Route path="/signin" element={<SignIn />} />
      <Route
        element={
          <RequireAuth>
            <Shell />
          </RequireAuth>
        }
      >
        <Route index element={<Dashboard />} />
        <Route path="workflows/new" element={<RequireRole role="editor"><CreateWorkflow /></RequireRole>} />
        <Route path="runs" element={<Runs />} />
        <Route path="runs/:jobId" element={<RunDetail />} />
        <Route path="models" element={<Models />} />
        <Route path="models/compare" element={<CompareVersions />} />
        <Route path="models/:modelName" element={<ModelDetail />} />
        <Route path="deployments" element={<Deployments />} />
        <Route path="deployments/:deploymentId" element={<DeploymentDetail />} />
        <Route path="alerts" element={<Alerts />} />
        <Route path="settings" element={<Settings />} />
        <Route path="tokens" element={<MyTokens />} />
        <Route path="admin/users" element={<RequireRole role="admin"><Users /></RequireRole>} />
        <Route path="admin/tokens" element={<RequireRole role="admin"><AdminTokens /></RequireRole>} />
        <Route
          path="*"
          element={<Empty title="Page not found">The address does not match any page. Use the menu to find your way.</Empty>}
        />
      </Route>
    </Routes>
  );
}
