import { Alert, Button, Center, Code, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";

import { describe } from "../../api/problem";
import { useAuth } from "../../auth/AuthProvider";

export function SignIn() {
  const { me, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const from = (location.state as { from?: string } | null)?.from ?? "/";

  if (me) return <Navigate to={from} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setPending(true);
    try {
      await signIn(username.trim(), password);
      navigate(from, { replace: true });
    } catch (failure) {
      setError(describe(failure));
    } finally {
      setPending(false);
    }
  };

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={400}>
        <form onSubmit={submit} noValidate>
          <Stack>
            <Stack gap={4} align="center">
              <img src="/favicon.svg" alt="" width={40} height={40} />
              <Title order={1} fz={24}>
                Sign in to MLOps
              </Title>
              <Text c="dimmed" size="sm" ta="center">
                Train, register, deploy and watch your models.
              </Text>
            </Stack>
            {error && (
              <Alert color="red" icon={<IconAlertTriangle size={18} aria-hidden />} role="alert">
                {error}
              </Alert>
            )}
            <TextInput
              label="Username"
              autoComplete="username"
              required
              withAsterisk={false}
              value={username}
              onChange={(e) => setUsername(e.currentTarget.value)}
              data-autofocus
              autoFocus
            />
            <PasswordInput
              label="Password"
              autoComplete="current-password"
              required
              withAsterisk={false}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
            />
            <Button type="submit" loading={pending} disabled={!username || !password} fullWidth>
              Sign in
            </Button>
            <Text size="xs" c="dimmed" ta="center">
              First time? Sign in as <Code>admin</Code> with the password <Code>mlops up</Code> printed
              when it started.
            </Text>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
