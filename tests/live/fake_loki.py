"""A fake Loki that follows the documented HTTP API, fed with a `/loki/api/v1/push` body.

`/loki/api/v1/query_range` (log queries: `limit` (default 100, at most 5000), `direction`,
start inclusive and end exclusive; metric queries: `step`, at most 11,000 points and 500
series), `/loki/api/v1/labels`, `/loki/api/v1/label/<name>/values`, `/loki/api/v1/series`,
`/ready`. LogQL subset: stream selectors (at least one matcher that cannot match empty),
line filters (`|=`, `!=`, `|~`, `!~`), label filters (`| name op "value"`), and
`sum by (...) (count_over_time(<log query> [range]))`, a range counting `(t - range, t]`.
Structured metadata comes back merged into the stream labels, or, with the header
`X-Loki-Response-Encoding-Flags: categorize-labels`, as each entry's third element.
Errors are plain text with status 400, as Loki answers them.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

MAX_ENTRIES = 5000
MAX_POINTS = 11000
MAX_SERIES = 500
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d)")
_UNITS_NS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9, "d": 86400 * 10**9}


class LogQLError(ValueError):
    pass


@dataclass
class Entry:
    ts: int  # ns
    stream: dict[str, str]
    line: str
    metadata: dict[str, str]


def _matcher(op: str, value: str):
    if op == "=":
        return lambda v: v == value
    if op == "!=":
        return lambda v: v != value
    regex = re.compile(value)
    if op == "=~":
        return lambda v: regex.fullmatch(v) is not None
    return lambda v: regex.fullmatch(v) is None


class _Parser:
    """Recursive descent over the LogQL subset the docstring lists."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def fail(self, what: str) -> LogQLError:
        return LogQLError(f"parse error at line 1, col {self.pos + 1}: syntax error: {what}")

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, token: str) -> bool:
        self.ws()
        return self.text.startswith(token, self.pos)

    def take(self, token: str) -> None:
        if not self.peek(token):
            raise self.fail(f"expected {token!r}")
        self.pos += len(token)

    def ident(self) -> str:
        self.ws()
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*").match(self.text, self.pos)
        if not m:
            raise self.fail("expected an identifier")
        self.pos = m.end()
        return m.group(0)

    def string(self) -> str:
        self.ws()
        if self.peek("`"):
            end = self.text.index("`", self.pos + 1)
            value, self.pos = self.text[self.pos + 1:end], end + 1
            return value
        m = re.compile(r'"(?:[^"\\]|\\.)*"').match(self.text, self.pos)
        if not m:
            raise self.fail("expected a string")
        self.pos = m.end()
        return json.loads(m.group(0))

    def op(self, choices: tuple[str, ...]) -> str:
        self.ws()
        for choice in choices:
            if self.text.startswith(choice, self.pos):
                self.pos += len(choice)
                return choice
        raise self.fail(f"expected one of {choices}")

    def query(self):
        if self.peek("sum"):
            self.take("sum")
            by = self.grouping() if self.peek("by") else None
            self.take("(")
            inner = self.query()
            self.take(")")
            if by is None and self.peek("by"):
                by = self.grouping()
            return ("sum", by or [], inner)
        if self.peek("count_over_time"):
            self.take("count_over_time")
            self.take("(")
            log = self.log_query()
            self.take("[")
            self.ws()
            m = re.compile(r"(\d+)(ms|s|m|h|d)").match(self.text, self.pos)
            if not m:
                raise self.fail("expected a duration")
            self.pos = m.end()
            self.take("]")
            self.take(")")
            return ("count", int(m.group(1)) * _UNITS_NS[m.group(2)], log)
        return self.log_query()

    def grouping(self) -> list[str]:
        self.take("by")
        self.take("(")
        names = [self.ident()]
        while self.peek(","):
            self.take(",")
            names.append(self.ident())
        self.take(")")
        return names

    def log_query(self):
        self.take("{")
        matchers = []
        while True:
            name = self.ident()
            op = self.op(("=~", "!~", "!=", "="))
            matchers.append((name, op, self.string()))
            if self.peek("}"):
                break
            self.take(",")
        self.take("}")
        if not any(not _matcher(op, value)("") for _, op, value in matchers if op in ("=", "=~")):
            raise LogQLError('queries require at least one regexp or equality matcher that does not have an '
                             'empty-compatible value. For instance, app=~".*" does not meet this requirement, '
                             'but app=~".+" will')
        stages = []
        while True:
            if self.peek("|=") or self.peek("|~") or self.peek("!=") or self.peek("!~"):
                op = self.op(("|=", "|~", "!=", "!~"))
                stages.append(("line", op, self.string()))
            elif self.peek("|"):
                self.take("|")
                name = self.ident()
                op = self.op(("=~", "!~", "!=", "="))
                stages.append(("label", name, op, self.string()))
            else:
                break
        return ("log", [(n, _matcher(op, v)) for n, op, v in matchers], stages)

    def parse(self):
        tree = self.query()
        self.ws()
        if self.pos != len(self.text):
            raise self.fail(f"unexpected {self.text[self.pos:self.pos + 10]!r}")
        return tree


def _line_filter(op: str, value: str):
    if op == "|=":
        return lambda line: value in line
    if op == "!=":
        return lambda line: value not in line
    regex = re.compile(value)
    return (lambda line: regex.search(line) is not None) if op == "|~" else (lambda line: regex.search(line) is None)


def _timestamp(text: str | None, default: int) -> int:
    """ns; Loki also reads seconds (up to ten digits, or with a fraction)."""
    if text is None:
        return default
    if "." in text:
        return int(float(text) * 1e9)
    value = int(text)
    return value * 10**9 if len(text) <= 10 else value


def _step_ns(text: str | None, start: int, end: int) -> int:
    if text is None:
        return max(10**9, (end - start) // 250)
    m = _DURATION.fullmatch(text)
    return int(m.group(1)) * _UNITS_NS[m.group(2)] if m else int(float(text) * 1e9)


class FakeLoki:
    """`categorize=False` plays a Loki older than 3.0, which ignores the encoding header."""

    def __init__(self, push_body: dict, categorize: bool = True) -> None:
        self.categorize = categorize
        self.entries: list[Entry] = []
        for stream in push_body["streams"]:
            for value in stream["values"]:
                self.entries.append(Entry(int(value[0]), dict(stream["stream"]), value[1],
                                          dict(value[2]) if len(value) > 2 else {}))
        self.entries.sort(key=lambda e: e.ts)
        self.app = Starlette(routes=[
            Route("/loki/api/v1/query_range", self.query_range),
            Route("/loki/api/v1/labels", self.labels),
            Route("/loki/api/v1/label/{name}/values", self.label_values),
            Route("/loki/api/v1/series", self.series),
            Route("/ready", lambda r: PlainTextResponse("ready")),
        ])

    def _select(self, log, start: int, end: int) -> list[Entry]:
        _, matchers, stages = log
        line_filters = [_line_filter(op, v) for kind, op, v in ((s[0], s[1], s[2]) for s in stages if s[0] == "line")]
        label_filters = [(s[1], _matcher(s[2], s[3])) for s in stages if s[0] == "label"]
        out = []
        for e in self.entries:
            if not start <= e.ts < end:
                continue
            if not all(test(e.stream.get(name, "")) for name, test in matchers):
                continue
            if not all(test(e.line) for test in line_filters):
                continue
            labels = {**e.stream, **e.metadata}
            if all(test(labels.get(name, "")) for name, test in label_filters):
                out.append(e)
        return out

    async def query_range(self, request: Request):
        q = request.query_params
        try:
            tree = _Parser(q.get("query", "")).parse()
            end = _timestamp(q.get("end"), self.entries[-1].ts + 1)
            start = _timestamp(q.get("start"), end - 3600 * 10**9)
            if tree[0] == "log":
                return self._logs(request, tree, start, end)
            return self._metric(tree, start, end, _step_ns(q.get("step"), start, end))
        except (LogQLError, re.error, ValueError) as exc:
            return PlainTextResponse(str(exc), status_code=400)

    def _logs(self, request: Request, tree, start: int, end: int):
        limit = int(request.query_params.get("limit", "100"))
        if limit > MAX_ENTRIES:
            raise LogQLError(f"max entries limit per query exceeded, limit > max_entries_limit_per_query "
                             f"({limit} > {MAX_ENTRIES})")
        backward = request.query_params.get("direction", "backward") == "backward"
        chosen = sorted(self._select(tree, start, end), key=lambda e: e.ts, reverse=backward)[:limit]
        categorize = self.categorize and "categorize-labels" in request.headers.get("X-Loki-Response-Encoding-Flags",
                                                                                    "")
        streams: dict[tuple, list] = defaultdict(list)
        for e in chosen:
            labels = e.stream if categorize else {**e.stream, **e.metadata}
            value = [str(e.ts), e.line] + ([{"structuredMetadata": e.metadata}] if categorize else [])
            streams[tuple(sorted(labels.items()))].append(value)
        data = {"resultType": "streams",
                "result": [{"stream": dict(k), "values": v} for k, v in streams.items()],
                "stats": {"summary": {"totalEntriesReturned": len(chosen)}}}
        if categorize:
            data["encodingFlags"] = ["categorize-labels"]
        return JSONResponse({"status": "success", "data": data})

    def _metric(self, tree, start: int, end: int, step: int):
        if (end - start) // step + 1 > MAX_POINTS:
            raise LogQLError("exceeded maximum resolution of 11,000 points per time series. Try increasing the "
                             "value of the step parameter")
        by = None
        if tree[0] == "sum":
            _, by, tree = tree
        if tree[0] != "count":
            raise LogQLError("parse error: only count_over_time is supported by this fake")
        _, window, log = tree
        entries = self._select(log, start - window, end + 1)
        series: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for e in entries:
            labels = {**e.stream, **e.metadata}
            key = tuple(sorted(labels.items())) if by is None else tuple((n, labels[n]) for n in by if labels.get(n))
            # every evaluation t with t - window < ts <= t
            k_lo = max(0, -(-(e.ts - start) // step))
            k_hi = (e.ts + window - 1 - start) // step
            for k in range(k_lo, k_hi + 1):
                t = start + k * step
                if t <= end:
                    series[key][t] += 1
        if len(series) > MAX_SERIES:
            raise LogQLError(f"maximum of series ({MAX_SERIES}) reached for a single query")
        result = [{"metric": dict(key), "values": [[t / 1e9, str(n)] for t, n in sorted(points.items())]}
                  for key, points in series.items()]
        return JSONResponse({"status": "success", "data": {"resultType": "matrix", "result": result}})

    def _window(self, request: Request) -> tuple[int, int]:
        q = request.query_params
        end = _timestamp(q.get("end"), self.entries[-1].ts + 1)
        return _timestamp(q.get("start"), end - 6 * 3600 * 10**9), end

    async def labels(self, request: Request):
        start, end = self._window(request)
        names = sorted({k for e in self.entries if start <= e.ts < end for k in e.stream})
        return JSONResponse({"status": "success", "data": names})

    async def label_values(self, request: Request):
        start, end = self._window(request)
        name = request.path_params["name"]
        values = sorted({e.stream[name] for e in self.entries if start <= e.ts < end and name in e.stream})
        return JSONResponse({"status": "success", "data": values})

    async def series(self, request: Request):
        matches = request.query_params.getlist("match[]")
        if not matches:
            return PlainTextResponse("at least one match[] argument is required", status_code=400)
        start, end = self._window(request)
        found = set()
        try:
            for match in matches:
                log = _Parser(match).log_query()
                found |= {tuple(sorted(e.stream.items())) for e in self._select(log, start, end)}
        except (LogQLError, re.error) as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return JSONResponse({"status": "success", "data": [dict(s) for s in sorted(found)]})
