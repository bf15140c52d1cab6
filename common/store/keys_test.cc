#include "common/store/keys.h"

#include <random>

#include "gtest/gtest.h"

namespace zb::store {
namespace {

TEST(KeysTest, EscapedStringsKeepOrderAndRoundTrip) {
  std::mt19937 rng(1);
  std::vector<std::string> values = {"",
                                     std::string(1, '\0'),
                                     std::string("a\0b", 3),
                                     "a",
                                     "ab",
                                     "b",
                                     "leadership.law_study_sessions",
                                     "\xFF"};
  for (int i = 0; i < 300; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) s.push_back(static_cast<char>(rng() % 4 == 0 ? 0 : rng() % 256));
    values.push_back(s);
  }
  for (const std::string& a : values) {
    std::string ea;
    AppendEscaped(a, &ea);
    absl::string_view in = ea;
    std::string back;
    ASSERT_TRUE(ReadEscaped(&in, &back));
    EXPECT_EQ(back, a);
    EXPECT_TRUE(in.empty());
    for (const std::string& b : values) {
      std::string eb;
      AppendEscaped(b, &eb);
      // Order of encodings (with anything appended) equals order of values.
      EXPECT_EQ(a < b, ea + "\x7F" < eb) << "a=" << a.size() << " b=" << b.size();
    }
  }
}

TEST(KeysTest, IntegersAreBigEndian) {
  std::string a, b;
  AppendUint16(2021, &a);
  AppendUint16(2022, &b);
  EXPECT_LT(a, b);
  EXPECT_EQ(DecodeUint16(a.data()), 2021);
  std::string c, d;
  AppendUint32(255, &c);
  AppendUint32(256, &d);
  EXPECT_LT(c, d);
  EXPECT_EQ(DecodeUint32(d.data()), 256u);
}

TEST(KeysTest, IndicatorKeyRoundTripsAndSortsByMetricYearRegion) {
  zhibiao::v1::ReportMeta meta;
  meta.set_report_id(std::string(32, 'a'));
  meta.set_report_year(2021);
  meta.mutable_region()->set_code("410700");
  meta.mutable_region()->set_province_code("410000");
  zhibiao::v1::Indicator ind;
  ind.set_metric_key("dispute.mediation_rate");
  ind.set_seq(7);
  ind.set_subject("矛盾纠纷化解率");
  ind.mutable_quantity()->set_value(97.66);
  ind.mutable_quantity()->set_unit("%");
  const std::string key = IndicatorKey(meta, ind);
  IndicatorKeyParts parts;
  ASSERT_TRUE(ParseIndicatorKey(key, &parts));
  EXPECT_EQ(parts.metric_key, "dispute.mediation_rate");
  EXPECT_EQ(parts.year, 2021);
  EXPECT_EQ(parts.region, "410700");
  EXPECT_EQ(parts.report_id, meta.report_id());
  EXPECT_EQ(parts.seq, 7u);
  EXPECT_EQ(key.rfind(MetricYearPrefix("dispute.mediation_rate", 2021), 0), 0u);

  IndexValue value;  // views into the encoded bytes: keep them alive
  const std::string first_encoded = EncodeIndexValue(meta, ind);
  ASSERT_TRUE(DecodeIndexValue(first_encoded, &value));
  EXPECT_EQ(value.value, 97.66);
  EXPECT_EQ(value.unit, "%");
  EXPECT_EQ(value.subject, "矛盾纠纷化解率");
  EXPECT_EQ(value.province, "410000");
  EXPECT_EQ(value.period_end, 0);

  // The period's end year rides at the end; entries written before it decode with 0.
  ind.set_period_start(2026);
  ind.set_period_end(2030);
  std::string encoded = EncodeIndexValue(meta, ind);
  ASSERT_TRUE(DecodeIndexValue(encoded, &value));
  EXPECT_EQ(value.period_end, 2030);
  encoded.resize(encoded.size() - 2);
  ASSERT_TRUE(DecodeIndexValue(encoded, &value));
  EXPECT_EQ(value.period_end, 0);
  EXPECT_EQ(value.subject, "矛盾纠纷化解率");

  zhibiao::v1::ReportMeta later = meta;
  later.set_report_year(2022);
  EXPECT_LT(key, IndicatorKey(later, ind));
}

TEST(KeysTest, UnresolvedRegionsUseZeros) {
  EXPECT_EQ(RegionKeyPart(""), "000000");
  EXPECT_EQ(RegionKeyPart("41070"), "000000");
  EXPECT_EQ(RegionKeyPart("410700"), "410700");
}

}  // namespace
}  // namespace zb::store
