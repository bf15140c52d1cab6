#include "common/doc/metadata.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace zb::doc {
namespace {

zhibiao::v1::ReportMeta Derive(const std::string& text, std::vector<zhibiao::v1::Warning>* w) {
  zhibiao::v1::ReportMeta meta;
  DeriveMetadata(ParseStructure(text), RegionTable::Default(), zhibiao::v1::ReportHints(), &meta,
                 w);
  return meta;
}

TEST(MetadataTest, GovernmentReport) {
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive(
      "新乡市人民政府 关于2021年法治政府建设情况的报告\n正文。\n新乡市人民政府\n2022年2月25日\n",
      &w);
  EXPECT_EQ(meta.issuer(), "新乡市人民政府");
  EXPECT_EQ(meta.region().code(), "410700");
  EXPECT_EQ(meta.report_year(), 2021);
  EXPECT_EQ(meta.published_date(), "2022-02-25");
  EXPECT_TRUE(w.empty());
}

TEST(MetadataTest, DepartmentTakesItsGovernmentsRegion) {
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive("新乡市司法局2022年法治政府建设情况报告\n正文。\n二〇二三年一月十日\n", &w);
  EXPECT_EQ(meta.issuer(), "新乡市司法局");
  EXPECT_EQ(meta.region().name(), "新乡市");
  EXPECT_EQ(meta.report_year(), 2022);
  EXPECT_EQ(meta.published_date(), "2023-01-10");
}

TEST(MetadataTest, UnknownRegionIsAWarningNotAnError) {
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive(
      "云溪县人民政府关于2022年度法治政府建设情况的报告\n正文。\n云溪县人民政府\n2023年3月15日\n",
      &w);
  EXPECT_EQ(meta.region().name(), "云溪县");
  EXPECT_EQ(meta.region().code(), "");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].code(), "region_unresolved");
}

TEST(MetadataTest, YearFromPublicationWhenTitleHasNone) {
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive(
      "郑州市人民政府法治政府建设情况报告\n正文没有年份。\n郑州市人民政府\n2023-02-20\n", &w);
  EXPECT_EQ(meta.report_year(), 2022);
}

TEST(MetadataTest, LongRunsOfChineseDigitsAreNotYears) {
  // Found by the decode_structure fuzzer: a run of 三 overflowed the year reader.
  std::vector<zhibiao::v1::Warning> w;
  auto meta = Derive(std::string("报告") + "三三三三三三三三三三三三年\n正文。\n", &w);
  EXPECT_EQ(meta.report_year(), 0);
}

}  // namespace
}  // namespace zb::doc

namespace zb::doc {
namespace {

struct Derived {
  zhibiao::v1::ReportMeta meta;
  std::vector<zhibiao::v1::Warning> warnings;
  DocumentStructure structure;
};

Derived DeriveWith(const std::string& text, const zhibiao::v1::ReportHints& hints = {}) {
  Derived d;
  d.structure = ParseStructure(text);
  DeriveMetadata(d.structure, RegionTable::Default(), hints, &d.meta, &d.warnings);
  return d;
}

bool HasWarning(const Derived& d, absl::string_view code) {
  for (const auto& w : d.warnings) {
    if (w.code() == code) return true;
  }
  return false;
}

TEST(MetadataRulesTest, SiteChromeIsSkippedAndThePageDateKept) {
  Derived d = DeriveWith(
      "您的位置:首页>政务公开>法治政府建设\n下载 打印 全屏 收藏\n【字号:加大 还原 减小】\n"
      "郑州市人民政府关于2022年法治政府建设工作情况的报告\n来源:郑州市司法局\n"
      "时间:2023-03-10 10:00\n浏览次数:1234\n分享:\n"
      "2022年,郑州市坚持以习近平法治思想为指导,全市办理行政复议案件1234件。\n"
      "一、加强党的领导\n市政府常务会议学法12次。\n"
      "版权所有:郑州市人民政府 豫ICP备05000000号\n");
  EXPECT_EQ(d.meta.title(), "郑州市人民政府关于2022年法治政府建设工作情况的报告");
  EXPECT_EQ(d.meta.region().code(), "410100");
  EXPECT_EQ(d.meta.kind(), zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT);
  EXPECT_EQ(d.meta.report_year(), 2022);
  EXPECT_EQ(d.meta.published_date(), "2023-03-10");
  EXPECT_EQ(d.structure.page_source, "郑州市司法局");
  ASSERT_FALSE(d.structure.sections.empty());
  EXPECT_TRUE(absl::StartsWith(d.structure.sections[0].text(), "2022年,郑州市坚持"));
  for (const auto& s : d.structure.sections) {
    EXPECT_FALSE(absl::StrContains(s.text(), "ICP")) << s.text();
    EXPECT_FALSE(absl::StrContains(s.text(), "字号")) << s.text();
  }
}

TEST(MetadataRulesTest, BodyOnlyExcerptTakesTheRegionTheBodySpeaksAs) {
  Derived d = DeriveWith(
      "2023年以来,新乡市坚持以习近平新时代中国特色社会主义思想为指导,深入学习贯彻习近平法治思想,"
      "全市法治政府建设取得新成效。全市办理行政复议案件356件,行政机关负责人出庭应诉率100%。\n"
      "一、坚持党的领导\n新乡市政府常务会议专题学法6次,郑州市、开封市来新乡交流。\n");
  EXPECT_EQ(d.meta.region().code(), "410700");
  EXPECT_EQ(d.meta.kind(), zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT);
  EXPECT_EQ(d.meta.report_year(), 2023);
  EXPECT_EQ(d.meta.title(), "");
}

TEST(MetadataRulesTest, ADepartmentsBodyGivesItsIssuerAndItsGovernmentsRegion) {
  Derived d = DeriveWith(
      "郧西县司法局贯彻落实《法治政府建设实施纲要》,2022年全县开展普法活动120场次,"
      "办理法律援助案件310件,行政执法案卷评查率100%,行政复议纠错率8%。\n");
  EXPECT_EQ(d.meta.issuer(), "郧西县司法局");
  EXPECT_EQ(d.meta.region().code(), "420322");
  EXPECT_EQ(d.meta.report_year(), 2022);
}

TEST(MetadataRulesTest, AutonomousPrefectureAndCountyShortForms) {
  EXPECT_EQ(
      DeriveWith("延边州人民政府关于2023年法治政府建设情况的报告\n2023年,全州上下坚持依法行政。\n")
          .meta.region()
          .code(),
      "222400");
  EXPECT_EQ(DeriveWith("恩施州2022年法治政府建设情况报告\n2022年,全州深入推进依法行政。\n")
                .meta.region()
                .code(),
            "422800");
  EXPECT_EQ(
      DeriveWith("长阳县人民政府关于2022年法治政府建设情况的报告\n2022年,全县推进依法行政。\n")
          .meta.region()
          .code(),
      "420528");
}

TEST(MetadataRulesTest, ProvinceWithoutItsSuffix) {
  Derived d = DeriveWith(
      "河南2025年国民经济和社会发展统计公报\n河南省统计局\n"
      "一、综合\n初步核算,全年全省生产总值66000亿元,比上年增长5.6%。第一产业增加值比上年增长4.1%;"
      "第二产业增加值比上年增长6.0%;第三产业增加值比上年增长5.8%。全年粮食产量比上年增长1.2%。"
      "规模以上工业增加值比上年增长7.0%。\n");
  EXPECT_EQ(d.meta.region().code(), "410000");
  EXPECT_EQ(d.meta.kind(), zhibiao::v1::DOCUMENT_KIND_STATISTICAL_BULLETIN);
  EXPECT_EQ(d.meta.report_year(), 2025);
}

TEST(MetadataRulesTest, NamesSeveralRegionsShareAreToldApartByTheRegionsAround) {
  Derived d = DeriveWith(
      "鼓楼区人民政府关于2022年法治政府建设情况的报告\n"
      "2022年,在福州市委、市政府的坚强领导下,鼓楼区坚持依法行政,全区办理行政复议案件88件。\n");
  EXPECT_EQ(d.meta.region().code(), "350102");
  Derived kaifeng = DeriveWith(
      "鼓楼区人民政府关于2022年法治政府建设情况的报告\n"
      "2022年,在开封市委、市政府的坚强领导下,鼓楼区坚持依法行政,全区办理行政复议案件61件。\n");
  EXPECT_EQ(kaifeng.meta.region().code(), "410204");
  // Nothing around it decides: unresolved, with a warning.
  Derived alone =
      DeriveWith("鼓楼区人民政府关于2022年法治政府建设情况的报告\n2022年,全区坚持依法行政。\n");
  EXPECT_EQ(alone.meta.region().code(), "");
  EXPECT_TRUE(HasWarning(alone, "region_unresolved"));
}

TEST(MetadataRulesTest, AReportOnOneLineWithInlineHeadings) {
  Derived d = DeriveWith(
      "洛阳市人民政府关于2023年法治政府建设情况的报告 市人大常委会:2023年以来,洛阳市坚持依法行政,"
      "现将有关情况报告如下:一、加强党的领导 (一)压实责任。市政府常务会议学法8次。(二)强化考核。"
      "考核权重提高到6%。二、推进依法行政 (一)规范执法。全市行政执法案卷评查1200卷。"
      "特此报告。 洛阳市人民政府 2024年3月1日");
  EXPECT_EQ(d.meta.title(), "洛阳市人民政府关于2023年法治政府建设情况的报告");
  EXPECT_EQ(d.meta.salutation(), "市人大常委会:");
  EXPECT_EQ(d.meta.region().code(), "410300");
  EXPECT_EQ(d.meta.report_year(), 2023);
  EXPECT_EQ(d.meta.published_date(), "2024-03-01");
  EXPECT_EQ(d.meta.signature(), "洛阳市人民政府");
  std::vector<std::string> paths;
  for (const auto& s : d.structure.sections) paths.push_back(s.path());
  EXPECT_EQ(paths, (std::vector<std::string>{"", "一", "一.(一)", "一.(二)", "二", "二.(一)"}));
}

TEST(MetadataRulesTest, ACitysWorkReportFromItsDeliveryLine) {
  Derived d = DeriveWith(
      "政府工作报告\n——2024年1月10日在洛阳市第十六届人民代表大会第三次会议上\n市长 徐衣显\n"
      "各位代表:\n现在,我代表市人民政府,向大会报告工作,请予审议。\n一、2023年工作回顾\n"
      "全市生产总值增长5.5%。\n");
  EXPECT_EQ(d.meta.kind(), zhibiao::v1::DOCUMENT_KIND_GOVERNMENT_WORK_REPORT);
  EXPECT_EQ(d.meta.region().code(), "410300");
  EXPECT_EQ(d.meta.report_year(), 2023);
  EXPECT_EQ(d.meta.delivered_date(), "2024-01-10");
  EXPECT_EQ(d.meta.published_date(), "2024-01-10");
  EXPECT_EQ(d.meta.issuer(), "洛阳市人民政府");
  EXPECT_EQ(d.meta.speaker(), "市长 徐衣显");
  EXPECT_EQ(d.meta.title(), "2024年洛阳市政府工作报告");
}

TEST(MetadataRulesTest, PhotoCaptionsAndSpeakerLinesAreNotTheBody) {
  Derived d = DeriveWith(
      "2026年山西省政府工作报告\n——2026年2月2日在山西省第十四届人民代表大会第五次会议上\n"
      "来源:山西日报\n时间:2026-02-09\n省长 "
      "卢东亮\n省长卢东亮在省十四届人大五次会议上作政府工作报告。本报记者阮洋摄\n"
      "各位代表:\n现在,我代表省人民政府,向大会报告工作。\n");
  EXPECT_EQ(d.meta.title(), "2026年山西省政府工作报告");
  EXPECT_EQ(d.meta.published_date(), "2026-02-09");
  EXPECT_EQ(d.meta.report_year(), 2025);
  ASSERT_EQ(d.structure.sections.size(), 1u);
  EXPECT_EQ(d.structure.sections[0].text(), "现在,我代表省人民政府,向大会报告工作。");
}

TEST(MetadataHintsTest, HintsWinAndContradictionsWarn) {
  const std::string excerpt =
      "全市办理行政复议案件356件,行政机关负责人出庭应诉率100%,行政执法案卷评查合格率98%。\n";
  Derived plain = DeriveWith(excerpt);
  EXPECT_EQ(plain.meta.region().code(), "");
  zhibiao::v1::ReportHints hints;
  hints.set_region_code("410700");
  hints.set_report_year(2023);
  hints.set_kind(zhibiao::v1::DOCUMENT_KIND_RULE_OF_LAW_REPORT);
  hints.set_source_url(
      "https://www.xinxiang.gov.cn/sitesources/xxsrmzf/page_pc/zwgk/t20240220_123.html");
  Derived hinted = DeriveWith(excerpt, hints);
  EXPECT_EQ(hinted.meta.region().code(), "410700");
  EXPECT_EQ(hinted.meta.region().province_code(), "410000");
  EXPECT_EQ(hinted.meta.report_year(), 2023);
  EXPECT_EQ(hinted.meta.published_date(), "2024-02-20");
  EXPECT_FALSE(HasWarning(hinted, "hint_contradicts_text"));

  hints.set_region_code("410100");  // 郑州市, while the text is 新乡's
  Derived contradicted = DeriveWith(
      "新乡市人民政府关于2023年法治政府建设情况的报告\n2023年,新乡市坚持依法行政。\n", hints);
  EXPECT_EQ(contradicted.meta.region().code(), "410100");
  ASSERT_TRUE(HasWarning(contradicted, "hint_contradicts_text"));
  bool names_both = false;
  for (const auto& w : contradicted.warnings) {
    names_both = names_both || (absl::StrContains(w.message(), "410100") &&
                                absl::StrContains(w.message(), "410700"));
  }
  EXPECT_TRUE(names_both);
}

TEST(MetadataHintsTest, HintsThatCannotBeRightAreRefused) {
  zhibiao::v1::ReportHints hints;
  hints.set_region_code("999999");
  absl::Status s = ValidateHints(hints, RegionTable::Default());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "999999")) << s;
  hints.Clear();
  hints.set_published_date("2024/02/20");
  EXPECT_EQ(ValidateHints(hints, RegionTable::Default()).code(),
            absl::StatusCode::kInvalidArgument);
  hints.Clear();
  hints.set_report_year(3000);
  EXPECT_EQ(ValidateHints(hints, RegionTable::Default()).code(),
            absl::StatusCode::kInvalidArgument);
  hints.Clear();
  hints.set_region_code("410700");
  hints.set_published_date("2024-02-20");
  EXPECT_TRUE(ValidateHints(hints, RegionTable::Default()).ok());
}

}  // namespace
}  // namespace zb::doc
