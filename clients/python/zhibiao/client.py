"""The zhibiao client: every call of the suite's IngestService and QueryService
as a Python method, answers as pandas DataFrames, errors as zhibiao.Error.

Talks to ingest and query over gRPC with the stubs build_stubs.sh generates
from proto/; knows nothing of the C++ tree.
"""

import os
import sys
from pathlib import Path

import grpc

from . import frames
from .errors import Error, invalid_argument, raise_from_rpc
from .frames import KINDS

try:
    from .v1 import aggregate_pb2, ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc
    from .v1 import report_pb2, storage_pb2
    from ._health import health_pb2
except ImportError as e:  # the stubs are generated, never checked in
    raise ImportError(
        "zhibiao: the gRPC stubs are missing; run clients/python/build_stubs.sh first") from e

DEFAULT_INGEST = "127.0.0.1:7401"
DEFAULT_QUERY = "127.0.0.1:7402"
# What ingest_folder sends by default: the formats ingest reads.
DOCUMENT_SUFFIXES = (".txt", ".text", ".htm", ".html", ".pdf", ".docx")

# Enum values by their short lower-case names, as the CLI spells them
# (result_levels, as_stated, period_end, weighted_avg).
FIGURES = frames.short_names(query_pb2.MetricFigures, "METRIC_FIGURES_")
QUALIFIED = frames.short_names(aggregate_pb2.QualifiedValues, "QUALIFIED_VALUES_")
GROUP_BY = frames.short_names(aggregate_pb2.GroupBy, "GROUP_BY_")
AGGREGATIONS = frames.short_names(query_pb2.Aggregation, "AGGREGATION_")
CHANGES = {
    "levels": aggregate_pb2.CHANGE_FILTER_LEVELS_ONLY,
    "changes": aggregate_pb2.CHANGE_FILTER_CHANGES_ONLY,
}
HINT_FIELDS = ("region_code", "report_year", "kind", "issuer", "published_date", "source_url", "title")


def _choice(name, value, table):
    if value not in table:
        raise invalid_argument(f"{name}: {value!r} is not one of {', '.join(table)}")
    return table[value]


def _listed(value):
    """None, one value or several: always a list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def read_env_file(path):
    """The KEY=VALUE lines of `zhibiao up`'s DATA_DIR/run/env."""
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values


class Client:
    """A connection to one zhibiao suite.

    target: the query service ("host:port", or "ipv4:a:p,b:q" for several
    replicas, balanced round robin); ingest_target: the ingest service. Both
    default to ZHIBIAO_QUERY_ADDR / ZHIBIAO_INGEST_ADDR, then to the local
    defaults of `zhibiao up`. token: the bearer token (default: the file named
    by ZHIBIAO_TOKEN_FILE, else none). tls_ca: PEM CA bundle (path or bytes)
    to call the services over TLS (default ZHIBIAO_TLS_CA, else plaintext).
    timeout: seconds each call may take.
    """

    def __init__(self, target=None, token=None, tls_ca=None, *, ingest_target=None, timeout=30.0):
        self.target = target or os.environ.get("ZHIBIAO_QUERY_ADDR") or DEFAULT_QUERY
        self.ingest_target = ingest_target or os.environ.get("ZHIBIAO_INGEST_ADDR") or DEFAULT_INGEST
        self.timeout = timeout
        if token is None and os.environ.get("ZHIBIAO_TOKEN_FILE"):
            token = Path(os.environ["ZHIBIAO_TOKEN_FILE"]).read_text(encoding="utf-8").strip()
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        tls_ca = tls_ca if tls_ca is not None else os.environ.get("ZHIBIAO_TLS_CA") or None
        self._credentials = None
        if tls_ca is not None:
            pem = tls_ca if isinstance(tls_ca, bytes) else Path(tls_ca).read_bytes()
            self._credentials = grpc.ssl_channel_credentials(root_certificates=pem)
        self._query_channel = self._channel(self.target)
        self._ingest_channel = self._channel(self.ingest_target)
        self._query = query_pb2_grpc.QueryServiceStub(self._query_channel)
        self._ingest = ingest_pb2_grpc.IngestServiceStub(self._ingest_channel)
        self._region_names = {}

    @classmethod
    def from_run_dir(cls, run_dir, **kwargs):
        """A client for the suite `zhibiao up --data_dir=D` started (run_dir: D/run)."""
        env = read_env_file(Path(run_dir) / "env")
        return cls(env.get("ZHIBIAO_QUERY_ADDR"), ingest_target=env.get("ZHIBIAO_INGEST_ADDR"), **kwargs)

    def _channel(self, target):
        options = [("grpc.lb_policy_name", "round_robin"),
                   ("grpc.max_receive_message_length", 64 << 20),
                   ("grpc.max_send_message_length", 64 << 20)]
        if self._credentials is not None:
            return grpc.secure_channel(target, self._credentials, options=options)
        return grpc.insecure_channel(target, options=options)

    def close(self):
        self._query_channel.close()
        self._ingest_channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, request, timeout=None):
        try:
            return method(request, timeout=timeout or self.timeout, metadata=self._metadata)
        except grpc.RpcError as e:
            raise_from_rpc(e)

    # ---- health --------------------------------------------------------

    def health(self):
        """Every service's grpc.health.v1 status: service, address, status."""
        rows = []
        for name, channel, address, service in (
                ("ingest", self._ingest_channel, self.ingest_target, "zhibiao.v1.IngestService"),
                ("query", self._query_channel, self.target, "zhibiao.v1.QueryService")):
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                                        response_deserializer=health_pb2.HealthCheckResponse.FromString)
            try:
                reply = check(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout)
                status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.RpcError as e:
                status = f"{e.code().name}: {e.details()}"
            rows.append({"service": name, "address": address, "status": status})
        return frames.table(rows, {"service": "string", "address": "string", "status": "string"})

    # ---- ingest --------------------------------------------------------

    @staticmethod
    def _hints(hints):
        message = report_pb2.ReportHints()
        for key, value in (hints or {}).items():
            if key not in HINT_FIELDS:
                raise invalid_argument(f"hints: unknown field {key!r} (one of {', '.join(HINT_FIELDS)})")
            if key == "kind":
                value = _choice("hints kind", value, KINDS)
            setattr(message, key, value)
        return message

    def _ingest_request(self, document, source_name, hints, labels):
        if isinstance(document, (bytes, bytearray)):
            content, name = bytes(document), source_name or ""
        else:
            path = Path(document)
            content, name = path.read_bytes(), source_name or path.name
        return ingest_pb2.IngestRequest(content=content, source_name=name, hints=self._hints(hints),
                                        labels=dict(labels or {}))

    def ingest(self, document, *, source_name=None, hints=None, labels=None):
        """Stores one document (a path or its bytes). hints: what you know of it
        (region_code, report_year, kind, issuer, published_date, source_url,
        title), winning over the text. Returns a dict: report_id, status
        (stored, unchanged or replaced), indicators, sections, shard, region,
        year, kind, title, warnings."""
        request = self._ingest_request(document, source_name, hints, labels)
        reply = self._call(self._ingest.Ingest, request, timeout=max(self.timeout, 120.0))
        return frames.ingest_result(request.source_name, reply)

    def ingest_folder(self, folder, *, suffixes=DOCUMENT_SUFFIXES, recursive=True, progress=None,
                      hints=None, labels=None):
        """Stores every document under `folder` whose name ends in one of
        `suffixes` (other files, README.md or *.jsonl, are left alone) on one
        IngestStream. A progress bar on a terminal (progress=True/False to
        choose). One row per file: file, report_id, status, indicators,
        sections, region_code, region, year, kind, code (the gRPC status name,
        OK when stored), error; a document that fails is a row with its code
        and error, not an exception."""
        root = Path(folder)
        if not root.is_dir():
            raise invalid_argument(f"ingest_folder: {folder} is not a folder")
        walk = root.rglob("*") if recursive else root.glob("*")
        files = sorted(p for p in walk if p.is_file() and p.name.lower().endswith(tuple(suffixes)))
        if progress is None:
            progress = sys.stderr.isatty()
        bar = None
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=len(files), unit="doc", desc="ingest", file=sys.stderr)

        def requests():
            for path in files:
                yield self._ingest_request(path, str(path), hints, labels)

        rows = []
        try:
            stream = self._ingest.IngestStream(requests(), timeout=max(self.timeout, 30.0 * max(1, len(files))),
                                               metadata=self._metadata)
            for result in stream:
                rows.append(frames.stream_result(result))
                if bar is not None:
                    bar.update(1)
        except grpc.RpcError as e:
            raise_from_rpc(e)
        finally:
            if bar is not None:
                bar.close()
        return frames.ingest_table(rows)

    # ---- reports -------------------------------------------------------

    def reports(self, region=None, province=None, year=None, issuer=None):
        """Report metadata from every shard, one row per report (all pages)."""
        request = storage_pb2.ListReportsRequest(region_code=region or "", province_code=province or "",
                                                 year=year or 0, issuer=issuer or "", page_size=1000)
        metas = []
        while True:
            page = self._call(self._query.ListReports, request)
            metas.extend(page.reports)
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        for meta in metas:
            if meta.region.code:
                self._region_names[meta.region.code] = meta.region.name
        return frames.reports_table(metas)

    def report(self, report_id):
        """One stored report: .meta (dict), .sections and .indicators (DataFrames), .text."""
        reply = self._call(self._query.GetReport, storage_pb2.GetReportRequest(report_id=report_id))
        return frames.ReportView(reply.report)

    def section(self, report_id, section):
        """One section ("7.2" or "七.(二)"): a dict with section_id, path, heading,
        text, title (of the report) and children (a list of dicts)."""
        reply = self._call(self._query.GetSection, query_pb2.GetSectionRequest(report_id=report_id, section=section))
        return frames.section_dict(reply)

    def metrics(self, region=None, province=None, year=None):
        """Taxonomy keys with how many stored indicators carry each, per unit."""
        request = query_pb2.ListMetricsRequest(filter=self._filter(region=region, province=province, year=year))
        return frames.metrics_table(self._call(self._query.ListMetrics, request))

    def regions(self, year=None, kind=None, metric=None, province=None):
        """The regions with stored figures: reports, figures and the years they report on."""
        request = query_pb2.ListRegionsRequest(
            filter=self._filter(year=year, kind=kind, metric=metric, province=province))
        return frames.regions_table(self._call(self._query.ListRegions, request))

    # ---- questions -----------------------------------------------------

    @staticmethod
    def _filter(metric=None, subject=None, region=None, province=None, year=None, unit=None, kind=None,
                report=None, targets=None, change=None, period_end=None):
        f = aggregate_pb2.IndicatorFilter(subject_contains=subject or "")
        f.metric_keys.extend(_listed(metric))
        f.region_codes.extend(_listed(region))
        f.province_codes.extend(_listed(province))
        f.years.extend(int(y) for y in _listed(year))
        f.units.extend(_listed(unit))
        f.report_ids.extend(_listed(report))
        f.period_end_years.extend(int(y) for y in _listed(period_end))
        f.document_kinds.extend(_choice("kind", k, KINDS) for k in _listed(kind))
        if targets is not None:
            if targets == "exclude":
                f.exclude_targets = True
            elif targets == "only":
                f.targets_only = True
            else:
                raise invalid_argument(f"targets: {targets!r} is not 'exclude' or 'only'")
        if change is not None:
            f.change = _choice("change", change, CHANGES)
        return f

    def aggregate(self, metric=None, *, subject=None, region=None, province=None, year=None, unit=None,
                  kind=None, report=None, targets=None, change=None, period_end=None, group_by=(),
                  aggregations=(), percentiles=(), order_by=None, descending=False, split_by_unit=False,
                  qualified=None, include_superseded=False, allow_partial=False):
        """Count, sum, mean, min and max per group and unit (every page). One
        column per group_by dimension (metric, region, province, year,
        subject, report, period_end), then unit, count and the figures."""
        group_by = _listed(group_by)
        request = query_pb2.AggregateRequest(
            filter=self._filter(metric, subject, region, province, year, unit, kind, report, targets, change,
                                period_end),
            descending=descending, split_by_unit=split_by_unit, include_superseded=include_superseded,
            allow_partial=allow_partial, page_size=10000)
        request.group_by.extend(_choice("group_by", g, GROUP_BY) for g in group_by)
        request.aggregations.extend(_choice("aggregations", a, AGGREGATIONS) for a in _listed(aggregations))
        request.percentiles.extend(float(p) for p in _listed(percentiles))
        if order_by is not None:
            request.order_by = _choice("order_by", order_by, AGGREGATIONS)
        if qualified is not None:
            request.qualified_values = _choice("qualified", qualified, QUALIFIED)
        rows, scanned, missing = [], 0, []
        while True:
            page = self._call(self._query.Aggregate, request)
            rows.extend(page.rows)
            scanned += page.indicators_scanned
            missing.extend(page.missing_shards)
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        return frames.aggregate_table(rows, group_by, list(request.percentiles), scanned, missing)

    def _metric_options(self, figures, kind, unit, qualified, include_superseded, allow_partial):
        options = query_pb2.MetricQueryOptions(unit=unit or "", include_superseded=include_superseded,
                                               allow_partial=allow_partial,
                                               figures=_choice("figures", figures, FIGURES))
        options.document_kinds.extend(_choice("kind", k, KINDS) for k in _listed(kind))
        if qualified is not None:
            options.qualified_values = _choice("qualified", qualified, QUALIFIED)
        return options

    def _names_for(self, codes):
        if any(code and code not in self._region_names for code in codes):
            self.reports()  # names of the regions stored reports are of
        return self._region_names

    def rank(self, metric, year, *, k=10, bottom=False, province=None, figures="result_levels", kind=None,
             unit=None, qualified=None, include_superseded=False, allow_partial=False):
        """The top (or bottom) k regions for a metric in a year: rank,
        region_code, region, province_code, value, unit, count. figures:
        result_levels, result_changes, target_levels or target_changes."""
        request = query_pb2.RankRequest(metric_key=metric, year=int(year), k=k, bottom=bottom,
                                        options=self._metric_options(figures, kind, unit, qualified,
                                                                     include_superseded, allow_partial))
        request.province_codes.extend(_listed(province))
        reply = self._call(self._query.Rank, request)
        return frames.rank_table(reply, self._names_for([r.region_code for r in reply.regions]))

    def series(self, metric, region, *, from_year=0, to_year=0, figures="result_levels", kind=None, unit=None,
               qualified=None, include_superseded=False, allow_partial=False):
        """One region's values of a metric over the years: year, value, unit, count, report_ids."""
        request = query_pb2.TimeSeriesRequest(metric_key=metric, region_code=region, from_year=from_year,
                                              to_year=to_year,
                                              options=self._metric_options(figures, kind, unit, qualified,
                                                                           include_superseded, allow_partial))
        return frames.series_table(self._call(self._query.TimeSeries, request))

    def compare(self, metric, base_year, year, *, region=None, province=None, figures="result_levels",
                kind=None, unit=None, qualified=None, include_superseded=False, allow_partial=False):
        """A metric per region in two years: region_code, region, province_code,
        base_value, value, absolute_change, relative_change, unit."""
        request = query_pb2.CompareRequest(metric_key=metric, base_year=int(base_year), year=int(year),
                                           options=self._metric_options(figures, kind, unit, qualified,
                                                                        include_superseded, allow_partial))
        request.region_codes.extend(_listed(region))
        request.province_codes.extend(_listed(province))
        reply = self._call(self._query.Compare, request)
        return frames.compare_table(reply, self._names_for([r.region_code for r in reply.regions]))

    def search(self, *words, metric=None, region=None, province=None, year=None, kind=None, limit=200):
        """Indicators whose subject holds every word, with their sentences and
        reports (at most `limit` rows, following pages)."""
        if not words:
            raise invalid_argument("search: give at least one word")
        request = storage_pb2.SearchIndicatorsRequest(
            filter=self._filter(metric=metric, region=region, province=province, year=year, kind=kind),
            page_size=min(limit, 1000))
        request.words.extend(words)
        hits = []
        while len(hits) < limit:
            page = self._call(self._query.SearchIndicators, request)
            hits.extend(page.hits)
            if not page.next_page_token:
                break
            request.page_token = page.next_page_token
        return frames.search_table(hits[:limit])


__all__ = ["Client", "Error", "KINDS", "FIGURES", "DOCUMENT_SUFFIXES", "read_env_file"]
