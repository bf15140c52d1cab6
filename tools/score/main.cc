// zhibiao-score: scores the extractor on a document against its gold file.
//   zhibiao-score GOLD.jsonl DOCUMENT [--details]
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/pipeline/report_builder.h"
#include "tools/score/scorer.h"

ABSL_FLAG(bool, details, false, "list misses, false positives and mismatches");

namespace {
std::string Read(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("zhibiao-score GOLD.jsonl DOCUMENT [--details]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 3) {
    std::fprintf(stderr, "usage: zhibiao-score GOLD.jsonl DOCUMENT [--details]\n");
    return 2;
  }
  auto gold = zb::score::ParseGold(Read(args[1]));
  if (!gold.ok()) {
    std::fprintf(stderr, "%s\n", gold.status().ToString().c_str());
    return 1;
  }
  auto report = zb::pipeline::BuildReport(Read(args[2]), args[2]);
  if (!report.ok()) {
    std::fprintf(stderr, "%s: %s\n", args[2], report.status().ToString().c_str());
    return 1;
  }
  std::printf("%s", zb::score::FormatScore(zb::score::ScoreReport(*report, *gold),
                                           absl::GetFlag(FLAGS_details))
                        .c_str());
  return 0;
}
