"""What the project knows about incidents, defined once and read by every layer: the fault
types and the remediation kinds that fit each, the score below which nothing is an incident,
and how long before a failure a change is a suspect. The simulator injects these faults, the
server's runbooks and ranking use them, the agents' prompts and the offline analyst read them,
and the evaluation scores with them."""

from .faults import (BREAKING_CHANGES, CHANGE_LOOKBACK, CHANGE_SOON, FAULT_TYPES, FAULTS, INCIDENT_THRESHOLD,
                     PROPOSAL_TOOLS, REMEDIATION_KINDS, Fault)

__all__ = ["BREAKING_CHANGES", "CHANGE_LOOKBACK", "CHANGE_SOON", "FAULTS", "FAULT_TYPES", "INCIDENT_THRESHOLD",
           "PROPOSAL_TOOLS", "REMEDIATION_KINDS", "Fault"]
