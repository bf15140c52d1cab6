// Distinct report documents for tests that need many: the bundled sample
// with another city as issuer, another year and a numbered sentence, so every
// variant has its own report id, region and routing shard.
#ifndef ZHIBIAO_TESTS_TESTING_CORPUS_H_
#define ZHIBIAO_TESTS_TESTING_CORPUS_H_

#include <string>

namespace zb::testing {

// Variant n (n >= 0) of tests/data/xinxiang-2021.txt.
std::string SampleVariant(int n);

// The six-digit region code variant n resolves to.
std::string SampleVariantRegion(int n);

}  // namespace zb::testing

#endif  // ZHIBIAO_TESTS_TESTING_CORPUS_H_
