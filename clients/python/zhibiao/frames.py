"""Answers of the suite as pandas DataFrames with typed columns.

Enums become their short lower-case names (work_report, exact, increase),
int64 fields Python ints, years nullable integers ("Int64": a report without
a known year has <NA>, not 0), timestamps datetime64 in UTC.
"""

import grpc
import pandas as pd

from .v1 import ingest_pb2, report_pb2

# Report kinds by the names the CLI and the hints use.
KINDS = {
    "rule_of_law": report_pb2.DOCUMENT_KIND_RULE_OF_LAW_REPORT,
    "work_report": report_pb2.DOCUMENT_KIND_GOVERNMENT_WORK_REPORT,
    "statistics": report_pb2.DOCUMENT_KIND_STATISTICAL_BULLETIN,
    "other": report_pb2.DOCUMENT_KIND_OTHER,
}
_KIND_NAMES = {value: name for name, value in KINDS.items()}


def _enum_name(enum_type, value, prefix):
    """QUALIFIER_AT_LEAST -> at_least; the unspecified value -> ""."""
    name = enum_type.Name(value)
    name = name[len(prefix):] if name.startswith(prefix) else name
    return "" if name == "UNSPECIFIED" else name.lower()


def short_names(enum_type, prefix):
    """{short name: value} of every value but the unspecified one (GROUP_BY_PERIOD_END -> period_end)."""
    return {_enum_name(enum_type, v, prefix): v for v in enum_type.values() if _enum_name(enum_type, v, prefix)}


def kind_name(kind):
    return _KIND_NAMES.get(kind, "")


def _year(value):
    return value if value else None


def table(rows, dtypes):
    """A DataFrame with exactly these columns, in this order and of these dtypes."""
    frame = pd.DataFrame(rows, columns=list(dtypes))
    return frame.astype(dtypes)


# ---- ingest ----------------------------------------------------------------

INGEST_COLUMNS = {
    "file": "string", "report_id": "string", "status": "string", "indicators": "Int64", "sections": "Int64",
    "region_code": "string", "region": "string", "year": "Int64", "kind": "string", "title": "string",
    "code": "string", "error": "string",
}

# gRPC status codes by number, as their names (3 -> INVALID_ARGUMENT).
_CODE_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}


def ingest_result(source_name, reply):
    meta = reply.meta
    return {
        "file": source_name, "report_id": reply.report_id, "status": _enum_name(ingest_pb2.IngestOutcome, reply.outcome, "INGEST_OUTCOME_"),
        "indicators": reply.indicator_count, "sections": reply.section_count, "shard": reply.shard,
        "region_code": meta.region.code, "region": meta.region.name, "year": _year(meta.report_year),
        "kind": kind_name(meta.kind), "title": meta.title,
        "warnings": [{"code": w.code, "message": w.message} for w in reply.warnings],
    }


def stream_result(result):
    if result.code != 0:
        return {"file": result.source_name, "report_id": "", "status": "failed", "indicators": None,
                "sections": None, "region_code": "", "region": "", "year": None, "kind": "", "title": "",
                "code": _CODE_NAMES.get(result.code, str(result.code)), "error": result.error}
    row = ingest_result(result.source_name, result.response)
    row.update(code="OK", error="")
    return row


def ingest_table(rows):
    return table([{k: r.get(k) for k in INGEST_COLUMNS} for r in rows], INGEST_COLUMNS)


# ---- reports ---------------------------------------------------------------

REPORT_COLUMNS = {
    "report_id": "string", "title": "string", "issuer": "string", "region_code": "string", "region": "string",
    "province_code": "string", "province": "string", "year": "Int64", "kind": "string",
    "published_date": "string", "delivered_date": "string", "source_name": "string", "source_url": "string",
    "format": "string", "extractor_version": "string", "ingested_at": "datetime64[ns, UTC]",
}


def meta_dict(meta):
    return {
        "report_id": meta.report_id, "title": meta.title, "issuer": meta.issuer,
        "region_code": meta.region.code, "region": meta.region.name, "province_code": meta.region.province_code,
        "province": meta.region.province, "year": _year(meta.report_year), "kind": kind_name(meta.kind),
        "published_date": meta.published_date, "delivered_date": meta.delivered_date,
        "source_name": meta.source_name, "source_url": meta.source_url,
        "format": _enum_name(report_pb2.DocumentFormat, meta.format, "DOCUMENT_FORMAT_"),
        "extractor_version": meta.extractor_version,
        "ingested_at": pd.Timestamp(meta.ingested_at_unix_ms, unit="ms", tz="UTC")
        if meta.ingested_at_unix_ms else pd.NaT,
    }


def reports_table(metas):
    return table([meta_dict(m) for m in metas], REPORT_COLUMNS)


SECTION_COLUMNS = {
    "section_id": "string", "parent_id": "string", "level": "int64", "path": "string", "ordinal": "string",
    "heading": "string", "char_begin": "int64", "char_end": "int64", "text": "string",
}

INDICATOR_COLUMNS = {
    "indicator_id": "string", "section_id": "string", "subject": "string", "metric_key": "string",
    "text": "string", "value": "float64", "low": "float64", "high": "float64", "unit": "string",
    "unit_written": "string", "qualifier": "string", "change": "string", "is_target": "bool",
    "period_start": "Int64", "period_end": "Int64", "char_begin": "int64", "char_end": "int64",
    "confidence": "float64", "sentence": "string",
}


def section_row(s):
    return {"section_id": s.section_id, "parent_id": s.parent_id, "level": s.level, "path": s.path,
            "ordinal": s.ordinal, "heading": s.heading, "char_begin": s.char_begin, "char_end": s.char_end,
            "text": s.text}


def indicator_row(i):
    q = i.quantity
    return {
        "indicator_id": i.indicator_id, "section_id": i.section_id, "subject": i.subject,
        "metric_key": i.metric_key, "text": i.text, "value": q.value, "low": q.low, "high": q.high,
        "unit": q.unit, "unit_written": q.unit_written,
        "qualifier": _enum_name(report_pb2.Qualifier, q.qualifier, "QUALIFIER_"),
        "change": _enum_name(report_pb2.Change, i.change, "CHANGE_"), "is_target": i.is_target,
        "period_start": _year(i.period_start), "period_end": _year(i.period_end),
        "char_begin": i.char_begin, "char_end": i.char_end, "confidence": i.confidence, "sentence": i.sentence,
    }


class ReportView:
    """One stored report: meta (dict), sections and indicators (DataFrames),
    text (the normalised text the offsets count in), warnings (list of dicts)."""

    def __init__(self, report):
        self.meta = meta_dict(report.meta)
        self.sections = table([section_row(s) for s in report.sections], SECTION_COLUMNS)
        self.indicators = table([indicator_row(i) for i in report.indicators], INDICATOR_COLUMNS)
        self.text = report.normalized_text
        self.warnings = [{"code": w.code, "message": w.message} for w in report.warnings]

    def __repr__(self):
        return (f"<ReportView {self.meta['report_id']} {self.meta['title']!r}: "
                f"{len(self.sections)} sections, {len(self.indicators)} indicators>")


def section_dict(reply):
    out = section_row(reply.section)
    out["title"] = reply.meta.title
    out["report_id"] = reply.meta.report_id
    out["children"] = [section_row(c) for c in reply.children]
    return out


# ---- questions -------------------------------------------------------------

METRIC_COLUMNS = {"key": "string", "name": "string", "area": "string", "unit_kind": "string",
                  "additive": "bool", "aggregate": "string", "count": "int64", "units": "object"}


def metrics_table(reply):
    rows = [{"key": m.key, "name": m.name_zh, "area": m.area, "unit_kind": m.unit_kind, "additive": m.additive,
             "aggregate": m.aggregate, "count": m.count, "units": {u.unit: u.count for u in m.units}}
            for m in reply.metrics]
    frame = table(rows, METRIC_COLUMNS)
    frame.attrs["taxonomy_version"] = reply.taxonomy_version
    return frame


REGION_COLUMNS = {"region_code": "string", "region": "string", "province_code": "string", "reports": "int64",
                  "figures": "int64", "years": "object"}


def regions_table(reply):
    rows = [{"region_code": r.region_code, "region": r.region_name, "province_code": r.province_code,
             "reports": r.report_count, "figures": r.figure_count, "years": list(r.years)}
            for r in reply.regions]
    frame = table(rows, REGION_COLUMNS)
    frame.attrs["unplaced_reports"] = reply.unplaced_report_count
    frame.attrs["missing_shards"] = _missing(reply.missing_shards)
    return frame


def _missing(missing):
    return [{"shard": m.shard, "error": m.error} for m in missing]


def aggregate_table(rows, group_by, percentiles, scanned, missing):
    columns = {g: ("Int64" if g in ("year", "period_end") else "string") for g in group_by}
    columns.update({"unit": "string", "unit_kind": "string", "count": "int64", "sum": "float64",
                    "mean": "float64", "min": "float64", "max": "float64", "weighted_mean": "float64",
                    "weighted_count": "int64", "inexact_count": "int64"})
    for p in percentiles:
        columns[f"p{p:g}"] = "float64"
    out = []
    for r in rows:
        row = {}
        for g, v in zip(group_by, r.group_values):
            row[g] = (int(v) if v.lstrip("-").isdigit() else None) if columns[g] == "Int64" else v
        row.update({
            "unit": r.unit, "unit_kind": _enum_name(report_pb2.UnitKind, r.unit_kind, "UNIT_KIND_"),
            "count": r.count, "sum": r.sum if r.HasField("sum") else None,
            "mean": r.mean if r.HasField("mean") else None, "min": r.min if r.HasField("min") else None,
            "max": r.max if r.HasField("max") else None,
            "weighted_mean": r.weighted_mean if r.HasField("weighted_mean") else None,
            "weighted_count": r.weighted_count, "inexact_count": r.inexact_count,
        })
        for p, v in zip(percentiles, r.percentiles):
            row[f"p{p:g}"] = v
        out.append(row)
    frame = table(out, columns)
    frame.attrs.update(indicators_scanned=scanned, missing_shards=_missing(missing))
    return frame


def _metric_attrs(frame, reply):
    frame.attrs.update(metric=reply.metric_key, unit=reply.unit, aggregate=reply.aggregate,
                       unit_kind=_enum_name(report_pb2.UnitKind, reply.unit_kind, "UNIT_KIND_"),
                       missing_shards=_missing(reply.missing_shards))
    return frame


def rank_table(reply, names):
    rows = [{"rank": r.rank, "region_code": r.region_code, "region": names.get(r.region_code, ""),
             "province_code": r.province_code, "value": r.value, "unit": reply.unit, "count": r.count}
            for r in reply.regions]
    frame = table(rows, {"rank": "int64", "region_code": "string", "region": "string", "province_code": "string",
                         "value": "float64", "unit": "string", "count": "int64"})
    frame.attrs.update(year=reply.year, regions_ranked=reply.regions_ranked)
    return _metric_attrs(frame, reply)


def series_table(reply):
    rows = [{"year": p.year, "value": p.value, "unit": reply.unit, "count": p.count,
             "report_ids": list(p.report_ids)} for p in reply.points]
    frame = table(rows, {"year": "int64", "value": "float64", "unit": "string", "count": "int64",
                         "report_ids": "object"})
    frame.attrs.update(region_code=reply.region_code)
    return _metric_attrs(frame, reply)


def compare_table(reply, names):
    def opt(r, field):
        return getattr(r, field) if r.HasField(field) else None

    rows = [{"region_code": r.region_code, "region": names.get(r.region_code, ""), "province_code": r.province_code,
             "base_value": opt(r, "base_value"), "value": opt(r, "value"),
             "absolute_change": opt(r, "absolute_change"), "relative_change": opt(r, "relative_change"),
             "unit": reply.unit} for r in reply.regions]
    frame = table(rows, {"region_code": "string", "region": "string", "province_code": "string",
                         "base_value": "float64", "value": "float64", "absolute_change": "float64",
                         "relative_change": "float64", "unit": "string"})
    frame.attrs.update(base_year=reply.base_year, year=reply.year)
    return _metric_attrs(frame, reply)


SEARCH_COLUMNS = {"region_code": "string", "region": "string", "year": "Int64", "title": "string",
                  "published_date": "string", "report_id": "string"}
SEARCH_COLUMNS.update(INDICATOR_COLUMNS)


def search_table(hits):
    rows = []
    for h in hits:
        row = {"region_code": h.region.code, "region": h.region.name, "year": _year(h.report_year),
               "title": h.title, "published_date": h.published_date, "report_id": h.indicator.report_id}
        row.update(indicator_row(h.indicator))
        rows.append(row)
    return table(rows, SEARCH_COLUMNS)
