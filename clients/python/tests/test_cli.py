"""The CLI on the suite of conftest.py: --format=csv|xlsx and --output give
the same rows as its --json answer (and as the web view's downloads, which
share the tables); per-command help; exit status 0 ok, 1 failure, 2 usage."""

import csv
import io
import time

import openpyxl

RANK = ["query", "rank", "--metric=economy.gdp", "--year=2025", "--figures=result_changes",
        "--kind=work_report", "--unit=%"]


def test_rank_as_csv_holds_the_json_rows(suite, loaded):
    answer = suite.cli_json(*RANK)
    _, out, _ = suite.cli(*RANK, "--format=csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["名次", "地区", "地区代码", "省份", "数值", "单位", "依据指标数"]
    assert [(r[2], float(r[4])) for r in rows[1:]] == [(r["region_code"], r["value"]) for r in answer["regions"]]
    assert {r[1] for r in rows[1:]} == {"河南省", "河北省"}
    _, with_bom, _ = suite.cli(*RANK, "--format=csv", "--bom")
    assert with_bom.startswith("\ufeff") and not out.startswith("\ufeff")


def test_search_and_reports_as_xlsx_files(suite, loaded, tmp_path):
    path = tmp_path / "search.xlsx"
    _, _, err = suite.cli("query", "search", "粮食", "--page_size=200", "--format=xlsx", f"--output={path}")
    hits = suite.cli_json("query", "search", "粮食", "--page_size=200")["hits"]
    sheet = [[c.value for c in row] for row in openpyxl.load_workbook(path).active.iter_rows()]
    assert sheet[0][:5] == ["地区", "地区代码", "报告年份", "报告", "主题"]
    assert [r[-1] for r in sheet[1:]] == [h["indicator"]["indicator_id"] for h in hits]
    assert sheet[0][-3:] == ["类型", "来源", "指标ID"]
    assert {r[-3] for r in sheet[1:]} == {"政府工作报告"} and all(r[-2].endswith(".txt") for r in sheet[1:])
    _, table, _ = suite.cli("query", "search", "粮食", "--page_size=3")
    assert "(work_report, " in table and "-2026.txt)" in table
    assert f"wrote {len(hits)} rows to {path}" in err
    path = tmp_path / "reports.csv"
    suite.cli("reports", "list", "--format=csv", f"--output={path}")
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert {r[3] for r in rows[1:]} >= {"410000", "130000", "410700"}


def test_a_reports_figures_as_csv(suite, loaded):
    report_id = loaded["seed"]["report_id"]
    report = suite.cli_json("reports", "show", report_id)
    _, out, _ = suite.cli("reports", "show", report_id, "--format=csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:4] == ["节", "主题", "原文", "数值"] and rows[0][-1] == "指标ID"
    assert [r[-1] for r in rows[1:]] == [i["indicator_id"] for i in report["indicators"]]
    assert len(rows) - 1 == 73  # the seed's figures


def test_format_usage_errors_exit_2(suite, loaded):
    code, _, err = suite.cli(*RANK, "--format=pdf", check=False)
    assert code == 2 and "--format must be table, json, csv or xlsx" in err
    code, _, err = suite.cli(*RANK, "--format=xlsx", check=False)
    assert code == 2 and "--output" in err
    code, out, _ = suite.cli(*RANK, "--format=json")
    assert out.lstrip().startswith("{")


def test_help_lists_every_command_and_each_commands_own_flags(suite):
    code, out, err = suite.cli("--help")
    assert code == 0 and err == ""
    for command in ["query rank", "query series", "query compare", "query search", "reports list", "admin reextract"]:
        assert f"zhibiao {command}" in out
    assert "No flags matched" not in out and "zhibiao: zhibiao:" not in out
    code, out, _ = suite.cli("query", "rank", "--help")
    assert code == 0 and out.startswith("zhibiao query rank --metric=K --year=Y")
    assert "  --k (default 10)" in out and "  --bottom" in out and "  --format (default table)" in out
    assert "  --group_by" not in out  # aggregate's, not rank's
    assert "Example:\n  zhibiao query rank --metric=economy.gdp" in out
    code, out, _ = suite.cli("help", "ingest")
    assert code == 0 and "  --manifest" in out


def test_exit_status_is_0_ok_1_failure_2_usage(suite, loaded):
    assert suite.cli("reports", "list")[0] == 0
    code, _, err = suite.cli("query", "rank", "--metric=economy.gdp", "--bogus=1", check=False)
    assert code == 2 and "unknown flag --bogus" in err
    code, _, err = suite.cli("query", "rank", "--year=abc", check=False)
    assert code == 2 and "--year=abc" in err
    code, _, err = suite.cli("query", "frobnicate", check=False)
    assert code == 2 and 'unknown command "query frobnicate"' in err
    code, _, err = suite.cli("query", "rank", "--metric=economy.gdp", "--year=2025", "--query=127.0.0.1:1",
                             "--timeout_ms=2000", check=False)
    assert code == 1 and "UNAVAILABLE" in err


def test_admin_delete_by_source_with_a_dry_run_then_by_id(suite, loaded, tmp_path):
    doc = tmp_path / "to-delete-周口市.txt"
    doc.write_text("周口市人民政府关于2023年法治政府建设情况的报告\n一、主要工作\n全年办理行政复议案件77件。\n",
                   encoding="utf-8")
    added = suite.cli_json("ingest", str(doc))
    report_id = added["report_id"]
    code, out, _ = suite.cli("admin", "delete", "--source=*to-delete-*", "--dry_run")
    assert code == 0 and f"would delete {report_id}" in out and "1 reports would be deleted (dry run" in out
    assert report_id in suite.cli("reports", "list")[1]
    code, out, _ = suite.cli("admin", "delete", report_id)
    assert code == 0 and f"deleted {report_id} from storage-" in out and "1 reports deleted" in out
    assert report_id not in suite.cli("reports", "list")[1]
    code, _, err = suite.cli("admin", "delete", report_id, check=False)
    assert code == 1 and "no such report" in err
    code, _, err = suite.cli("admin", "delete", "not-an-id", check=False)
    assert code == 2 and "is not a report id" in err
    code, out, _ = suite.cli("admin", "delete", "--source=*nothing-matches*")
    assert code == 0 and "no stored report's source matches" in out


def test_region_names_are_accepted_where_codes_are(suite, loaded):
    by_code = suite.cli_json("query", "series", "--metric=economy.gdp", "--region=410000", "--figures=result_changes",
                             "--unit=%")
    for name in ["河南省", "河南"]:
        by_name = suite.cli_json("query", "series", "--metric=economy.gdp", f"--region={name}",
                                 "--figures=result_changes", "--unit=%")
        assert by_name == by_code
    listed = suite.cli_json("reports", "list", "--region=河南省新乡市")["reports"]
    assert {r["region"]["code"] for r in listed} == {"410700"}
    code, _, err = suite.cli("reports", "list", "--region=鼓楼区", check=False)
    assert code == 2 and "names several regions" in err and "320106" in err and "350102" in err
    code, _, err = suite.cli("reports", "list", "--province=火星省", check=False)
    assert code == 2 and "neither a six-digit region code nor a region's name" in err


def test_target_and_change_filters(suite, loaded):
    every = suite.cli_json("query", "search", "生产总值", "--page_size=500")["hits"]
    targets = suite.cli_json("query", "search", "生产总值", "--targets", "--page_size=500")["hits"]
    results = suite.cli_json("query", "search", "生产总值", "--results", "--page_size=500")["hits"]
    changes = suite.cli_json("query", "search", "生产总值", "--change=changes", "--page_size=500")["hits"]
    assert targets and results and len(targets) + len(results) == len(every)
    assert all(h["indicator"]["is_target"] for h in targets) and not any(h["indicator"]["is_target"] for h in results)
    assert changes and all(h["indicator"]["change"] in ("CHANGE_INCREASE", "CHANGE_DECREASE") for h in changes)
    code, _, err = suite.cli("query", "search", "生产总值", "--targets", "--results", check=False)
    assert code == 2 and "exclude each other" in err
    code, _, err = suite.cli("query", "search", "生产总值", "--change=up", check=False)
    assert code == 2 and "--change must be levels or changes" in err
    for year in (2025, 2026):
        hits = suite.cli_json("query", "search", "生产总值", f"--period={year}", "--page_size=500")["hits"]
        assert hits and all(int(h["indicator"].get("period_end") or h["report_year"]) == year for h in hits)
    in_2026 = suite.cli_json("query", "search", "生产总值", "--period=2026", "--page_size=500")["hits"]
    assert {h["indicator"]["indicator_id"] for h in in_2026} <= {h["indicator"]["indicator_id"] for h in targets}
    code, _, err = suite.cli("query", "search", "生产总值", "--period=next", check=False)
    assert code == 2 and "--period takes years" in err


def test_ingest_include_and_exclude_globs_say_what_they_left_out(suite, loaded, tmp_path):
    folder = tmp_path / "mixed"
    (folder / "old").mkdir(parents=True)
    body = "{}人民政府关于2023年法治政府建设情况的报告\n一、主要工作\n全年办理行政复议案件{}件。\n"
    (folder / "keep-开封市.txt").write_text(body.format("开封市", 11), encoding="utf-8")
    (folder / "draft-洛阳市.txt").write_text(body.format("洛阳市", 12), encoding="utf-8")
    (folder / "old" / "keep-安阳市.txt").write_text(body.format("安阳市", 13), encoding="utf-8")
    (folder / "notes.md").write_text(body.format("鹤壁市", 14), encoding="utf-8")

    def sources(out):
        return sorted(line.split()[2].split("/mixed/")[1] for line in out.splitlines() if "/mixed/" in line)

    code, out, err = suite.cli("ingest", str(folder), "--exclude=draft-*,old/*")
    assert code == 0 and sources(out) == ["keep-开封市.txt"]
    assert "left out 1 files that are not documents" in err and "notes.md" in err
    assert "left out 2 files matching --exclude=draft-*,old/*: draft-洛阳市.txt, old/keep-安阳市.txt" in err
    code, out, err = suite.cli("ingest", str(folder), "--include=*.md,old/*.txt")
    assert code == 0 and sources(out) == ["notes.md", "old/keep-安阳市.txt"]
    assert "left out 2 files not matching --include=*.md,old/*.txt" in err
    code, out, err = suite.cli("ingest", str(folder), "--include=*.pdf", check=False)
    assert code == 1 and "no files to send" in err
    # A file named on the command line is sent whatever the globs say.
    code, out, _ = suite.cli("ingest", str(folder / "notes.md"), "--exclude=*.md")
    assert code == 0 and "notes.md" in out


def test_page_token_walks_reports_and_search_page_by_page(suite, loaded):
    every = [r["report_id"] for r in suite.cli_json("reports", "list")["reports"]]
    assert len(every) >= 4
    walked, token, pages = [], "", 0
    while True:
        code, out, err = suite.cli("reports", "list", "--page_size=2", "--format=csv",
                                   *([f"--page_token={token}"] if token else []))
        rows = list(csv.reader(io.StringIO(out)))[1:]
        walked += [r[0] for r in rows]
        pages += 1
        if "--page_token=" not in err:
            break
        token = err.split("--page_token=")[1].split()[0]
        assert len(rows) == 2
    assert walked == every and pages == (len(every) + 1) // 2
    hits = suite.cli_json("query", "search", "生产总值", "--page_size=500")["hits"]
    first = suite.cli_json("query", "search", "生产总值", "--page_size=3")
    second = suite.cli_json("query", "search", "生产总值", "--page_size=3", f"--page_token={first['next_page_token']}")
    ids = [h["indicator"]["indicator_id"] for h in first["hits"] + second["hits"]]
    assert ids == [h["indicator"]["indicator_id"] for h in hits[:6]]
    code, _, err = suite.cli("query", "search", "生产总值", "--page_size=3", check=False)
    assert code == 0 and "query search: more follow; the same command with --page_token=" in err
    code, _, err = suite.cli("reports", "list", "--page_token=bm90LWEtdG9rZW4", check=False)
    assert code == 1 and "page_token is not a token this service issued" in err


def test_timestamped_checkpoints_keep_the_newest(suite, loaded, tmp_path):
    root = tmp_path / "backups"
    shards = len(suite.env["ZHIBIAO_STORAGE_ADDR"].split(","))
    runs = []
    for attempt in range(3):
        if attempt:
            time.sleep(1.1)  # run names are UTC seconds
        code, out, _ = suite.cli("admin", "checkpoint", str(root), "--timestamped", "--keep=2")
        assert code == 0 and out.count(": checkpoint of ") == shards
        runs.append(sorted(p.name for p in root.iterdir()))
        if attempt < 2:
            assert "removed" not in out
        else:
            assert out.count("removed ") == shards and f"{runs[0][0]}/shard-0 (--keep=2)" in out
    assert len(runs[0]) == 1 and len(runs[1]) == 2 and runs[2] == runs[1][1:] + [runs[2][-1]]
    for run in runs[2]:
        for shard in range(shards):
            marker = (root / run / f"shard-{shard}" / "ZHIBIAO-CHECKPOINT").read_text()
            assert marker.startswith("created_unix_ms=")
    code, _, err = suite.cli("admin", "checkpoint", "relative/dir", check=False)
    assert code == 2 and "absolute path" in err
    code, _, err = suite.cli("admin", "checkpoint", str(root), "--keep=-1", check=False)
    assert code == 2 and "--keep must be 0" in err


def test_progress_line_and_bars_on_a_terminal_in_tmux(suite, loaded, tmp_path):
    """On a terminal (a tmux pane) ingest draws its progress line with rate and
    time, rank draws a bar per region; piped, neither appears."""
    import os
    import shutil
    import subprocess
    import time
    from conftest import BIN, WORK_REPORTS

    tmux = shutil.which("tmux")
    assert tmux, "tmux is missing (tools/dev/install_deps.sh installs it)"
    folder = tmp_path / "docs"
    folder.mkdir()
    for i, path in enumerate(WORK_REPORTS * 6):  # 12 documents (unchanged after the first two)
        shutil.copy(path, folder / f"{i:02d}-{path.name}")
    exports = "".join(f"export {k}='{v}'\n" for k, v in suite.env.items() if k.endswith("_ADDR"))
    script = tmp_path / "run.sh"
    script.write_text(f"""#!/bin/bash
{exports}export ZHIBIAO_TOKEN_FILE='{suite.token_file}'
'{BIN / "zhibiao"}' ingest '{folder}'
'{BIN / "zhibiao"}' query rank --metric=economy.gdp --year=2025 --figures=result_changes --kind=work_report --unit=%
echo DONE
sleep 60
""")
    script.chmod(0o755)
    socket = f"zb-test-{os.getpid()}"
    subprocess.run([tmux, "-L", socket, "new-session", "-d", "-s", "t", "-x", "160", "-y", "50", str(script)],
                   check=True)
    frames = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pane = subprocess.run([tmux, "-L", socket, "capture-pane", "-p", "-t", "t"], capture_output=True,
                                  text=True).stdout
            frames.append(pane)
            if "DONE" in pane:
                break
            time.sleep(0.05)
    finally:
        subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True)
    final = frames[-1]
    assert "DONE" in final, final
    assert "[##############################] 12/12" in final and "files/s" in final and "s total" in final, final
    rank_lines = [l for l in final.splitlines() if l.lstrip().startswith(("1 ", "2 ")) and "%" in l]
    assert len(rank_lines) == 2 and all("█" in l for l in rank_lines), final
    # Piped, the same commands print no progress line and no bars.
    _, out, err = suite.cli("query", "rank", "--metric=economy.gdp", "--year=2025", "--figures=result_changes",
                            "--kind=work_report", "--unit=%")
    assert "█" not in out
    _, out, err = suite.cli("ingest", str(folder))
    assert "files/s" not in err and "12 files: 0 stored, 12 unchanged, 0 failed" in out
