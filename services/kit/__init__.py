"""What every service is built from: settings, bus, consumer loop, unit of work and outbox,
telemetry and health endpoints. It knows no domain."""

__version__ = "0.1.0"
