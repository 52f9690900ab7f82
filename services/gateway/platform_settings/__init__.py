"""Platform settings (LLM keys, Kubernetes, container registry, artifact store), secrets encrypted."""
