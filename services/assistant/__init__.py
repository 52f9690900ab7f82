"""The assistant service: Chat with an LLM that calls the platform's own tools."""
