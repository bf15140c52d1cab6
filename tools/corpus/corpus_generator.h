// A synthetic corpus of annual 法治政府建设情况报告 with the true value of
// every figure written beside each report: N prefecture-level regions × M
// years, in varied wording (several sentence forms per metric, approximate,
// at-least and range figures, 万 multipliers, targets and year-on-year
// changes), numbering styles (一、/（一）/1./第一部分) and formats (UTF-8
// text, GB18030 text, HTML), plus revised reports published later for some
// region-years. Tests use it as an oracle's ground truth and benchmarks as a
// load; `zhibiao-gencorpus` writes it to a folder.
//
// Deterministic: the same options give the same bytes.
#ifndef ZHIBIAO_TOOLS_CORPUS_CORPUS_GENERATOR_H_
#define ZHIBIAO_TOOLS_CORPUS_CORPUS_GENERATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "zhibiao/v1/report.pb.h"

namespace zb::corpus {

// One figure as the report states it, in base units (what extraction must find).
struct TrueFigure {
  std::string metric_key;
  double value = 0;  // midpoint for ranges
  double low = 0;
  double high = 0;
  std::string unit;  // base unit: 件, 元, %, 人, 工作日 ...
  zhibiao::v1::UnitKind kind = zhibiao::v1::UNIT_KIND_UNSPECIFIED;
  zhibiao::v1::Qualifier qualifier = zhibiao::v1::QUALIFIER_EXACT;
  zhibiao::v1::Change change = zhibiao::v1::CHANGE_NONE;
  bool is_target = false;
};

struct GeneratedReport {
  std::string file_name;  // "410700-2021.txt", "410700-2021-revised.html"
  std::string bytes;      // the document as a client sends it
  zhibiao::v1::DocumentFormat format = zhibiao::v1::DOCUMENT_FORMAT_TEXT;
  std::string encoding;  // "UTF-8" or "GB18030"
  std::string region_code;
  std::string region_name;
  std::string province_code;
  int year = 0;
  std::string published_date;  // ISO 8601
  bool is_revision = false;    // a later report for the same region and year
  std::vector<TrueFigure> figures;
};

struct CorpusOptions {
  int regions = 200;  // prefecture-level regions first (~300), then counties
  int years = 5;
  int first_year = 2019;
  double revision_share = 0.08;  // region-years that also get a revised report
  double figure_share = 0.8;     // chance that a report states a given metric
  uint64_t seed = 1;
  bool only_text = false;  // UTF-8 text only (fast loads for benchmarks)
};

std::vector<GeneratedReport> GenerateCorpus(const CorpusOptions& options);

// The metric keys the generator writes figures for.
const std::vector<std::string>& GeneratedMetricKeys();

// truth.tsv: one line per figure: file, region, province, year, published,
// revision, metric, value, low, high, unit, kind, qualifier, change, target.
std::string TruthTsv(const std::vector<GeneratedReport>& reports);

}  // namespace zb::corpus

#endif  // ZHIBIAO_TOOLS_CORPUS_CORPUS_GENERATOR_H_
