"""The workflow service: Training pipelines, runs, logs, schedules and triggers."""
