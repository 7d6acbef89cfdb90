"""What the project knows about incidents, defined once and read by every layer: the fault
types and the remediation kinds that fit each, and the score below which nothing is an
incident. The simulator injects these faults, the server's runbooks and ranking use them,
the agents' prompts and the offline analyst read them, and the evaluation scores with them."""

from .faults import BREAKING_CHANGES, FAULT_TYPES, FAULTS, INCIDENT_THRESHOLD, PROPOSAL_TOOLS, REMEDIATION_KINDS, Fault

__all__ = ["BREAKING_CHANGES", "FAULTS", "FAULT_TYPES", "INCIDENT_THRESHOLD", "PROPOSAL_TOOLS", "REMEDIATION_KINDS",
           "Fault"]
