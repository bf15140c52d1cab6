#include "tools/zhibiao/cli_output.h"

#include "common/doc/metadata.h"

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
#include "tools/zhibiao/cli_calls.h"
#include "zhibiao/v1/ingest.grpc.pb.h"
#include "zhibiao/v1/query.grpc.pb.h"
#include "zhibiao/v1/storage.grpc.pb.h"

namespace zb::cli {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

std::string FormatNumber(double v) {
  // Range check first: casting a huge or non-finite double to int64 is undefined.
  if (std::abs(v) < 1e15 && v == static_cast<double>(static_cast<int64_t>(v))) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  std::string s = absl::StrFormat("%.4f", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Terminal columns of UTF-8 text: CJK and full-width characters take two.
size_t DisplayWidth(absl::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    width += len >= 3 ? 2 : 1;
    i += len;
  }
  return width;
}

// `s` padded with spaces to `width` terminal columns (left-aligned).
std::string Pad(absl::string_view s, size_t width) {
  std::string out(s);
  for (size_t w = DisplayWidth(s); w < width; ++w) out.push_back(' ');
  return out;
}

// The region's name from the GB/T 2260 table ("" for an unknown code).
std::string RegionNameOf(const std::string& code) {
  return regions::RegionTable::Default().NameOf(code);
}

// A bar of up to `width` cells for `value` out of `max` (eighths of a cell).
std::string Bar(double value, double max, int width) {
  if (max <= 0 || value <= 0) return "";
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const int eighths = static_cast<int>(value / max * width * 8 + 0.5);
  std::string bar;
  for (int i = 0; i < eighths / 8; ++i) bar += "█";
  bar += kEighths[eighths % 8];
  return bar;
}

// With --format=csv or xlsx: writes `reply` (a reply of QueryService's
// `method`) as the table the web view downloads, to --output or (csv)
// stdout, and returns the exit status; nullopt for the other formats.
std::optional<int> WriteAnswerFile(const CliOptions& options, absl::string_view method,
                                   const google::protobuf::Message& reply) {
  if (options.format != "csv" && options.format != "xlsx") return std::nullopt;
  absl::StatusOr<webapi::Table> table =
      webapi::AnswerTable(method, reply, regions::RegionTable::Default());
  if (!table.ok()) {
    std::fprintf(stderr, "zhibiao: %s\n", std::string(table.status().message()).c_str());
    return 1;
  }
  std::string bytes;
  if (options.format == "csv") {
    bytes = webapi::ToCsv(*table, options.bom);
  } else {
    absl::StatusOr<std::string> xlsx = webapi::ToXlsx(*table, fs::temp_directory_path().string());
    if (!xlsx.ok()) {
      std::fprintf(stderr, "zhibiao: %s\n", std::string(xlsx.status().message()).c_str());
      return 1;
    }
    bytes = *std::move(xlsx);
  }
  if (options.output.empty()) {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return 0;
  }
  std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "zhibiao: cannot write %s\n", options.output.c_str());
    return 1;
  }
  std::fprintf(stderr, "wrote %zu rows to %s\n", table->rows.size(), options.output.c_str());
  return 0;
}

void PrintReportSummary(const zhibiao::v1::Report& report, bool with_indicators) {
  const auto& m = report.meta();
  std::printf("report_id   %s\n", m.report_id().c_str());
  std::printf("title       %s\n", m.title().c_str());
  std::printf("issuer      %s\n", m.issuer().c_str());
  std::printf("region      %s %s %s\n", m.region().name().c_str(), m.region().code().c_str(),
              m.region().province().c_str());
  std::printf("kind        %s\n", doc::KindName(m.kind()));
  std::printf("year        %d (reported on)\n", m.report_year());
  std::printf("published   %s\n", m.published_date().c_str());
  if (!m.delivered_date().empty()) std::printf("delivered   %s\n", m.delivered_date().c_str());
  std::printf("format      %s (%s)\n", zhibiao::v1::DocumentFormat_Name(m.format()).c_str(),
              m.detected_encoding().c_str());
  std::printf("sections    %d\n", report.sections_size());
  std::printf("indicators  %d\n", report.indicators_size());
  for (const auto& w : report.warnings()) {
    std::printf("warning     %s: %s\n", w.code().c_str(), w.message().c_str());
  }
  if (!with_indicators) return;
  std::printf("\n%-10s %-14s %-8s %-9s %-8s %s\n", "section", "value", "unit", "qualifier",
              "change", "subject");
  for (const auto& ind : report.indicators()) {
    const auto& q = ind.quantity();
    std::string value = q.qualifier() == zhibiao::v1::QUALIFIER_RANGE
                            ? absl::StrCat(FormatNumber(q.low()), "-", FormatNumber(q.high()))
                            : FormatNumber(q.value());
    const char* change = ind.change() == zhibiao::v1::CHANGE_INCREASE   ? "+"
                         : ind.change() == zhibiao::v1::CHANGE_DECREASE ? "-"
                                                                        : "";
    std::printf("%-10s %-14s %s %-9s %-8s %s%s\n", ind.section_id().c_str(), value.c_str(),
                Pad(q.unit(), 8).c_str(), extract::QualifierName(q.qualifier()), change,
                ind.subject().c_str(), ind.is_target() ? "  [target]" : "");
  }
}

}  // namespace zb::cli
