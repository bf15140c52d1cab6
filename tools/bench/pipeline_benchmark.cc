// Throughput of the ingestion pipeline's stages on the bundled sample:
//   BM_TextPath      decode + NFKC + structure (the document parser for text)
//   BM_Extractor     quantity recognition + indicator meaning + taxonomy keys
//   BM_BuildReport   everything ingest does to a text document before storing it
// Bytes processed are the sample's bytes, so the MB/s column is comparable.
#include <fstream>
#include <iterator>
#include <string>

#include "benchmark/benchmark.h"
#include "common/doc/formats.h"
#include "common/doc/structure.h"
#include "common/extract/indicators.h"
#include "common/pipeline/report_builder.h"
#include "common/taxonomy/taxonomy.h"
#include "common/text/normalize.h"

namespace {

const std::string& Sample() {
  static const std::string* sample = [] {
    std::ifstream in(std::string(ZB_SOURCE_DIR) + "/tests/data/xinxiang-2021.txt",
                     std::ios::binary);
    return new std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  return *sample;
}

void BM_TextPath(benchmark::State& state) {
  const std::string& bytes = Sample();
  for (auto _ : state) {
    auto text = zb::doc::ReadDocument(bytes);
    auto normalized = zb::text::NormalizeNfkc(text->utf8);
    auto structure = zb::doc::ParseStructure(normalized.text);
    benchmark::DoNotOptimize(structure);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * bytes.size());
}
BENCHMARK(BM_TextPath);

void BM_Extractor(benchmark::State& state) {
  const std::string text = zb::text::NormalizeNfkc(Sample()).text;
  const auto structure = zb::doc::ParseStructure(text);
  const auto& taxonomy = zb::taxonomy::Taxonomy::Default();
  for (auto _ : state) {
    const zb::extract::CodePointText code_points(text);
    auto indicators = zb::extract::ExtractIndicators(code_points, structure.sections, 2021);
    zb::taxonomy::AssignMetricKeys(taxonomy, code_points, structure.sections, &indicators);
    benchmark::DoNotOptimize(indicators);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * Sample().size());
}
BENCHMARK(BM_Extractor);

// The stages of BM_Extractor on their own, to see where time goes.
void BM_Quantities(benchmark::State& state) {
  const std::string text = zb::text::NormalizeNfkc(Sample()).text;
  for (auto _ : state) {
    zb::extract::CodePointText t(text);
    benchmark::DoNotOptimize(zb::extract::FindQuantities(t));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * Sample().size());
}
BENCHMARK(BM_Quantities);

void BM_TaxonomyKeys(benchmark::State& state) {
  const std::string text = zb::text::NormalizeNfkc(Sample()).text;
  const auto structure = zb::doc::ParseStructure(text);
  const auto indicators = zb::extract::ExtractIndicators(text, structure.sections, 2021);
  const auto& taxonomy = zb::taxonomy::Taxonomy::Default();
  for (auto _ : state) {
    auto copy = indicators;
    zb::taxonomy::AssignMetricKeys(taxonomy, text, structure.sections, &copy);
    benchmark::DoNotOptimize(copy);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * Sample().size());
}
BENCHMARK(BM_TaxonomyKeys);

void BM_BuildReport(benchmark::State& state) {
  const std::string& bytes = Sample();
  for (auto _ : state) {
    auto report = zb::pipeline::BuildReport(bytes, "sample.txt");
    benchmark::DoNotOptimize(report);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * bytes.size());
}
BENCHMARK(BM_BuildReport);

}  // namespace
