// The `zhibiao` command line: one function per subcommand, each returning the
// process exit status (0 only on success). Options come from flags (and
// ZHIBIAO_* variables), parsed in main.cc.
#ifndef ZHIBIAO_TOOLS_ZHIBIAO_CLI_H_
#define ZHIBIAO_TOOLS_ZHIBIAO_CLI_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/rpc/auth.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::cli {

struct CliOptions {
  std::string ingest_addr;
  std::string query_addr;
  std::string storage_addrs;
  bool json = false;
  // --format=csv|xlsx: the answer as the table the web view downloads, to
  // stdout (csv) or --output (csv, xlsx; xlsx needs it); --bom: CSV for Excel.
  std::string format;
  std::string output;
  bool bom = false;
  absl::Duration timeout = absl::Seconds(30);
  // reports list / query filters
  std::string region;
  std::string province;
  int year = 0;
  std::string metric;
  std::string subject;
  std::string unit;
  std::string group_by;
  int page_size = 0;
  std::string page_token;                  // reports list / query search: the page to start at
  std::vector<std::string> include_globs;  // ingest: what a folder gives (default: documents)
  std::vector<std::string> exclude_globs;  // ingest: what a folder leaves out
  int keep_checkpoints = 0;  // admin checkpoint: how many of each shard's to keep (0: all)
  bool timestamped = false;  // admin checkpoint: DIR is a root, the run is named by the time
  // figure filters: --targets (only goals), --results (no goals), --change=levels|changes
  bool targets_only = false;
  bool results_only = false;
  std::string change;
  std::string period;  // years the figures are about (IndicatorFilter.period_end_years)
  // admin delete
  std::string source_glob;
  bool dry_run = false;
  // query semantics
  std::string aggregations;
  std::string order_by;
  bool descending = false;
  bool split_by_unit = false;
  std::string qualified;
  std::string figures;  // result_levels, result_changes, target_levels, target_changes
  std::vector<zhibiao::v1::DocumentKind> kinds;  // --kind: only figures of reports of these kinds
  bool include_superseded = false;
  bool allow_partial = false;
  int k = 10;
  bool bottom = false;
  int base_year = 0;
  // probe
  std::string service;
  // ingest
  int in_flight = 16;              // documents sent ahead of their results
  int retries = 3;                 // rounds of resending UNAVAILABLE / RESOURCE_EXHAUSTED documents
  int max_document_mb = 32;        // larger files fail without being sent
  zhibiao::v1::ReportHints hints;  // --hint_*: what the caller knows of the file(s)
  std::string manifest;            // CSV of per-file hints (tools/zhibiao/hints.h)
  // admin reextract: which reports (default: another extractor version)
  bool reextract_all = false;
  std::string extractor_older_than;
  // admin reextract: wait between the steps of a move (longer than query's shard timeout)
  absl::Duration transit_wait = absl::Seconds(12);
  // transport security of every call
  TlsFiles tls;
  std::string token_file;
  // up
  int ingest_processes = 1;
  int query_processes = 1;
  // up
  std::string data_dir;
  int storage_shards = 1;
  std::string listen_host;
  int base_port = 0;
  std::string run_dir;
};

int Parse(const CliOptions& options, const std::vector<std::string>& args);
int Ingest(const CliOptions& options, const std::vector<std::string>& args);
int ReportsList(const CliOptions& options);
int ReportsShow(const CliOptions& options, const std::vector<std::string>& args);
int QueryAggregate(const CliOptions& options);
int QueryRank(const CliOptions& options);
int QuerySeries(const CliOptions& options);
int QueryCompare(const CliOptions& options);
int QuerySearch(const CliOptions& options, const std::vector<std::string>& words);
int ReportsSection(const CliOptions& options, const std::vector<std::string>& args);
int Metrics(const CliOptions& options);
// `zhibiao regions`: the regions with stored figures, their reports and years.
int Regions(const CliOptions& options);
int Health(const CliOptions& options);
// One address's grpc.health.v1 status (exit 0 when SERVING): for container
// health checks.
int Probe(const CliOptions& options, const std::vector<std::string>& args);
int Up(const CliOptions& options);
// Storage administration, on every shard of --storage.
int AdminVerify(const CliOptions& options);
int AdminStats(const CliOptions& options);
int AdminCheckpoint(const CliOptions& options, const std::vector<std::string>& args);
// zhibiao admin delete ID... | --source=GLOB [--dry_run]: removes reports
// (and their indicators) from whichever shard holds them.
int AdminDelete(const CliOptions& options, const std::vector<std::string>& ids);
// Re-extracts every report stored by another extractor version or on a shard
// its region does not route to, through ingest (tools/zhibiao/reextract.cc).
int AdminReextract(const CliOptions& options);
// Every indicator of every shard as tab-separated lines on stdout.
int AdminExport(const CliOptions& options);

}  // namespace zb::cli

#endif  // ZHIBIAO_TOOLS_ZHIBIAO_CLI_H_
