"""The files layout: what `aiops-mcp export` and the importers write, and what the files
backend serves. One module per file format, each with its writer and its reader:

    metrics.om            OpenMetrics text (`promtool tsdb create-blocks-from openmetrics`)
    alerts.json           Alertmanager v2 postable alerts
    logs.jsonl            one JSON object per log line
    traces.otlp.json      OTLP/JSON ExportTraceServiceRequest
    deployments.json      change history
    topology.json         services, dependencies, the time range covered
    rules.yml             (write-only) the alerting rules behind alerts.json, for Prometheus
    loki-push.json        (write-only) a Loki /loki/api/v1/push body of the log lines

Any other file in a directory is never opened by the reader.
"""

from .directory import load_directory, write_directory
from .files import SERVED_FILES, LayoutError

__all__ = ["SERVED_FILES", "LayoutError", "load_directory", "write_directory"]
