// zhibiao-gencorpus: writes a synthetic corpus of reports and its truth.tsv
// (see corpus_generator.h) into a folder, e.g. for `zhibiao ingest DIR` or
// the query benchmark.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/corpus/corpus_generator.h"

ABSL_FLAG(std::string, out, "", "folder to write the reports and truth.tsv into (created)");
ABSL_FLAG(int, regions, 200, "prefecture-level regions");
ABSL_FLAG(int, years, 5, "years per region");
ABSL_FLAG(int, first_year, 2019, "first report year");
ABSL_FLAG(double, revision_share, 0.08, "share of region-years that also get a revised report");
ABSL_FLAG(uint64_t, seed, 1, "random seed (the same seed gives the same corpus)");
ABSL_FLAG(bool, only_text, false, "UTF-8 text only");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "zhibiao-gencorpus --out=DIR [--regions=N --years=M --seed=S]: synthetic reports with their "
      "true "
      "figures in DIR/truth.tsv");
  absl::ParseCommandLine(argc, argv);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::fprintf(stderr, "zhibiao-gencorpus: --out is required\n");
    return 2;
  }
  zb::corpus::CorpusOptions options;
  options.regions = absl::GetFlag(FLAGS_regions);
  options.years = absl::GetFlag(FLAGS_years);
  options.first_year = absl::GetFlag(FLAGS_first_year);
  options.revision_share = absl::GetFlag(FLAGS_revision_share);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.only_text = absl::GetFlag(FLAGS_only_text);
  const auto reports = zb::corpus::GenerateCorpus(options);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "zhibiao-gencorpus: cannot create %s: %s\n", out.c_str(),
                 ec.message().c_str());
    return 1;
  }
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream f(std::filesystem::path(out) / name, std::ios::binary);
    f << bytes;
    return static_cast<bool>(f);
  };
  size_t figures = 0;
  for (const auto& r : reports) {
    if (!write(r.file_name, r.bytes)) {
      std::fprintf(stderr, "zhibiao-gencorpus: cannot write %s\n", r.file_name.c_str());
      return 1;
    }
    figures += r.figures.size();
  }
  if (!write("truth.tsv", zb::corpus::TruthTsv(reports))) return 1;
  std::printf("%zu reports with %zu true figures in %s\n", reports.size(), figures, out.c_str());
  return 0;
}
