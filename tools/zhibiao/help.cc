#include "tools/zhibiao/help.h"

#include <algorithm>

#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/env_flags.h"
#include "common/regions/regions.h"

namespace zb::cli {
namespace {

const char* const kCommonFlags[] = {"ingest", "query",    "storage", "timeout_ms",
                                    "tls_ca", "tls_cert", "tls_key", "token_file"};
const char* const kFilterFlags[] = {"region", "province", "year",    "period", "metric",
                                    "kind",   "targets",  "results", "change"};
const char* const kMetricFlags[] = {
    "figures", "kind", "unit", "qualified", "include_superseded", "allow_partial"};
const char* const kFormatFlags[] = {"format", "output", "bom", "json"};

std::vector<std::string> Join(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (const auto& p : parts) {
    for (const std::string& f : p) {
      if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    }
  }
  return out;
}

template <size_t N>
std::vector<std::string> List(const char* const (&names)[N]) {
  return std::vector<std::string>(std::begin(names), std::end(names));
}

// "--name (default: x)  help" for one flag, wrapped under its name.
std::string FlagLine(const std::string& name) {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) return "";
  std::string line = absl::StrCat("  --", name);
  const std::string def = flag->DefaultValue();
  if (!def.empty() && def != "false" && def != "0") absl::StrAppend(&line, " (default ", def, ")");
  absl::StrAppend(&line, "\n      ", flag->Help(), "\n");
  return line;
}

}  // namespace

const std::vector<CommandHelp>& Commands() {
  static const auto* commands = new std::vector<CommandHelp>{
      {"parse",
       "FILE [--json]",
       "parse and extract one document locally; nothing is stored",
       {"json", "hint_region", "hint_year", "hint_kind", "hint_issuer", "hint_published",
        "hint_url", "hint_title"},
       "zhibiao parse ../shared/fixtures/xinxiang-2021.pdf --json"},
      {"ingest",
       "FILE|DIR... [--include=GLOBS --exclude=GLOBS] [--json] [--hint_*=... | "
       "--manifest=hints.csv]",
       "send documents (a folder's *.txt *.html *.pdf *.docx) to ingest on one stream, with a "
       "progress bar",
       {"include", "exclude", "json", "in_flight", "retries", "max_document_mb", "manifest",
        "hint_region", "hint_year", "hint_kind", "hint_issuer", "hint_published", "hint_url",
        "hint_title"},
       "zhibiao ingest ../shared/corpus --exclude='*draft*'"},
      {"reports list",
       "[--region=CODE --province=CODE --year=Y] [--page_size=N --page_token=T] [--format=...]",
       "the stored reports: id, region, year, kind, title, source (every page, or one with "
       "--page_size)",
       Join({{"region", "province", "year", "page_size", "page_token"}, List(kFormatFlags)}),
       "zhibiao reports list --province=410000 --format=csv --output=reports.csv"},
      {"reports show", "ID [--format=table|json|csv|xlsx]",
       "one stored report with its indicators (csv/xlsx: every figure)", List(kFormatFlags),
       "zhibiao reports show 148e4cf2041a90835893581d533aaecf --format=csv --output=figures.csv"},
      {"reports section",
       "ID SECTION",
       "one section's text (SECTION: 7.2 or 七.(二))",
       {"json"},
       "zhibiao reports section 148e4cf2041a90835893581d533aaecf 三.(二)"},
      {"metrics", "[--region --province --year] [--format=...]",
       "taxonomy keys with how many figures each has, and their units",
       Join({{"region", "province", "year"}, List(kFormatFlags)}), "zhibiao metrics --year=2025"},
      {"regions", "[--year=Y --kind=K --metric=K --province=CODE] [--format=...]",
       "the regions with stored figures: reports, figures and the years they report on",
       Join(
           {{"region", "province", "year", "metric", "kind", "allow_partial"}, List(kFormatFlags)}),
       "zhibiao regions --year=2025 --kind=work_report"},
      {"query aggregate", "[filters] [--group_by=region,year --split_by_unit] [--format=...]",
       "count, sum, mean, min and max of the figures a filter selects, by group",
       Join({List(kFilterFlags),
             {"subject", "unit", "group_by", "aggregations", "order_by", "desc", "split_by_unit",
              "qualified", "include_superseded", "allow_partial"},
             List(kFormatFlags)}),
       "zhibiao query aggregate --province=410000 --year=2021 --group_by=region --split_by_unit"},
      {"query rank",
       "--metric=K --year=Y [--k=10 --bottom --province=CODE --figures=F --kind=K --unit=U]",
       "the top (or bottom) k regions for a metric in a year; a bar per region on a terminal",
       Join(
           {{"metric", "year", "k", "bottom", "province"}, List(kMetricFlags), List(kFormatFlags)}),
       "zhibiao query rank --metric=economy.gdp --year=2026 --figures=target_changes "
       "--kind=work_report --unit=%"},
      {"query series", "--metric=K --region=CODE [--figures=F --kind=K --unit=U]",
       "one region's values of a metric over the years",
       Join({{"metric", "region"}, List(kMetricFlags), List(kFormatFlags)}),
       "zhibiao query series --metric=economy.gdp --region=410000 --figures=result_changes "
       "--unit=%"},
      {"query compare",
       "--metric=K --base_year=Y0 --year=Y [--region=CODE --province=CODE --figures=F]",
       "every region's value in two years and the change between them",
       Join({{"metric", "base_year", "year", "region", "province"},
             List(kMetricFlags),
             List(kFormatFlags)}),
       "zhibiao query compare --metric=economy.gdp --base_year=2025 --year=2026 "
       "--figures=target_changes"},
      {"query search",
       "WORD... [--metric --region --province --year --kind --page_size=N --page_token=T]",
       "figures whose subject holds every word, with region, report title and sentence",
       Join({List(kFilterFlags), {"page_size", "page_token"}, List(kFormatFlags)}),
       "zhibiao query search 粮食产量 --kind=work_report"},
      {"health",
       "",
       "every service's health, one line each (exit 0 when all are SERVING)",
       {},
       "zhibiao health"},
      {"probe",
       "HOST:PORT [--service=NAME] | http://HOST:PORT[/PATH]",
       "one address's health, gRPC or HTTP (exit 0 when SERVING): for container health checks",
       {"service"},
       "zhibiao probe http://127.0.0.1:7480/healthz"},
      {"up",
       "[--storage-shards=N --ingest=N --query=N --data_dir=DIR --base_port=P]",
       "start the whole suite locally (storage, ingest, query, web); Ctrl-C stops it",
       {"storage_shards", "ingest_processes", "query_processes", "data_dir", "listen_host",
        "base_port", "run_dir"},
       "zhibiao up --storage-shards=3 --ingest=2 --query=2 --data_dir=/tmp/zb"},
      {"admin delete",
       "ID... | --source=GLOB [--dry_run]",
       "remove reports and their indicators from whichever shard holds them (scope admin)",
       {"source", "dry_run"},
       "zhibiao admin delete --source='*README.md' --dry_run"},
      {"admin verify",
       "",
       "consistency check of every storage shard (exit 1 on any problem)",
       {},
       "zhibiao admin verify"},
      {"admin stats", "", "RocksDB and store figures of every shard", {}, "zhibiao admin stats"},
      {"admin checkpoint",
       "DIR | ROOT --timestamped [--keep=N]",
       "a consistent checkpoint of each shard into DIR/shard-N on its host; --keep removes the "
       "oldest",
       {"timestamped", "keep"},
       "zhibiao admin checkpoint /var/backups/zhibiao --timestamped --keep=7"},
      {"admin export",
       "",
       "every indicator of every shard as TSV on stdout",
       {},
       "zhibiao admin export > all.tsv"},
      {"admin reextract",
       "[--all | --extractor_older_than=V]",
       "re-extract stored reports after an extractor upgrade, moving them to their region's shard",
       {"all", "extractor_older_than", "transit_wait_ms"},
       "zhibiao admin reextract --extractor_older_than=extract-5"},
  };
  return *commands;
}

const CommandHelp* FindCommand(const std::vector<std::string>& positional) {
  const CommandHelp* best = nullptr;
  size_t best_words = 0;
  for (const CommandHelp& c : Commands()) {
    const std::vector<std::string> words = absl::StrSplit(c.words, ' ');
    if (words.size() > positional.size() || words.size() <= best_words) continue;
    if (std::equal(words.begin(), words.end(), positional.begin())) {
      best = &c;
      best_words = words.size();
    }
  }
  return best;
}

std::string GeneralUsage() {
  std::string out =
      "zhibiao: turn Chinese government reports into queryable indicators.\n\nUsage:\n";
  for (const CommandHelp& c : Commands()) {
    absl::StrAppend(&out, "  zhibiao ", c.words, c.synopsis.empty() ? "" : " ", c.synopsis,
                    "\n      ", c.what, "\n");
  }
  absl::StrAppend(
      &out,
      "\n`zhibiao COMMAND --help` lists a command's own flags with an example.\n"
      "Addresses: --ingest, --query, --storage or ZHIBIAO_INGEST_ADDR, ZHIBIAO_QUERY_ADDR,\n"
      "ZHIBIAO_STORAGE_ADDR; every flag is also ZHIBIAO_<FLAG>.\n"
      "Exit status: 0 success, 1 failure (a service refused or could not be reached),\n"
      "2 usage error (unknown command or flag, bad value).\n");
  return out;
}

std::string CommandUsage(const CommandHelp& command) {
  std::string out = absl::StrCat("zhibiao ", command.words, command.synopsis.empty() ? "" : " ",
                                 command.synopsis, "\n  ", command.what, "\n");
  if (!command.flags.empty()) {
    absl::StrAppend(&out, "\nFlags:\n");
    for (const std::string& f : command.flags) absl::StrAppend(&out, FlagLine(f));
  }
  absl::StrAppend(&out, "\nCommon flags:\n");
  for (const char* f : kCommonFlags) absl::StrAppend(&out, FlagLine(f));
  absl::StrAppend(&out, "\nExample:\n  ", command.example, "\n");
  return out;
}

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    if (a == "--") return false;
    if (a == "--help" || a == "-h" || a == "-help" || a == "--helpfull" || a == "--helpshort")
      return true;
  }
  return argc > 1 && absl::string_view(argv[1]) == "help";
}

std::vector<std::string> PositionalWords(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    if (absl::StartsWith(a, "-")) continue;
    if (a == "help" && out.empty()) continue;
    out.emplace_back(a);
  }
  return out;
}

absl::Status CheckFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = NormalizeFlagSpelling(argv[i]);
    if (arg == "--") break;
    if (!absl::StartsWith(arg, "-") || arg == "-") continue;
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    const size_t eq = body.find('=');
    const std::string name = body.substr(0, eq);
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    bool negated = false;
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      flag = absl::FindCommandLineFlag(name.substr(2));
      negated = flag != nullptr && flag->IsOfType<bool>();
      if (!negated) flag = nullptr;
    }
    if (flag == nullptr || absl::StrContains(flag->Filename(), "absl/")) {
      if (name == "flagfile" || name == "fromenv" || name == "tryfromenv" || name == "undefok")
        continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", name, " (zhibiao COMMAND --help lists a command's flags)"));
    }
    if (negated) continue;
    std::string value;
    if (eq != std::string::npos) {
      value = body.substr(eq + 1);
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
    // Parsing a copy checks the value without setting the flag.
    std::string error;
    if (!flag->IsOfType<std::string>()) {
      absl::CommandLineFlag* writable = absl::FindCommandLineFlag(name);
      const std::string current = writable->CurrentValue();
      if (!writable->ParseFrom(value, &error)) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, "=", value, ": ", error));
      }
      writable->ParseFrom(current, &error);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RegionCodeFromFlag(const std::string& flag, const std::string& value) {
  if (value.empty()) return value;
  // Digits are a code: the service judges them (and says what a code must be).
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return value;
  const regions::RegionTable& table = regions::RegionTable::Default();
  const std::vector<regions::RegionMention> mentions = table.FindMentions(value);
  if (mentions.size() == 1 && mentions[0].offset == 0 && mentions[0].length == value.size()) {
    if (mentions[0].codes.size() == 1) return mentions[0].codes[0];
    std::vector<std::string> candidates;
    for (const std::string& code : mentions[0].codes) {
      std::optional<zhibiao::v1::Region> r = table.FindByCode(code);
      candidates.push_back(absl::StrCat(code, " (", r ? r->province() : "", ")"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", value, " names several regions: ", absl::StrJoin(candidates, ", "),
        "; give the code, or the name with its province or city"));
  }
  // A name with its parents: 河南省新乡市, 江苏省南京市鼓楼区.
  std::optional<zhibiao::v1::Region> resolved = table.ResolvePrefix(value);
  if (resolved && absl::EndsWith(value, resolved->name())) return resolved->code();
  return absl::InvalidArgumentError(absl::StrCat(
      "--", flag, "=", value, " is neither a six-digit region code nor a region's name"));
}

}  // namespace zb::cli
