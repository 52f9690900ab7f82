"""The registry service: Registered models, versions, stages, aliases, lineage and artifacts."""
