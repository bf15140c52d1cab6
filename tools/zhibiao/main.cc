// zhibiao: the command line of the zhibiao suite.
#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/env_flags.h"
#include "common/base/logging.h"
#include "tools/zhibiao/cli.h"
#include "tools/zhibiao/help.h"
#include "tools/zhibiao/hints.h"

ABSL_FLAG(std::string, ingest, "127.0.0.1:7401",
          "ingest service address (env ZHIBIAO_INGEST_ADDR)");
ABSL_FLAG(std::string, query, "127.0.0.1:7402", "query service address (env ZHIBIAO_QUERY_ADDR)");
ABSL_FLAG(std::string, storage, "127.0.0.1:7410",
          "storage shard addresses, for `health` (env ZHIBIAO_STORAGE_ADDR)");
ABSL_FLAG(bool, json, false, "print JSON (one object, or one line per file for ingest)");
ABSL_FLAG(
    std::string, format, "table",
    "reports list, metrics, regions, query aggregate/rank/series/compare/search: table (for "
    "reading), json "
    "(as --json), csv (the web view's table, to stdout or --output) or xlsx (needs --output)");
ABSL_FLAG(std::string, output, "", "with --format=csv or xlsx: write the table to this file");
ABSL_FLAG(bool, bom, false, "with --format=csv: start with a UTF-8 byte-order mark (for Excel)");
ABSL_FLAG(int, timeout_ms, 30000, "deadline of each call");
ABSL_FLAG(std::string, region, "",
          "filter: six-digit region code, or the region's name (新乡市, 河南省新乡市)");
ABSL_FLAG(std::string, province, "",
          "filter: six-digit province code (410000) or name (河南省, 河南)");
ABSL_FLAG(int, year, 0, "filter: report year");
ABSL_FLAG(std::string, metric, "", "filter: taxonomy metric keys, comma-separated");
ABSL_FLAG(std::string, subject, "", "filter: text the indicator's subject contains");
ABSL_FLAG(std::string, unit, "", "filter: base units, comma-separated (件,%,元)");
ABSL_FLAG(std::string, group_by, "",
          "aggregate: comma-separated dimensions: metric, region, province, year, subject");
ABSL_FLAG(int, page_size, 0,
          "reports list / query search: figures or reports per page (reports list: one page of "
          "this many; "
          "0: every report)");
ABSL_FLAG(std::string, page_token, "",
          "reports list / query search: start at this page (the token the previous page printed)");
ABSL_FLAG(
    std::string, include, "",
    "ingest: comma-separated globs of the files a folder gives, instead of its documents "
    "(*.txt,*.html,*.htm,*.text,*.pdf,*.docx); a glob with '/' matches the path below the folder");
ABSL_FLAG(std::string, exclude, "",
          "ingest: comma-separated globs of files a folder leaves out (*draft*,old/*)");
ABSL_FLAG(std::string, aggregations, "",
          "query aggregate: count,sum,avg,min,max,weighted_avg (default: all but weighted)");
ABSL_FLAG(std::string, order_by, "",
          "query aggregate: order rows by count, sum, avg, min, max or weighted_avg");
ABSL_FLAG(bool, desc, false, "query aggregate: descending order");
ABSL_FLAG(bool, split_by_unit, false,
          "query aggregate: one row per group and unit instead of refusing mixed units");
ABSL_FLAG(std::string, figures, "",
          "query rank/series/compare: result_levels (default), result_changes, target_levels, "
          "target_changes; "
          "targets are placed in the year they are set for");
ABSL_FLAG(std::string, kind, "",
          "query aggregate/rank/series/compare/search: only figures of these report kinds, "
          "comma-separated "
          "(rule_of_law, work_report, statistics, other)");
ABSL_FLAG(std::string, qualified, "",
          "how inexact figures count: as_stated, exact_only, range_low, range_high");
ABSL_FLAG(bool, include_superseded, false, "count figures of revised (superseded) reports too");
ABSL_FLAG(bool, allow_partial, false, "answer from the shards that respond, naming the others");
ABSL_FLAG(int, k, 10, "query rank: how many regions");
ABSL_FLAG(bool, bottom, false, "query rank: lowest values first");
ABSL_FLAG(int, base_year, 0, "query compare: the year to compare against");
ABSL_FLAG(std::string, service, "", "probe: grpc.health.v1 service name (\"\": the whole server)");
ABSL_FLAG(int, in_flight, 16, "ingest: documents sent ahead of their results on the stream");
ABSL_FLAG(int, max_document_mb, 32,
          "ingest: larger files fail at once, unsent (ingest's own limit)");
ABSL_FLAG(int, retries, 3,
          "ingest: times to resend documents that met an unavailable or busy service");
ABSL_FLAG(std::string, hint_region, "",
          "ingest/parse: the region code the document is of (wins over the text)");
ABSL_FLAG(int, hint_year, 0, "ingest/parse: the year the document reports on");
ABSL_FLAG(std::string, hint_kind, "",
          "ingest/parse: rule_of_law, work_report, statistics or other");
ABSL_FLAG(std::string, hint_issuer, "", "ingest/parse: the issuing body (新乡市司法局)");
ABSL_FLAG(std::string, hint_published, "", "ingest/parse: publication date, YYYY-MM-DD");
ABSL_FLAG(std::string, hint_url, "", "ingest/parse: the address the document was found at");
ABSL_FLAG(std::string, hint_title, "", "ingest/parse: the document's title");
ABSL_FLAG(
    std::string, source, "",
    "admin delete: delete the reports whose source (file name or URL given at ingest) matches this "
    "glob (\"*README.md\", \"/data/2024/*\")");
ABSL_FLAG(
    bool, targets, false,
    "query aggregate/search: only goals (Indicator.is_target: 力争, 目标, this year's targets)");
ABSL_FLAG(bool, results, false, "query aggregate/search: only achieved figures (no goals)");
ABSL_FLAG(std::string, change, "",
          "query aggregate/search: levels (a stock: 358件) or changes (增长5.6%)");
ABSL_FLAG(int, keep, 0,
          "admin checkpoint: afterwards remove each shard's oldest checkpoints beside the new one "
          "so that this "
          "many remain (0: keep every one)");
ABSL_FLAG(bool, timestamped, false,
          "admin checkpoint: DIR is the backup root; the checkpoint goes to DIR/<UTC time, "
          "20261207T023000Z>");
ABSL_FLAG(std::string, period, "",
          "query aggregate/search: the years the figures are about, comma-separated (2025: that "
          "year's results; "
          "a 十四五 total counts for 2025, a 2026 target for 2026), whatever the report's year");
ABSL_FLAG(bool, dry_run, false, "admin delete: list what would be deleted, delete nothing");
ABSL_FLAG(bool, all, false, "admin reextract: re-extract every report, current ones too");
ABSL_FLAG(
    std::string, extractor_older_than, "",
    "admin reextract: only reports of extractor versions before this one (extract-3+taxonomy-2), "
    "and those on the wrong shard");
ABSL_FLAG(
    int, transit_wait_ms, 12000,
    "admin reextract: wait between the steps of a move (store the new copy, delete the old, "
    "settle); must exceed query's --shard_timeout_ms (10000) so no answer sees a report twice");
ABSL_FLAG(std::string, manifest, "",
          "ingest: CSV with a header row: path plus any of region_code, report_year, kind, issuer, "
          "published_date, source_url, title (paths relative to the manifest)");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle: call the services over TLS, verifying them (env ZHIBIAO_TLS_CA)");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate, for services that require one");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, token_file, "",
          "file holding the bearer token sent on every call (env ZHIBIAO_TOKEN_FILE)");
ABSL_FLAG(int, ingest_processes, 1, "up: ingest processes (also --ingest_processes=N)");
ABSL_FLAG(int, query_processes, 1, "up: query processes");
ABSL_FLAG(std::string, data_dir, "./var/zhibiao", "up: data directory (one subfolder per shard)");
ABSL_FLAG(int, storage_shards, 1, "up: number of storage shards");
ABSL_FLAG(std::string, listen_host, "127.0.0.1", "up: host the services listen on");
ABSL_FLAG(int, base_port, 7400,
          "up: ingest listens on base_port+1, query on base_port+2, storage shard i on "
          "base_port+10+i (0: ephemeral ports)");
ABSL_FLAG(std::string, run_dir, "", "up: folder for logs and port files (default DATA_DIR/run)");

namespace {}  // namespace

int main(int argc, char** argv) {
  const std::string usage = zb::cli::GeneralUsage();
  if (zb::cli::WantsHelp(argc, argv)) {
    const zb::cli::CommandHelp* command =
        zb::cli::FindCommand(zb::cli::PositionalWords(argc, argv));
    std::printf("%s", command != nullptr ? zb::cli::CommandUsage(*command).c_str() : usage.c_str());
    return 0;
  }
  if (absl::Status flags = zb::cli::CheckFlags(argc, argv); !flags.ok()) {
    std::fprintf(stderr, "zhibiao: %s\n", std::string(flags.message()).c_str());
    return 2;
  }
  std::vector<char*> positional = zb::ParseFlagsWithEnv(argc, argv, usage,
                                                        {{"ingest", "ZHIBIAO_INGEST_ADDR"},
                                                         {"query", "ZHIBIAO_QUERY_ADDR"},
                                                         {"storage", "ZHIBIAO_STORAGE_ADDR"}});
  zb::SetLogService("cli");
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  zb::cli::CliOptions o;
  o.ingest_addr = absl::GetFlag(FLAGS_ingest);
  o.query_addr = absl::GetFlag(FLAGS_query);
  o.storage_addrs = absl::GetFlag(FLAGS_storage);
  o.json = absl::GetFlag(FLAGS_json);
  o.format = absl::GetFlag(FLAGS_format);
  o.output = absl::GetFlag(FLAGS_output);
  o.bom = absl::GetFlag(FLAGS_bom);
  if (o.format == "json") o.json = true;
  if (o.format != "table" && o.format != "json" && o.format != "csv" && o.format != "xlsx") {
    std::fprintf(stderr, "zhibiao: --format must be table, json, csv or xlsx, not \"%s\"\n",
                 o.format.c_str());
    return 2;
  }
  if (o.format == "xlsx" && o.output.empty()) {
    std::fprintf(stderr, "zhibiao: --format=xlsx writes a file: give --output=FILE.xlsx\n");
    return 2;
  }
  o.timeout = absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms));
  for (auto [flag, value, out] :
       {std::make_tuple("region", absl::GetFlag(FLAGS_region), &o.region),
        std::make_tuple("province", absl::GetFlag(FLAGS_province), &o.province)}) {
    absl::StatusOr<std::string> code = zb::cli::RegionCodeFromFlag(flag, value);
    if (!code.ok()) {
      std::fprintf(stderr, "zhibiao: %s\n", std::string(code.status().message()).c_str());
      return 2;
    }
    *out = *code;
  }
  o.year = absl::GetFlag(FLAGS_year);
  o.metric = absl::GetFlag(FLAGS_metric);
  o.subject = absl::GetFlag(FLAGS_subject);
  o.unit = absl::GetFlag(FLAGS_unit);
  o.group_by = absl::GetFlag(FLAGS_group_by);
  o.page_size = absl::GetFlag(FLAGS_page_size);
  o.page_token = absl::GetFlag(FLAGS_page_token);
  o.include_globs = absl::StrSplit(absl::GetFlag(FLAGS_include), ',', absl::SkipWhitespace());
  o.exclude_globs = absl::StrSplit(absl::GetFlag(FLAGS_exclude), ',', absl::SkipWhitespace());
  o.aggregations = absl::GetFlag(FLAGS_aggregations);
  o.order_by = absl::GetFlag(FLAGS_order_by);
  o.descending = absl::GetFlag(FLAGS_desc);
  o.split_by_unit = absl::GetFlag(FLAGS_split_by_unit);
  o.qualified = absl::GetFlag(FLAGS_qualified);
  o.figures = absl::GetFlag(FLAGS_figures);
  o.include_superseded = absl::GetFlag(FLAGS_include_superseded);
  o.allow_partial = absl::GetFlag(FLAGS_allow_partial);
  o.k = absl::GetFlag(FLAGS_k);
  o.bottom = absl::GetFlag(FLAGS_bottom);
  o.base_year = absl::GetFlag(FLAGS_base_year);
  o.service = absl::GetFlag(FLAGS_service);
  o.in_flight = absl::GetFlag(FLAGS_in_flight);
  o.retries = absl::GetFlag(FLAGS_retries);
  o.max_document_mb = absl::GetFlag(FLAGS_max_document_mb);
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_kind), ',', absl::SkipWhitespace())) {
    auto kind = zb::cli::ParseKind(name);
    if (!kind.ok()) {
      std::fprintf(stderr, "zhibiao: --kind: %s\n", std::string(kind.status().message()).c_str());
      return 2;
    }
    o.kinds.push_back(*kind);
  }
  o.hints.set_region_code(absl::GetFlag(FLAGS_hint_region));
  o.hints.set_report_year(absl::GetFlag(FLAGS_hint_year));
  if (!absl::GetFlag(FLAGS_hint_kind).empty()) {
    auto kind = zb::cli::ParseKind(absl::GetFlag(FLAGS_hint_kind));
    if (!kind.ok()) {
      std::fprintf(stderr, "zhibiao: --hint_kind: %s\n",
                   std::string(kind.status().message()).c_str());
      return 2;
    }
    o.hints.set_kind(*kind);
  }
  o.hints.set_issuer(absl::GetFlag(FLAGS_hint_issuer));
  o.hints.set_published_date(absl::GetFlag(FLAGS_hint_published));
  o.hints.set_source_url(absl::GetFlag(FLAGS_hint_url));
  o.hints.set_title(absl::GetFlag(FLAGS_hint_title));
  o.manifest = absl::GetFlag(FLAGS_manifest);
  o.reextract_all = absl::GetFlag(FLAGS_all);
  o.source_glob = absl::GetFlag(FLAGS_source);
  o.targets_only = absl::GetFlag(FLAGS_targets);
  o.results_only = absl::GetFlag(FLAGS_results);
  o.change = absl::GetFlag(FLAGS_change);
  o.period = absl::GetFlag(FLAGS_period);
  o.dry_run = absl::GetFlag(FLAGS_dry_run);
  o.keep_checkpoints = absl::GetFlag(FLAGS_keep);
  o.timestamped = absl::GetFlag(FLAGS_timestamped);
  o.extractor_older_than = absl::GetFlag(FLAGS_extractor_older_than);
  o.transit_wait = absl::Milliseconds(std::max(0, absl::GetFlag(FLAGS_transit_wait_ms)));
  o.tls.ca = absl::GetFlag(FLAGS_tls_ca);
  o.tls.cert = absl::GetFlag(FLAGS_tls_cert);
  o.tls.key = absl::GetFlag(FLAGS_tls_key);
  o.token_file = absl::GetFlag(FLAGS_token_file);
  o.ingest_processes = absl::GetFlag(FLAGS_ingest_processes);
  o.query_processes = absl::GetFlag(FLAGS_query_processes);
  // `zhibiao up --ingest=2 --query=2`: for up, a number is a process count.
  if (!args.empty() && args[0] == "up") {
    int count = 0;
    if (absl::SimpleAtoi(o.ingest_addr, &count)) o.ingest_processes = count;
    if (absl::SimpleAtoi(o.query_addr, &count)) o.query_processes = count;
  }
  o.data_dir = absl::GetFlag(FLAGS_data_dir);
  o.storage_shards = absl::GetFlag(FLAGS_storage_shards);
  o.listen_host = absl::GetFlag(FLAGS_listen_host);
  o.base_port = absl::GetFlag(FLAGS_base_port);
  o.run_dir = absl::GetFlag(FLAGS_run_dir);

  if (args.empty()) {
    std::fprintf(stderr, "%s", usage.c_str());
    return 2;
  }
  const std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "parse") return zb::cli::Parse(o, rest);
  if (command == "ingest") return zb::cli::Ingest(o, rest);
  if (command == "reports" && !rest.empty() && rest[0] == "list") return zb::cli::ReportsList(o);
  if (command == "reports" && !rest.empty() && rest[0] == "show") {
    return zb::cli::ReportsShow(o, std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  if (command == "reports" && !rest.empty() && rest[0] == "section") {
    return zb::cli::ReportsSection(o, std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  if (command == "metrics") return zb::cli::Metrics(o);
  if (command == "regions") return zb::cli::Regions(o);
  if (command == "query" && !rest.empty() && rest[0] == "aggregate") {
    return zb::cli::QueryAggregate(o);
  }
  if (command == "query" && !rest.empty() && rest[0] == "rank") return zb::cli::QueryRank(o);
  if (command == "query" && !rest.empty() && rest[0] == "series") return zb::cli::QuerySeries(o);
  if (command == "query" && !rest.empty() && rest[0] == "compare") return zb::cli::QueryCompare(o);
  if (command == "query" && !rest.empty() && rest[0] == "search") {
    return zb::cli::QuerySearch(o, std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  if (command == "health") return zb::cli::Health(o);
  if (command == "probe") return zb::cli::Probe(o, rest);
  if (command == "up") return zb::cli::Up(o);
  if (command == "admin" && !rest.empty() && rest[0] == "verify") return zb::cli::AdminVerify(o);
  if (command == "admin" && !rest.empty() && rest[0] == "stats") return zb::cli::AdminStats(o);
  if (command == "admin" && !rest.empty() && rest[0] == "export") return zb::cli::AdminExport(o);
  if (command == "admin" && !rest.empty() && rest[0] == "reextract")
    return zb::cli::AdminReextract(o);
  if (command == "admin" && !rest.empty() && rest[0] == "delete") {
    return zb::cli::AdminDelete(o, std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  if (command == "admin" && !rest.empty() && rest[0] == "checkpoint") {
    return zb::cli::AdminCheckpoint(o, std::vector<std::string>(rest.begin() + 1, rest.end()));
  }
  std::fprintf(stderr, "zhibiao: unknown command \"%s\"\n\n%s", absl::StrJoin(args, " ").c_str(),
               usage.c_str());
  return 2;
}
