#include "tools/corpus/corpus_generator.h"

#include <unicode/ucnv.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/regions/regions.h"

namespace zb::corpus {
namespace {

using zhibiao::v1::Qualifier;
using zhibiao::v1::UnitKind;

// How the generator writes figures of one metric.
struct MetricSpec {
  std::string key;
  std::string unit_written;  // as it follows the number: 件, 万件, %, 个工作日
  std::string unit;          // base unit
  UnitKind kind;
  double scale;                    // 10000 for 万件 / 万元
  double min, max;                 // of the number as written
  int decimals;                    // of the number as written
  bool inexact_allowed;            // approximate, at-least and range forms
  int section;                     // top-level section it is written in
  std::vector<std::string> forms;  // sentences; {v} is the figure
};

const std::vector<MetricSpec>& Specs() {
  static const auto* specs = new std::vector<MetricSpec>{
      {"training.participants",
       "人次",
       "人次",
       zhibiao::v1::UNIT_KIND_COUNT,
       1,
       800,
       60000,
       0,
       true,
       0,
       {"全年累计参加法治培训{v}", "各级领导干部和执法人员参训{v}"}},
      {"training.exam_takers",
       "人",
       "人",
       zhibiao::v1::UNIT_KIND_COUNT,
       1,
       300,
       20000,
       0,
       true,
       0,
       {"组织国家工作人员参加学法考试{v}", "参加法律知识考试的工作人员共{v}"}},
      {"training.exam_pass_rate",
       "%",
       "%",
       zhibiao::v1::UNIT_KIND_PERCENT,
       1,
       85,
       100,
       1,
       false,
       0,
       {"学法考试合格率达{v}", "法律知识考试通过率为{v}"}},
      {"gov_services.transactions",
       "万件",
       "件",
       zhibiao::v1::UNIT_KIND_COUNT,
       10000,
       1,
       300,
       2,
       true,
       1,
       {"政务服务中心全年受理办件{v}", "各级政务服务窗口全年办理业务{v}"}},
      {"gov_services.on_time_rate",
       "%",
       "%",
       zhibiao::v1::UNIT_KIND_PERCENT,
       1,
       90,
       100,
       1,
       false,
       1,
       {"政务服务办件按时办结率达{v}", "审批服务事项按期办结率为{v}"}},
      {"gov_services.online_rate",
       "%",
       "%",
       zhibiao::v1::UNIT_KIND_PERCENT,
       1,
       70,
       100,
       1,
       false,
       1,
       {"政务服务事项网上可办率达到{v}", "依申请政务服务事项网办率达{v}"}},
      {"business_env.startup_time",
       "个工作日",
       "工作日",
       zhibiao::v1::UNIT_KIND_DURATION,
       1,
       1,
       5,
       0,
       false,
       1,
       {"企业开办时间压缩至{v}", "开办企业全流程时间压缩至{v}"}},
      {"rulemaking.normative_docs_filed",
       "件",
       "件",
       zhibiao::v1::UNIT_KIND_COUNT,
       1,
       5,
       120,
       0,
       true,
       2,
       {"向上级机关报送备案规范性文件{v}", "全年依法报备规范性文件{v}"}},
      {"decision_making.legality_reviews",
       "件",
       "件",
       zhibiao::v1::UNIT_KIND_COUNT,
       1,
       20,
       900,
       0,
       true,
       2,
       {"对重大行政决策和各类文件开展合法性审查{v}", "全年合法性审核各类文件{v}"}},
      {"decision_making.legal_counsels",
       "名",
       "名",
       zhibiao::v1::UNIT_KIND_COUNT,
       1,
       10,
       400,
       0,
       true,
       2,
       {"全市各级政府聘请法律顾问{v}", "政府部门共聘任法律顾问{v}"}},
      {"enforcement.cases",
       "件",
       "件",
       zhibiao::v1::UNIT_KIND_COUNT,
       1,
       300,
       30000,
       0,
       true,
       3,
       {"全年查办行政执法案件{v}", "各级行政执法机关共办理执法案件{v}"}},
      {"enforcement.fines",
       "万元",
       "元",
       zhibiao::v1::UNIT_KIND_CURRENCY_CNY,
       10000,
       10,
       9000,
       2,
       true,
       3,
       {"全年收缴罚没款{v}", "依法收缴罚没金额{v}"}},
      {"admin_litigation.head_appearance_rate",
       "%",
       "%",
       zhibiao::v1::UNIT_KIND_PERCENT,
       1,
       60,
       100,
       1,
       false,
       4,
       {"行政机关负责人出庭应诉率达{v}", "全年行政机关负责人出庭应诉率为{v}"}},
  };
  return *specs;
}

const std::vector<std::string>& Headings() {
  static const auto* headings =
      new std::vector<std::string>{"深入学习贯彻习近平法治思想，加强法治政府建设组织领导",
                                   "依法全面履行政府职能，持续优化法治化营商环境",
                                   "健全依法行政制度体系，推进科学民主依法决策",
                                   "严格规范公正文明执法，全面提升执法质量",
                                   "强化行政权力监督，依法有效化解社会矛盾纠纷",
                                   "存在的不足和下一步工作打算"};
  return *headings;
}

const std::vector<std::string>& SubHeadings() {
  static const auto* subs =
      new std::vector<std::string>{"压实工作责任", "强化制度保障", "注重能力建设",
                                   "狠抓工作落实", "坚持问题导向", "完善工作机制"};
  return *subs;
}

// Sentences without a figure: the prose between figures.
const std::vector<std::string>& Filler() {
  static const auto* filler = new std::vector<std::string>{
      "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党中央关于法治政府建设的决策部署"
      "。",
      "主要负责人切实履行推进法治建设第一责任人职责，把法治政府建设摆在全局工作的重要位置。",
      "持续深化放管服改革，推动政务服务标准化、规范化、便利化。",
      "坚持把公众参与、专家论证、风险评估、合法性审查和集体讨论决定作为重大行政决策法定程序。",
      "全面推行行政执法公示制度、执法全过程记录制度和重大执法决定法制审核制度。",
      "认真落实行政机关负责人出庭应诉制度，支持人民法院依法受理和审理行政案件。",
      "加强规范性文件备案审查，坚决纠正违法和不当的规范性文件。",
      "深入开展普法宣传教育，营造尊法学法守法用法的良好氛围。",
      "同时也要看到，法治政府建设工作与群众期待相比还有一定差距。",
      "我们将进一步提高政治站位，以更高标准推动法治政府建设向纵深发展。",
  };
  return *filler;
}

const char* kChineseDigits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};

std::string ChineseOrdinal(int n) {  // 1..10
  return kChineseDigits[n];
}

// The number as written: `decimals` places, trailing zeros dropped.
std::string FormatNumber(double v, int decimals) {
  std::string s = absl::StrFormat("%.*f", decimals, v);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

double Round(double v, int decimals) {
  const double p = std::pow(10.0, decimals);
  return std::round(v * p) / p;
}

// The value a reader takes from the written digits and the unit's scale: 1306.87万
// is 13068700 exactly, as the extractor reads it, not 1306.87 * 10000 in binary.
double WrittenValue(const std::string& digits, double scale) {
  double value = 0;
  const int exponent = static_cast<int>(std::lround(std::log10(scale)));
  if (!absl::SimpleAtod(absl::StrCat(digits, "e", exponent), &value))
    return std::stod(digits) * scale;
  return value;
}

class Writer {
 public:
  explicit Writer(uint64_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }
  bool Chance(double p) { return Real(0, 1) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int>(v.size()) - 1)];
  }

  // A figure of `spec` and its text; `force_exact` for targets and weights.
  std::pair<TrueFigure, std::string> Figure(const MetricSpec& spec, bool force_exact) {
    TrueFigure f;
    f.metric_key = spec.key;
    f.unit = spec.unit;
    f.kind = spec.kind;
    double number = Round(Real(spec.min, spec.max), spec.decimals);
    if (spec.kind == zhibiao::v1::UNIT_KIND_PERCENT && number > 100) number = 100;
    std::string text = FormatNumber(number, spec.decimals);
    f.value = f.low = f.high = WrittenValue(text, spec.scale);
    const int form = force_exact || !spec.inexact_allowed ? 0 : Uniform(0, 9);
    if (form == 1) {
      f.qualifier = zhibiao::v1::QUALIFIER_APPROX;
      return {f, absl::StrCat(Chance(0.5) ? "约" : "近", text, spec.unit_written)};
    }
    if (form == 2) {
      f.qualifier = zhibiao::v1::QUALIFIER_AT_LEAST;
      return {f, absl::StrCat("超过", text, spec.unit_written)};
    }
    if (form == 3 && spec.decimals == 0 && spec.scale == 1) {
      // 1200余件: the number is a round lower bound.
      const double round = std::max(10.0, std::floor(number / 10) * 10);
      f.qualifier = zhibiao::v1::QUALIFIER_AT_LEAST;
      f.value = f.low = f.high = round;
      return {f, absl::StrCat(FormatNumber(round, 0), "余", spec.unit_written)};
    }
    if (form == 4 && spec.decimals == 0 && spec.scale == 1) {
      const double low = number;
      const double high = number + Uniform(2, 30);
      f.qualifier = zhibiao::v1::QUALIFIER_RANGE;
      f.low = low;
      f.high = high;
      f.value = (low + high) / 2;
      return {f, absl::StrCat(FormatNumber(low, 0), Chance(0.5) ? "至" : "-", FormatNumber(high, 0),
                              spec.unit_written)};
    }
    return {f, absl::StrCat(text, spec.unit_written)};
  }

 private:
  std::mt19937_64 rng_;
};

std::string ToGb18030(const std::string& utf8) {
  UErrorCode status = U_ZERO_ERROR;
  std::string out(utf8.size() * 2 + 16, '\0');
  const int32_t n = ucnv_convert("GB18030", "UTF-8", out.data(), static_cast<int32_t>(out.size()),
                                 utf8.data(), static_cast<int32_t>(utf8.size()), &status);
  if (U_FAILURE(status)) return utf8;
  out.resize(n);
  return out;
}

std::string HtmlEscape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}});
}

// Regions of `level` the metadata parser resolves back to themselves from
// the issuer's name.
std::vector<zhibiao::v1::Region> UsableRegions(zhibiao::v1::RegionLevel level) {
  const regions::RegionTable& table = regions::RegionTable::Default();
  std::vector<zhibiao::v1::Region> out;
  for (const auto& r : table.AtLevel(level)) {
    if (r.name().empty() || r.province_code().empty() || r.code().substr(2, 2) == "90") continue;
    auto resolved = table.ResolvePrefix(absl::StrCat(r.name(), "人民政府"));
    if (resolved && resolved->code() == r.code()) out.push_back(r);
  }
  return out;
}

struct Body {
  std::string title;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> sections;
  std::string preamble;
  std::string signature;
  std::string date_line;
};

// Lays out the report with one of the numbering styles.
std::string RenderText(const Body& body, int style) {
  std::string out = absl::StrCat(body.title, "\n", body.preamble, "\n");
  for (size_t i = 0; i < body.sections.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    if (style == 2) {
      absl::StrAppend(&out, "第", ChineseOrdinal(n), "部分 ", body.sections[i].first, "\n");
    } else {
      absl::StrAppend(&out, ChineseOrdinal(n), "、", body.sections[i].first, "\n");
    }
    const auto& subs = body.sections[i].second;
    for (size_t k = 0; k < subs.size(); ++k) {
      const int m = static_cast<int>(k) + 1;
      if (style == 1) {
        absl::StrAppend(&out, m, ".", subs[k].first, "。", subs[k].second, "\n");
      } else {
        absl::StrAppend(&out, "（", ChineseOrdinal(m), "）", subs[k].first, "。", subs[k].second,
                        "\n");
      }
    }
  }
  absl::StrAppend(&out, body.signature, "\n", body.date_line, "\n");
  return out;
}

std::string RenderHtml(const Body& body) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>", HtmlEscape(body.title),
      "</title></head><body><div class=\"nav\">首页 &gt; 政务公开 &gt; 法治政府建设</div>"
      "<div class=\"article\"><h1>",
      HtmlEscape(body.title), "</h1><p>", HtmlEscape(body.preamble), "</p>");
  for (size_t i = 0; i < body.sections.size(); ++i) {
    absl::StrAppend(&out, "<p><strong>", ChineseOrdinal(static_cast<int>(i) + 1), "、",
                    HtmlEscape(body.sections[i].first), "</strong></p>");
    const auto& subs = body.sections[i].second;
    for (size_t k = 0; k < subs.size(); ++k) {
      absl::StrAppend(&out, "<p>（", ChineseOrdinal(static_cast<int>(k) + 1), "）",
                      HtmlEscape(subs[k].first), "。", HtmlEscape(subs[k].second), "</p>");
    }
  }
  absl::StrAppend(&out, "<p style=\"text-align:right\">", HtmlEscape(body.signature), "</p>",
                  "<p style=\"text-align:right\">", HtmlEscape(body.date_line), "</p></div>",
                  "<div class=\"footer\">主办单位：", HtmlEscape(body.signature),
                  "办公室</div></body></html>");
  return out;
}

}  // namespace

const std::vector<std::string>& GeneratedMetricKeys() {
  static const auto* keys = [] {
    auto* k = new std::vector<std::string>;
    for (const MetricSpec& s : Specs()) k->push_back(s.key);
    return k;
  }();
  return *keys;
}

std::vector<GeneratedReport> GenerateCorpus(const CorpusOptions& options) {
  Writer w(options.seed);
  // Prefecture-level regions first, then (for large corpora) counties, each
  // in a fixed shuffled order.
  std::vector<zhibiao::v1::Region> regions = UsableRegions(zhibiao::v1::REGION_LEVEL_CITY);
  std::shuffle(regions.begin(), regions.end(), std::mt19937_64(options.seed ^ 0x5eed));
  if (static_cast<int>(regions.size()) < options.regions) {
    std::vector<zhibiao::v1::Region> counties = UsableRegions(zhibiao::v1::REGION_LEVEL_COUNTY);
    std::shuffle(counties.begin(), counties.end(), std::mt19937_64(options.seed ^ 0xc0de));
    regions.insert(regions.end(), counties.begin(), counties.end());
  }
  if (static_cast<int>(regions.size()) > options.regions) regions.resize(options.regions);
  std::vector<GeneratedReport> out;
  for (const auto& region : regions) {
    for (int y = 0; y < options.years; ++y) {
      const int year = options.first_year + y;
      const bool revise = w.Chance(options.revision_share);
      // The original, then maybe a revision published a few months later
      // that restates some figures (a revision may leave a metric out: the
      // original's figure then still stands for it).
      std::map<std::string, std::pair<TrueFigure, std::string>> previous;
      int month = w.Uniform(1, 3);
      for (int version = 0; version < (revise ? 2 : 1); ++version) {
        GeneratedReport r;
        r.region_code = region.code();
        r.region_name = region.name();
        r.province_code = region.province_code();
        r.year = year;
        r.is_revision = version == 1;
        const int day = w.Uniform(1, 28);
        if (version == 1) month = w.Uniform(month + 1, 12);
        r.published_date = absl::StrFormat("%04d-%02d-%02d", year + 1, month, day);

        Body body;
        const std::string issuer = absl::StrCat(region.name(), "人民政府");
        const int title_form = w.Uniform(0, 2);
        body.title = title_form == 0
                         ? absl::StrCat(issuer, "关于", year, "年法治政府建设情况的报告")
                     : title_form == 1
                         ? absl::StrCat(region.name(), year, "年法治政府建设情况报告")
                         : absl::StrCat(issuer, "关于", year, "年度法治政府建设工作情况的报告");
        if (r.is_revision) body.title += "（修订）";
        body.preamble = absl::StrCat(year, "年，", w.Pick(Filler()), w.Pick(Filler()));
        body.signature = issuer;
        body.date_line = absl::StrFormat("%d年%d月%d日", year + 1, month, day);
        const auto& headings = Headings();
        for (size_t s = 0; s < headings.size(); ++s) {
          body.sections.push_back({headings[s], {}});
          const int subs = w.Uniform(1, 2);
          for (int k = 0; k < subs; ++k) {
            body.sections[s].second.push_back({w.Pick(SubHeadings()), w.Pick(Filler())});
          }
        }
        for (const MetricSpec& spec : Specs()) {
          if (!w.Chance(options.figure_share)) continue;
          std::pair<TrueFigure, std::string> fig;
          if (version == 1 && previous.count(spec.key) && w.Chance(0.5)) {
            fig = previous[spec.key];  // restated unchanged
          } else {
            fig = w.Figure(spec, spec.key == "training.exam_takers" ||
                                     spec.key == "gov_services.transactions");
          }
          previous[spec.key] = fig;
          auto& subs = body.sections[spec.section].second;
          auto& paragraph = subs[w.Uniform(0, static_cast<int>(subs.size()) - 1)].second;
          absl::StrAppend(&paragraph,
                          absl::StrReplaceAll(w.Pick(spec.forms), {{"{v}", fig.second}}));
          r.figures.push_back(fig.first);
          // Flows sometimes come with their change on the year before, which
          // the extractor files under the same metric as a change in percent.
          if ((spec.kind == zhibiao::v1::UNIT_KIND_COUNT ||
               spec.kind == zhibiao::v1::UNIT_KIND_CURRENCY_CNY) &&
              (spec.section == 1 || spec.section == 3) && w.Chance(0.4)) {
            static const std::vector<std::pair<std::string, zhibiao::v1::Change>> kChanges = {
                {"同比增长", zhibiao::v1::CHANGE_INCREASE},
                {"较上年增长", zhibiao::v1::CHANGE_INCREASE},
                {"同比下降", zhibiao::v1::CHANGE_DECREASE},
                {"比上年减少", zhibiao::v1::CHANGE_DECREASE}};
            const auto& [words, direction] = w.Pick(kChanges);
            TrueFigure change;
            change.metric_key = spec.key;
            change.value = change.low = change.high = Round(w.Real(0.5, 30), 1);
            change.unit = "%";
            change.kind = zhibiao::v1::UNIT_KIND_PERCENT;
            change.change = direction;
            absl::StrAppend(&paragraph, "，", words, FormatNumber(change.value, 1), "%");
            r.figures.push_back(change);
          }
          absl::StrAppend(&paragraph, "。");
          if (w.Chance(0.3)) absl::StrAppend(&paragraph, w.Pick(Filler()));
        }
        // A target for next year in the closing section.
        if (w.Chance(0.5)) {
          const MetricSpec& online = Specs()[5];
          auto [fig, text] = w.Figure(online, true);
          fig.is_target = true;
          absl::StrAppend(&body.sections.back().second.back().second,
                          "下一步，力争政务服务事项网上可办率达到", text, "。");
          r.figures.push_back(fig);
        }
        const int format = options.only_text ? 0 : w.Uniform(0, 9);
        const std::string stem =
            absl::StrCat(region.code(), "-", year, r.is_revision ? "-revised" : "");
        if (format <= 5) {
          r.format = zhibiao::v1::DOCUMENT_FORMAT_TEXT;
          r.encoding = "UTF-8";
          r.bytes = RenderText(body, w.Uniform(0, 2));
          r.file_name = stem + ".txt";
        } else if (format <= 7) {
          r.format = zhibiao::v1::DOCUMENT_FORMAT_TEXT;
          r.encoding = "GB18030";
          r.bytes = ToGb18030(RenderText(body, w.Uniform(0, 2)));
          r.file_name = stem + ".gb18030.txt";
        } else {
          r.format = zhibiao::v1::DOCUMENT_FORMAT_HTML;
          r.encoding = "UTF-8";
          r.bytes = RenderHtml(body);
          r.file_name = stem + ".html";
        }
        out.push_back(std::move(r));
      }
    }
  }
  return out;
}

std::string TruthTsv(const std::vector<GeneratedReport>& reports) {
  std::string out =
      "# "
      "file\tregion\tprovince\tyear\tpublished\trevision\tmetric\tvalue\tlow\thigh\tunit\tkind\tqua"
      "lifier"
      "\tchange\ttarget\n";
  for (const GeneratedReport& r : reports) {
    for (const TrueFigure& f : r.figures) {
      absl::StrAppend(&out, r.file_name, "\t", r.region_code, "\t", r.province_code, "\t", r.year,
                      "\t", r.published_date, "\t", r.is_revision ? 1 : 0, "\t", f.metric_key, "\t",
                      absl::StrFormat("%.10g\t%.10g\t%.10g", f.value, f.low, f.high), "\t", f.unit,
                      "\t", zhibiao::v1::UnitKind_Name(f.kind), "\t",
                      zhibiao::v1::Qualifier_Name(f.qualifier), "\t",
                      zhibiao::v1::Change_Name(f.change), "\t", f.is_target ? 1 : 0, "\n");
    }
  }
  return out;
}

}  // namespace zb::corpus
