#include "common/webapi/answer_tables.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "zhibiao/v1/query.pb.h"

namespace zb::webapi {
namespace {

namespace v1 = zhibiao::v1;

constexpr absl::string_view kTableMethods[] = {"Rank",        "TimeSeries",       "Compare",
                                               "Aggregate",   "SearchIndicators", "ListReports",
                                               "ListMetrics", "GetReport",        "ListRegions"};

std::string KindName(v1::DocumentKind kind) {
  switch (kind) {
    case v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT: return "法治政府建设报告";
    case v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT: return "政府工作报告";
    case v1::DOCUMENT_KIND_STATISTICAL_BULLETIN: return "统计公报";
    case v1::DOCUMENT_KIND_OTHER: return "其他";
    default: return "";
  }
}

std::string Period(int start, int end) {
  if (end == 0) return "";
  if (start == 0 || start == end) return absl::StrCat(end);
  return absl::StrCat(start, "–", end);
}

// Qualifier as the figure's words say it (约, 以上, ...); "" for an exact figure.
std::string QualifierLabel(v1::Qualifier q) {
  switch (q) {
    case v1::QUALIFIER_APPROX: return "约";
    case v1::QUALIFIER_AT_LEAST: return "至少";
    case v1::QUALIFIER_AT_MOST: return "至多";
    case v1::QUALIFIER_RANGE: return "区间";
    default: return "";
  }
}

Cell Optional(bool has, double value) { return has ? NumberCell(value) : TextCell(""); }

Table RankTable(const v1::RankResponse& r, const regions::RegionTable& regions) {
  Table t{absl::StrCat("Rank ", r.metric_key(), " ", r.year()),
          {"名次", "地区", "地区代码", "省份", "数值", "单位", "依据指标数"},
          {}};
  for (const v1::RankedRegion& e : r.regions()) {
    t.rows.push_back({NumberCell(e.rank()), TextCell(regions.NameOf(e.region_code())),
                      TextCell(e.region_code()), TextCell(regions.NameOf(e.province_code())),
                      NumberCell(e.value()), TextCell(r.unit()),
                      NumberCell(static_cast<double>(e.count()))});
  }
  return t;
}

Table SeriesTable(const v1::TimeSeriesResponse& r, const regions::RegionTable& regions) {
  Table t{absl::StrCat("TimeSeries ", r.metric_key(), " ", r.region_code()),
          {"地区", "地区代码", "年份", "数值", "单位", "依据指标数", "报告"},
          {}};
  for (const v1::TimeSeriesPoint& p : r.points()) {
    t.rows.push_back({TextCell(regions.NameOf(r.region_code())), TextCell(r.region_code()),
                      NumberCell(p.year()), NumberCell(p.value()), TextCell(r.unit()),
                      NumberCell(static_cast<double>(p.count())),
                      TextCell(absl::StrJoin(p.report_ids(), " "))});
  }
  return t;
}

Table CompareTable(const v1::CompareResponse& r, const regions::RegionTable& regions) {
  Table t{absl::StrCat("Compare ", r.metric_key(), " ", r.base_year(), "-", r.year()),
          {"地区", "地区代码", "省份", absl::StrCat(r.base_year(), "年"),
           absl::StrCat(r.year(), "年"), "变化", "变化率", "单位"},
          {}};
  for (const v1::RegionComparison& c : r.regions()) {
    t.rows.push_back(
        {TextCell(regions.NameOf(c.region_code())), TextCell(c.region_code()),
         TextCell(regions.NameOf(c.province_code())), Optional(c.has_base_value(), c.base_value()),
         Optional(c.has_value(), c.value()), Optional(c.has_absolute_change(), c.absolute_change()),
         Optional(c.has_relative_change(), c.relative_change()), TextCell(r.unit())});
  }
  return t;
}

Table AggregateTable(const v1::AggregateResponse& r) {
  Table t{"Aggregate", {}, {}};
  const int groups = r.rows_size() > 0 ? r.rows(0).group_values_size() : 0;
  for (int g = 0; g < groups; ++g) t.columns.push_back(absl::StrCat("分组", g + 1));
  for (const char* c : {"单位", "指标数", "合计", "平均", "最小", "最大", "加权平均"})
    t.columns.push_back(c);
  for (const v1::AggregateRow& row : r.rows()) {
    std::vector<Cell> cells;
    for (int g = 0; g < groups; ++g)
      cells.push_back(TextCell(g < row.group_values_size() ? row.group_values(g) : ""));
    cells.push_back(TextCell(row.unit()));
    cells.push_back(NumberCell(static_cast<double>(row.count())));
    cells.push_back(Optional(row.has_sum(), row.sum()));
    cells.push_back(Optional(row.has_mean(), row.mean()));
    cells.push_back(Optional(row.has_min(), row.min()));
    cells.push_back(Optional(row.has_max(), row.max()));
    cells.push_back(Optional(row.has_weighted_mean(), row.weighted_mean()));
    t.rows.push_back(std::move(cells));
  }
  return t;
}

Table SearchTable(const v1::SearchIndicatorsResponse& r) {
  Table t{"SearchIndicators",
          {"地区", "地区代码", "报告年份", "报告", "主题", "原文", "数值", "单位", "期间", "目标",
           "指标键", "句子", "类型", "来源", "指标ID"},
          {}};
  for (const v1::IndicatorHit& h : r.hits()) {
    const v1::Indicator& i = h.indicator();
    t.rows.push_back(
        {TextCell(h.region().name()), TextCell(h.region().code()), NumberCell(h.report_year()),
         TextCell(h.title()), TextCell(i.subject()), TextCell(i.text()),
         NumberCell(i.quantity().value()), TextCell(i.quantity().unit()),
         TextCell(Period(i.period_start(), i.period_end())), TextCell(i.is_target() ? "是" : ""),
         TextCell(i.metric_key()), TextCell(i.sentence()), TextCell(KindName(h.kind())),
         TextCell(h.source_name()), TextCell(i.indicator_id())});
  }
  return t;
}

Table ReportsTable(const v1::ListReportsResponse& r) {
  Table t{
      "ListReports",
      {"报告ID", "标题", "地区", "地区代码", "报告年份", "类型", "发布日期", "来源", "指标版本"},
      {}};
  for (const v1::ReportMeta& m : r.reports()) {
    t.rows.push_back({TextCell(m.report_id()), TextCell(m.title()), TextCell(m.region().name()),
                      TextCell(m.region().code()), NumberCell(m.report_year()),
                      TextCell(KindName(m.kind())), TextCell(m.published_date()),
                      TextCell(m.source_name()), TextCell(m.extractor_version())});
  }
  return t;
}

// Every figure of one report, in text order.
Table ReportFiguresTable(const v1::GetReportResponse& r) {
  Table t{"GetReport",
          {"节", "主题", "原文", "数值", "下限", "上限", "单位", "限定", "变化", "期间", "目标",
           "指标键", "句子", "指标ID"},
          {}};
  for (const v1::Indicator& i : r.report().indicators()) {
    const v1::Quantity& q = i.quantity();
    const bool range = q.qualifier() == v1::QUALIFIER_RANGE;
    const char* change = i.change() == v1::CHANGE_INCREASE   ? "增"
                         : i.change() == v1::CHANGE_DECREASE ? "减"
                                                             : "";
    t.rows.push_back(
        {TextCell(i.section_id()), TextCell(i.subject()), TextCell(i.text()), NumberCell(q.value()),
         range ? NumberCell(q.low()) : TextCell(""), range ? NumberCell(q.high()) : TextCell(""),
         TextCell(q.unit()), TextCell(QualifierLabel(q.qualifier())), TextCell(change),
         TextCell(Period(i.period_start(), i.period_end())), TextCell(i.is_target() ? "是" : ""),
         TextCell(i.metric_key()), TextCell(i.sentence()), TextCell(i.indicator_id())});
  }
  return t;
}

Table MetricsTable(const v1::ListMetricsResponse& r) {
  Table t{"ListMetrics", {"指标键", "名称", "领域", "单位类型", "指标数", "常见单位"}, {}};
  for (const v1::MetricSummary& m : r.metrics()) {
    std::vector<std::string> units;
    for (const v1::MetricUnitCount& u : m.units()) units.push_back(u.unit());
    t.rows.push_back({TextCell(m.key()), TextCell(m.name_zh()), TextCell(m.area()),
                      TextCell(m.unit_kind()), NumberCell(static_cast<double>(m.count())),
                      TextCell(absl::StrJoin(units, " "))});
  }
  return t;
}

Table RegionsTable(const v1::ListRegionsResponse& r) {
  Table t{"ListRegions", {"地区代码", "地区", "省份代码", "报告数", "指标数", "年份"}, {}};
  for (const v1::RegionCoverage& c : r.regions()) {
    t.rows.push_back({TextCell(c.region_code()), TextCell(c.region_name()),
                      TextCell(c.province_code()), NumberCell(c.report_count()),
                      NumberCell(static_cast<double>(c.figure_count())),
                      TextCell(absl::StrJoin(c.years(), " "))});
  }
  return t;
}

template <typename T>
const T* As(const google::protobuf::Message& reply) {
  return dynamic_cast<const T*>(&reply);
}

}  // namespace

Cell TextCell(std::string text) { return Cell{std::move(text), std::nullopt}; }

Cell NumberCell(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.15g", value);
  return Cell{buffer, value};
}

bool HasAnswerTable(absl::string_view method) {
  for (absl::string_view m : kTableMethods) {
    if (m == method) return true;
  }
  return false;
}

absl::StatusOr<Table> AnswerTable(absl::string_view method, const google::protobuf::Message& reply,
                                  const regions::RegionTable& regions) {
  if (const auto* r = As<v1::RankResponse>(reply); r && method == "Rank")
    return RankTable(*r, regions);
  if (const auto* r = As<v1::TimeSeriesResponse>(reply); r && method == "TimeSeries")
    return SeriesTable(*r, regions);
  if (const auto* r = As<v1::CompareResponse>(reply); r && method == "Compare")
    return CompareTable(*r, regions);
  if (const auto* r = As<v1::AggregateResponse>(reply); r && method == "Aggregate")
    return AggregateTable(*r);
  if (const auto* r = As<v1::SearchIndicatorsResponse>(reply); r && method == "SearchIndicators")
    return SearchTable(*r);
  if (const auto* r = As<v1::ListReportsResponse>(reply); r && method == "ListReports")
    return ReportsTable(*r);
  if (const auto* r = As<v1::ListMetricsResponse>(reply); r && method == "ListMetrics")
    return MetricsTable(*r);
  if (const auto* r = As<v1::ListRegionsResponse>(reply); r && method == "ListRegions")
    return RegionsTable(*r);
  if (const auto* r = As<v1::GetReportResponse>(reply); r && method == "GetReport")
    return ReportFiguresTable(*r);
  return NoAnswerTable(method);
}

absl::Status NoAnswerTable(absl::string_view method) {
  std::vector<std::string> names(std::begin(kTableMethods), std::end(kTableMethods));
  return absl::UnimplementedError(
      absl::StrCat(method, " has no table to download; these do: ", absl::StrJoin(names, ", ")));
}

}  // namespace zb::webapi
