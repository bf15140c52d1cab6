"""Every client method against what the CLI answers for the same call on the
same running suite, errors included."""

import json
import math
from pathlib import Path

import grpc
import pandas as pd
import pytest

import zhibiao
from conftest import SEED, free_loopback_port


def test_health_matches_the_cli(suite, zb):
    health = zb.health()
    assert list(health.service) == ["ingest", "query"]
    assert list(health.status) == ["SERVING", "SERVING"]
    code, out, _ = suite.cli("health")
    assert code == 0
    for address in health.address:
        assert address in out


def test_ingest_stores_what_parse_extracts(suite, loaded):
    seed = loaded["seed"]
    parsed = suite.cli_json("parse", str(SEED))
    assert seed["report_id"] == parsed["meta"]["report_id"]
    assert seed["indicators"] == len(parsed["indicators"])
    assert seed["status"] in ("stored", "unchanged")
    assert (seed["region_code"], seed["year"], seed["kind"]) == ("410700", 2021, "rule_of_law")


def test_ingest_folder_takes_documents_only_and_reports_failures_as_rows(suite, loaded):
    table = loaded["folder"]
    assert sorted(table.file.str.rsplit("/", n=1).str[-1]) == ["empty.txt", "hebei-2026.txt", "henan-2026.txt"]
    ok = table[table.code == "OK"]
    assert set(ok.region_code) == {"410000", "130000"}
    assert set(ok.kind) == {"work_report"} and set(ok.year) == {2025}
    # The CLI takes the same files from the folder, with the same answers.
    code, out, err = suite.cli("ingest", str(Path(table.file[0]).parent), "--json", check=False)
    assert code == 1 and "left out 2 files that are not documents" in err
    cli_rows = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in cli_rows] == list(table.file)
    assert [r["status"] for r in cli_rows] == ["failed", "unchanged", "unchanged"]
    assert [r.get("report_id", "") for r in cli_rows] == list(table.report_id)
    failed = table[table.status == "failed"].iloc[0]
    assert failed.code == "INVALID_ARGUMENT"
    code, out, _ = suite.cli("ingest", failed.file, "--json", check=False)
    assert code == 1
    assert json.loads(out) == {"file": failed.file, "status": "failed", "code": failed.code, "error": failed.error}


def test_reports_match_reports_list(suite, zb, loaded):
    frame = zb.reports()
    listed = suite.cli_json("reports", "list")["reports"]
    assert sorted(frame.report_id) == sorted(r["report_id"] for r in listed)
    by_id = {r["report_id"]: r for r in listed}
    for row in frame.itertuples():
        assert row.region_code == by_id[row.report_id]["region"].get("code", "")
        assert row.year == by_id[row.report_id]["report_year"]
    assert str(frame.year.dtype) == "Int64" and str(frame.ingested_at.dtype).startswith("datetime64")


def test_report_and_section_match_reports_show(suite, zb, loaded):
    report_id = loaded["seed"]["report_id"]
    view = zb.report(report_id)
    shown = suite.cli_json("reports", "show", report_id)
    assert len(view.indicators) == len(shown["indicators"])
    assert list(view.indicators.text) == [i["text"] for i in shown["indicators"]]
    assert list(view.indicators.value) == pytest.approx([i["quantity"]["value"] for i in shown["indicators"]])
    assert list(view.sections.section_id) == [s["section_id"] for s in shown["sections"]]
    section = zb.section(report_id, "1")
    cli_section = suite.cli_json("reports", "section", report_id, "1")
    assert section["heading"] == cli_section["section"]["heading"]
    assert [c["section_id"] for c in section["children"]] == [c["section_id"] for c in cli_section["children"]]


def test_metrics_match(suite, zb, loaded):
    frame = zb.metrics()
    listed = {m["key"]: int(m["count"]) for m in suite.cli_json("metrics")["metrics"]}
    assert dict(zip(frame.key, frame["count"])) == listed


def test_regions_match(suite, zb, loaded):
    frame = zb.regions(kind="work_report")
    listed = suite.cli_json("regions", "--kind=work_report")["regions"]
    assert list(frame.region_code) == [r["region_code"] for r in listed]
    assert list(frame.figures) == [int(r["figure_count"]) for r in listed]
    henan = frame[frame.region_code == "410000"].iloc[0]
    assert henan.region == "河南省" and 2025 in henan.years


def test_aggregate_matches(suite, zb, loaded):
    frame = zb.aggregate(province="410000", group_by=["region", "year"], split_by_unit=True)
    rows = suite.cli_json("query", "aggregate", "--province=410000", "--group_by=region,year",
                          "--split_by_unit")["rows"]
    assert len(frame) == len(rows) > 0
    for got, want in zip(frame.itertuples(), rows):
        assert [got.region, str(got.year)] == want["group_values"]
        assert (got.unit, got.count) == (want["unit"], int(want["count"]))
        if "sum" in want:
            assert got.sum == pytest.approx(want["sum"])
        else:
            assert math.isnan(got.sum)


def test_rank_matches(suite, zb, loaded):
    frame = zb.rank("economy.gdp", 2025, figures="result_changes", kind="work_report", unit="%")
    answer = suite.cli_json("query", "rank", "--metric=economy.gdp", "--year=2025", "--figures=result_changes",
                            "--kind=work_report", "--unit=%")
    assert list(frame.region_code) == [r["region_code"] for r in answer["regions"]]
    assert list(frame.value) == pytest.approx([r["value"] for r in answer["regions"]])
    assert set(frame.region) == {"河南省", "河北省"}
    assert frame.attrs["unit"] == "%" and frame.attrs["regions_ranked"] == answer["regions_ranked"]


def test_series_and_compare_match(suite, zb, loaded):
    series = zb.series("economy.gdp", "410000", figures="result_changes", unit="%")
    answer = suite.cli_json("query", "series", "--metric=economy.gdp", "--region=410000",
                            "--figures=result_changes", "--unit=%")
    assert list(series.year) == [p["year"] for p in answer["points"]]
    assert list(series.value) == pytest.approx([p["value"] for p in answer["points"]])
    compared = zb.compare("economy.gdp", 2024, 2025, figures="result_changes", unit="%")
    answer = suite.cli_json("query", "compare", "--metric=economy.gdp", "--base_year=2024", "--year=2025",
                            "--figures=result_changes", "--unit=%")
    assert list(compared.region_code) == [r["region_code"] for r in answer["regions"]]
    assert list(compared.value) == pytest.approx([r.get("value", math.nan) for r in answer["regions"]], nan_ok=True)


def test_search_matches(suite, zb, loaded):
    frame = zb.search("粮食")
    hits = suite.cli_json("query", "search", "粮食", "--page_size=200")["hits"]
    assert len(frame) == len(hits) > 0
    assert list(frame.indicator_id) == [h["indicator"]["indicator_id"] for h in hits]
    assert set(frame.region) <= {"河南省", "河北省", "新乡市"}
    assert frame.sentence.str.len().min() > 0


def test_tables_write_csv_and_excel(zb, loaded, tmp_path):
    frame = zb.rank("economy.gdp", 2025, figures="result_changes", unit="%")
    frame.to_csv(tmp_path / "rank.csv", index=False)
    frame.to_excel(tmp_path / "rank.xlsx", index=False)
    back = pd.read_excel(tmp_path / "rank.xlsx", dtype={"region_code": str, "province_code": str})
    assert list(back.region_code) == list(frame.region_code)
    assert list(pd.read_csv(tmp_path / "rank.csv").value) == pytest.approx(list(frame.value))


def test_a_down_service_is_unavailable_in_both(suite):
    port = free_loopback_port()
    with zhibiao.Client(f"127.0.0.1:{port}", timeout=5) as down:
        with pytest.raises(zhibiao.Error) as raised:
            down.reports()
    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    code, _, err = suite.cli("reports", "list", f"--query=127.0.0.1:{port}", "--timeout_ms=5000", check=False)
    assert code == 1 and "UNAVAILABLE" in err


def test_a_bad_filter_is_invalid_argument_with_the_services_message(suite, zb, loaded):
    with pytest.raises(zhibiao.Error) as raised:
        zb.rank("economy.gdp", 2025, province="12")
    assert raised.value.code == grpc.StatusCode.INVALID_ARGUMENT
    code, _, err = suite.cli("query", "rank", "--metric=economy.gdp", "--year=2025", "--province=12", check=False)
    assert code == 1 and raised.value.message in err
    with pytest.raises(zhibiao.Error) as raised:
        zb.rank("economy.gdp", 2025, figures="everything")
    assert raised.value.code == grpc.StatusCode.INVALID_ARGUMENT and "result_levels" in raised.value.message


def test_a_missing_token_is_unauthenticated_in_both(suite, loaded):
    with suite.client(token=False) as anonymous:
        with pytest.raises(zhibiao.Error) as raised:
            anonymous.reports()
        assert raised.value.code == grpc.StatusCode.UNAUTHENTICATED
        assert list(anonymous.health().status) == ["SERVING", "SERVING"]  # health needs no token
    code, _, err = suite.cli("reports", "list", token=False, check=False)
    assert code == 1 and "UNAUTHENTICATED" in err
