"""The infra service: Deployments, monitoring, drift alerts and cluster connections."""
