"""Where trainer jobs run: local child processes now, Kubernetes Jobs later (same interface)."""
