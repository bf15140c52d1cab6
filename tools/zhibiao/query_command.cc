// `zhibiao query aggregate|rank|series|compare|search`: the analyst's
// questions as tables, bars, CSV, XLSX or JSON.
#include "common/doc/metadata.h"
#include "tools/zhibiao/cli.h"
#include "tools/zhibiao/cli_calls.h"
#include "tools/zhibiao/cli_output.h"
#include "tools/zhibiao/hints.h"

#include <fnmatch.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/logging.h"
#include "common/extract/quantities.h"
#include "common/pipeline/report_builder.h"
#include "common/process/process.h"
#include "common/regions/regions.h"
#include "common/rpc/channels.h"
#include "common/webapi/answer_tables.h"
#include "common/webapi/table_files.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb::cli {

namespace fs = std::filesystem;

namespace {

// Parses a lower-case enum value name with `prefix` ("sum" -> AGGREGATION_SUM).
template <typename Enum, typename Parse>
bool ParseEnum(const std::string& prefix, const std::string& name, Parse parse, Enum* out) {
  return parse(absl::StrCat(prefix, absl::AsciiStrToUpper(name)), out);
}

bool QualifiedValuesOf(const CliOptions& options, zhibiao::v1::QualifiedValues* out) {
  *out = zhibiao::v1::QUALIFIED_VALUES_UNSPECIFIED;
  if (options.qualified.empty()) return true;
  if (ParseEnum("QUALIFIED_VALUES_", options.qualified, &zhibiao::v1::QualifiedValues_Parse, out))
    return true;
  std::fprintf(stderr,
               "--qualified: \"%s\" is not as_stated, exact_only, range_low or range_high\n",
               options.qualified.c_str());
  return false;
}

bool MetricOptionsOf(const CliOptions& options, zhibiao::v1::MetricQueryOptions* out) {
  zhibiao::v1::QualifiedValues qualified;
  if (!QualifiedValuesOf(options, &qualified)) return false;
  zhibiao::v1::MetricFigures figures = zhibiao::v1::METRIC_FIGURES_UNSPECIFIED;
  if (!options.figures.empty() &&
      !ParseEnum("METRIC_FIGURES_", options.figures, &zhibiao::v1::MetricFigures_Parse, &figures)) {
    std::fprintf(
        stderr,
        "--figures: \"%s\" is not result_levels, result_changes, target_levels or target_changes\n",
        options.figures.c_str());
    return false;
  }
  out->set_figures(figures);
  out->set_qualified_values(qualified);
  out->set_include_superseded(options.include_superseded);
  out->set_allow_partial(options.allow_partial);
  if (!options.unit.empty()) out->set_unit(options.unit);
  for (zhibiao::v1::DocumentKind kind : options.kinds) out->add_document_kinds(kind);
  return true;
}

void PrintMissingShards(
    const google::protobuf::RepeatedPtrField<zhibiao::v1::ShardFailure>& missing) {
  for (const auto& m : missing) {
    std::printf("missing: %s (%s)\n", m.shard().c_str(), m.error().c_str());
  }
}

// Runs a unary query call with the CLI's deadline; prints the error.
template <typename Request, typename Response, typename Method>
bool CallQuery(const CliOptions& options, const char* what, Method method, const Request& request,
               Response* response) {
  auto stub = zhibiao::v1::QueryService::NewStub(CliChannel(options, options.query_addr));
  grpc::ClientContext context;
  SetTimeout(&context, options.timeout);
  grpc::Status status = ((*stub).*method)(&context, request, response);
  if (!status.ok()) PrintError(what, status);
  return status.ok();
}

}  // namespace

namespace {

// --targets, --results and --change into `filter`; false after a usage message.
// A region's value in words, from a metric answer's `aggregate` (README,
// "A region's value").
const char* HowValuesCombine(const std::string& aggregate) {
  return aggregate == "sum" ? "each report's largest figure, summed over reports"
                            : "mean of figures";
}

bool FigureFiltersOf(const CliOptions& options, zhibiao::v1::IndicatorFilter* filter) {
  if (options.targets_only && options.results_only) {
    std::fprintf(stderr, "zhibiao: --targets and --results exclude each other\n");
    return false;
  }
  filter->set_targets_only(options.targets_only);
  filter->set_exclude_targets(options.results_only);
  if (options.change == "levels") {
    filter->set_change(zhibiao::v1::CHANGE_FILTER_LEVELS_ONLY);
  } else if (options.change == "changes") {
    filter->set_change(zhibiao::v1::CHANGE_FILTER_CHANGES_ONLY);
  } else if (!options.change.empty()) {
    std::fprintf(stderr, "zhibiao: --change must be levels or changes, not \"%s\"\n",
                 options.change.c_str());
    return false;
  }
  for (const std::string& year : SplitList(options.period)) {
    int value = 0;
    if (!absl::SimpleAtoi(year, &value) || value < 1900 || value > 2200) {
      std::fprintf(stderr, "zhibiao: --period takes years (2025 or 2025,2026), not \"%s\"\n",
                   year.c_str());
      return false;
    }
    filter->add_period_end_years(value);
  }
  return true;
}

}  // namespace

int QueryAggregate(const CliOptions& options) {
  zhibiao::v1::AggregateRequest request;
  auto* f = request.mutable_filter();
  if (!FigureFiltersOf(options, f)) return 2;
  for (const std::string& m : SplitList(options.metric)) f->add_metric_keys(m);
  f->set_subject_contains(options.subject);
  if (!options.region.empty()) f->add_region_codes(options.region);
  if (!options.province.empty()) f->add_province_codes(options.province);
  if (options.year > 0) f->add_years(options.year);
  for (zhibiao::v1::DocumentKind kind : options.kinds) f->add_document_kinds(kind);
  for (const std::string& u : SplitList(options.unit)) f->add_units(u);
  for (const std::string& g : SplitList(options.group_by)) {
    zhibiao::v1::GroupBy dimension;
    if (!ParseEnum("GROUP_BY_", g, &zhibiao::v1::GroupBy_Parse, &dimension)) {
      std::fprintf(stderr,
                   "--group_by: unknown dimension \"%s\" (metric, region, province, year, subject, "
                   "report)\n",
                   g.c_str());
      return 2;
    }
    request.add_group_by(dimension);
  }
  for (const std::string& a : SplitList(options.aggregations)) {
    zhibiao::v1::Aggregation aggregation;
    if (!ParseEnum("AGGREGATION_", a, &zhibiao::v1::Aggregation_Parse, &aggregation)) {
      std::fprintf(stderr,
                   "--aggregations: unknown \"%s\" (count, sum, avg, min, max, weighted_avg)\n",
                   a.c_str());
      return 2;
    }
    request.add_aggregations(aggregation);
  }
  if (!options.order_by.empty()) {
    zhibiao::v1::Aggregation order_by;
    if (!ParseEnum("AGGREGATION_", options.order_by, &zhibiao::v1::Aggregation_Parse, &order_by)) {
      std::fprintf(stderr, "--order_by: unknown \"%s\"\n", options.order_by.c_str());
      return 2;
    }
    request.set_order_by(order_by);
  }
  request.set_descending(options.descending);
  request.set_split_by_unit(options.split_by_unit);
  request.set_include_superseded(options.include_superseded);
  request.set_allow_partial(options.allow_partial);
  zhibiao::v1::QualifiedValues qualified;
  if (!QualifiedValuesOf(options, &qualified)) return 2;
  request.set_qualified_values(qualified);
  zhibiao::v1::AggregateResponse response;
  if (!CallQuery(options, "query aggregate", &zhibiao::v1::QueryService::Stub::Aggregate, request,
                 &response)) {
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "Aggregate", response)) return *done;
  std::vector<std::string> header;
  for (const std::string& g : SplitList(options.group_by)) header.push_back(g);
  size_t group_width = 8;
  for (const auto& row : response.rows()) {
    group_width = std::max(group_width, DisplayWidth(absl::StrJoin(row.group_values(), "/")));
  }
  auto optional = [](bool has, double v) { return has ? FormatNumber(v) : std::string("-"); };
  std::printf("%s %s %8s %16s %12s %12s %12s\n",
              Pad(absl::StrJoin(header, "/"), group_width).c_str(), Pad("unit", 8).c_str(), "count",
              "sum", "mean", "min", "max");
  for (const auto& row : response.rows()) {
    std::printf(
        "%s %s %8lld %16s %12s %12s %12s\n",
        Pad(absl::StrJoin(row.group_values(), "/"), group_width).c_str(),
        Pad(row.unit(), 8).c_str(), static_cast<long long>(row.count()),
        optional(row.has_sum(), row.sum()).c_str(), optional(row.has_mean(), row.mean()).c_str(),
        optional(row.has_min(), row.min()).c_str(), optional(row.has_max(), row.max()).c_str());
  }
  std::printf("%d rows over %lld indicators scanned\n", response.rows_size(),
              static_cast<long long>(response.indicators_scanned()));
  PrintMissingShards(response.missing_shards());
  return 0;
}

int QueryRank(const CliOptions& options) {
  zhibiao::v1::RankRequest request;
  request.set_metric_key(options.metric);
  request.set_year(options.year);
  request.set_k(options.k);
  request.set_bottom(options.bottom);
  if (!options.province.empty()) request.add_province_codes(options.province);
  if (!MetricOptionsOf(options, request.mutable_options())) return 2;
  zhibiao::v1::RankResponse response;
  if (!CallQuery(options, "query rank", &zhibiao::v1::QueryService::Stub::Rank, request, &response))
    return 1;
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "Rank", response)) return *done;
  if (response.regions().empty()) {
    std::printf("%s %d: no region has figures (try another --year, --figures or --kind)\n",
                response.metric_key().c_str(), response.year());
    PrintMissingShards(response.missing_shards());
    return 0;
  }
  std::printf("%s %d (%s in %s, %d regions ranked)\n", response.metric_key().c_str(),
              response.year(), HowValuesCombine(response.aggregate()), response.unit().c_str(),
              response.regions_ranked());
  // On a terminal each row also gets a bar, scaled to the largest value.
  const bool bars = isatty(STDOUT_FILENO) != 0;
  double max = 0;
  size_t name_width = 6;
  for (const auto& r : response.regions()) {
    max = std::max(max, r.value());
    name_width = std::max(name_width, DisplayWidth(RegionNameOf(r.region_code())));
  }
  for (const auto& r : response.regions()) {
    std::printf("%4d  %s  %s  %12s %s  (%lld figures)%s%s\n", r.rank(), r.region_code().c_str(),
                Pad(RegionNameOf(r.region_code()), name_width).c_str(),
                FormatNumber(r.value()).c_str(), response.unit().c_str(),
                static_cast<long long>(r.count()), bars ? "  " : "",
                bars ? Bar(r.value(), max, 30).c_str() : "");
  }
  PrintMissingShards(response.missing_shards());
  return 0;
}

int QuerySeries(const CliOptions& options) {
  zhibiao::v1::TimeSeriesRequest request;
  request.set_metric_key(options.metric);
  request.set_region_code(options.region);
  if (!MetricOptionsOf(options, request.mutable_options())) return 2;
  zhibiao::v1::TimeSeriesResponse response;
  if (!CallQuery(options, "query series", &zhibiao::v1::QueryService::Stub::TimeSeries, request,
                 &response)) {
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "TimeSeries", response)) return *done;
  if (response.points().empty()) {
    std::printf("%s in %s %s: no figures (try --figures, --kind or --unit)\n",
                response.metric_key().c_str(), response.region_code().c_str(),
                RegionNameOf(response.region_code()).c_str());
    PrintMissingShards(response.missing_shards());
    return 0;
  }
  std::printf("%s in %s %s (%s in %s)\n", response.metric_key().c_str(),
              response.region_code().c_str(), RegionNameOf(response.region_code()).c_str(),
              HowValuesCombine(response.aggregate()), response.unit().c_str());
  // On a terminal each year also gets a bar, scaled to the largest value.
  const bool bars = isatty(STDOUT_FILENO) != 0;
  double max = 0;
  for (const auto& p : response.points()) max = std::max(max, p.value());
  for (const auto& p : response.points()) {
    std::printf("%d  %16s  %s(%lld figures; %s)\n", p.year(), FormatNumber(p.value()).c_str(),
                bars ? absl::StrCat(Pad(Bar(p.value(), max, 20), 20), "  ").c_str() : "",
                static_cast<long long>(p.count()), absl::StrJoin(p.report_ids(), ",").c_str());
  }
  PrintMissingShards(response.missing_shards());
  return 0;
}

int QueryCompare(const CliOptions& options) {
  zhibiao::v1::CompareRequest request;
  request.set_metric_key(options.metric);
  request.set_base_year(options.base_year);
  request.set_year(options.year);
  if (!options.region.empty()) request.add_region_codes(options.region);
  if (!options.province.empty()) request.add_province_codes(options.province);
  if (!MetricOptionsOf(options, request.mutable_options())) return 2;
  zhibiao::v1::CompareResponse response;
  if (!CallQuery(options, "query compare", &zhibiao::v1::QueryService::Stub::Compare, request,
                 &response)) {
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "Compare", response)) return *done;
  std::printf("%s %d -> %d (%s)\n", response.metric_key().c_str(), response.base_year(),
              response.year(), response.unit().c_str());
  auto optional = [](bool has, double v) { return has ? FormatNumber(v) : std::string("-"); };
  for (const auto& c : response.regions()) {
    std::printf("%s %s  %14s  %14s  %14s  %10s\n", c.region_code().c_str(),
                Pad(RegionNameOf(c.region_code()), 10).c_str(),
                optional(c.has_base_value(), c.base_value()).c_str(),
                optional(c.has_value(), c.value()).c_str(),
                optional(c.has_absolute_change(), c.absolute_change()).c_str(),
                c.has_relative_change()
                    ? absl::StrFormat("%+.1f%%", 100 * c.relative_change()).c_str()
                    : "-");
  }
  PrintMissingShards(response.missing_shards());
  return 0;
}

int QuerySearch(const CliOptions& options, const std::vector<std::string>& words) {
  zhibiao::v1::SearchIndicatorsRequest request;
  for (const std::string& w : words) request.add_words(w);
  for (const std::string& m : SplitList(options.metric))
    request.mutable_filter()->add_metric_keys(m);
  if (!options.region.empty()) request.mutable_filter()->add_region_codes(options.region);
  if (!options.province.empty()) request.mutable_filter()->add_province_codes(options.province);
  if (options.year > 0) request.mutable_filter()->add_years(options.year);
  for (zhibiao::v1::DocumentKind kind : options.kinds)
    request.mutable_filter()->add_document_kinds(kind);
  if (!FigureFiltersOf(options, request.mutable_filter())) return 2;
  request.set_page_size(options.page_size);
  request.set_page_token(options.page_token);
  zhibiao::v1::SearchIndicatorsResponse response;
  if (!CallQuery(options, "query search", &zhibiao::v1::QueryService::Stub::SearchIndicators,
                 request, &response)) {
    return 1;
  }
  SayNextPage("query search", response.next_page_token());
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "SearchIndicators", response)) return *done;
  for (const auto& hit : response.hits()) {
    const auto& ind = hit.indicator();
    std::printf(
        "%s %s %d  %s: %s (%s %s)  [%s]\n  %s (%s, %s)\n  %s\n", hit.region().code().c_str(),
        hit.region().name().c_str(), hit.report_year(), ind.subject().c_str(), ind.text().c_str(),
        FormatNumber(ind.quantity().value()).c_str(), ind.quantity().unit().c_str(),
        ind.metric_key().empty() ? "unmapped" : ind.metric_key().c_str(), hit.title().c_str(),
        doc::KindName(hit.kind()), hit.source_name().c_str(), ind.sentence().c_str());
  }
  return 0;
}

int Regions(const CliOptions& options) {
  zhibiao::v1::ListRegionsRequest request;
  zhibiao::v1::IndicatorFilter* filter = request.mutable_filter();
  if (!options.region.empty()) filter->add_region_codes(options.region);
  if (!options.province.empty()) filter->add_province_codes(options.province);
  if (options.year > 0) filter->add_years(options.year);
  for (const std::string& m : SplitList(options.metric)) filter->add_metric_keys(m);
  for (zhibiao::v1::DocumentKind kind : options.kinds) filter->add_document_kinds(kind);
  request.set_allow_partial(options.allow_partial);
  zhibiao::v1::ListRegionsResponse response;
  if (!CallQuery(options, "regions", &zhibiao::v1::QueryService::Stub::ListRegions, request,
                 &response)) {
    return 1;
  }
  if (options.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return 0;
  }
  if (auto done = WriteAnswerFile(options, "ListRegions", response)) return *done;
  for (const auto& c : response.regions()) {
    std::printf("%s %s %3d reports %6lld figures  %s\n", c.region_code().c_str(),
                Pad(c.region_name().empty() ? "?" : c.region_name(), 16).c_str(), c.report_count(),
                static_cast<long long>(c.figure_count()), absl::StrJoin(c.years(), " ").c_str());
  }
  if (response.unplaced_report_count() > 0) {
    std::printf("(region unknown) %d reports %lld figures\n", response.unplaced_report_count(),
                static_cast<long long>(response.unplaced_figure_count()));
  }
  std::printf("%d regions\n", response.regions_size());
  PrintMissingShards(response.missing_shards());
  return 0;
}

}  // namespace zb::cli
