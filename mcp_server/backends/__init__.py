"""Telemetry backends behind the tools. The simulator is the default; real systems plug in
through the same `TelemetryBackend` protocol."""
