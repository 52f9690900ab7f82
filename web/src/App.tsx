import { Center, Loader } from "@mantine/core";
import { lazy, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";

import { useAuth, useCan, type Role } from "./auth/AuthProvider";
import { Empty } from "./components/Page";
import { Shell } from "./layout/Shell";
import { LiveProvider } from "./live/LiveProvider";
import { SignIn } from "./pages/auth/SignIn";

// Each area is its own chunk, loaded when first opened: the first page needs a fraction of the app.
const AdminTokens = lazy(() => import("./pages/admin/Tokens").then((m) => ({ default: m.AdminTokens })));
const MyTokens = lazy(() => import("./pages/admin/Tokens").then((m) => ({ default: m.MyTokens })));
const Users = lazy(() => import("./pages/admin/Users").then((m) => ({ default: m.Users })));
const Alerts = lazy(() => import("./pages/alerts/Alerts").then((m) => ({ default: m.Alerts })));
const Dashboard = lazy(() => import("./pages/dashboard/Dashboard").then((m) => ({ default: m.Dashboard })));
const DeploymentDetail = lazy(() => import("./pages/deployments/DeploymentDetail").then((m) => ({ default: m.DeploymentDetail })));
const Deployments = lazy(() => import("./pages/deployments/Deployments").then((m) => ({ default: m.Deployments })));
const CompareVersions = lazy(() => import("./pages/registry/CompareVersions").then((m) => ({ default: m.CompareVersions })));
const ModelDetail = lazy(() => import("./pages/registry/ModelDetail").then((m) => ({ default: m.ModelDetail })));
const Models = lazy(() => import("./pages/registry/Models").then((m) => ({ default: m.Models })));
const RunDetail = lazy(() => import("./pages/runs/RunDetail").then((m) => ({ default: m.RunDetail })));
const Runs = lazy(() => import("./pages/runs/Runs").then((m) => ({ default: m.Runs })));
const Settings = lazy(() => import("./pages/settings/Settings").then((m) => ({ default: m.Settings })));
const CreateWorkflow = lazy(() => import("./pages/workflows/CreateWorkflow").then((m) => ({ default: m.CreateWorkflow })));

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
