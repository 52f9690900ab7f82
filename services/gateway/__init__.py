"""The gateway: the only HTTP entry for people and machines (REST, WebSocket, web UI)."""
