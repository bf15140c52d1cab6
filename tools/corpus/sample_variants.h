// Distinct reports made from one real report (the bundled sample,
// tests/data/xinxiang-2021.txt): variant n names another city as issuer,
// another year and carries a numbered sentence, so every variant has its own
// report id, region and routing shard while keeping the sample's size and
// figures. Used by tests that need many reports and by the load tool.
#ifndef ZHIBIAO_TOOLS_CORPUS_SAMPLE_VARIANTS_H_
#define ZHIBIAO_TOOLS_CORPUS_SAMPLE_VARIANTS_H_

#include <cstdint>
#include <string>

namespace zb::corpus {

// Variant n (n >= 0) of `sample`, a text of the Xinxiang 2021 report.
std::string SampleVariant(const std::string& sample, int64_t n);

// The six-digit region code variant n resolves to.
std::string SampleVariantRegion(int64_t n);

}  // namespace zb::corpus

#endif  // ZHIBIAO_TOOLS_CORPUS_SAMPLE_VARIANTS_H_
