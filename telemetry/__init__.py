"""The telemetry port: record models and the backend protocol.

Simulators produce these records, backends serve them, MCP tools read them. Nothing here
imports MCP, so the simulator and the exporters stay usable on their own.
"""
