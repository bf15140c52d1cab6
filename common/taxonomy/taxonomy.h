// The indicator taxonomy: canonical metric keys (common/taxonomy/data/
// taxonomy.json, versioned, compiled into the binary) and the rules that map
// an extracted figure onto one of them from the words around it.
//
// Mapping (after the taxonomy's own notes): the context is the sentence up to
// 40 code points before the figure and up to 10 after its unit when no
// punctuation intervenes; an entry is a candidate when its unit kind and
// units fit the figure, one of its `requires_any` words occurs in the
// sentence or the section headings, and none of its `excludes_any` words
// occurs in the sentence before the figure; among candidates whose cue
// phrases occur, the nearest cue wins, then the longest.
#ifndef ZHIBIAO_COMMON_TAXONOMY_TAXONOMY_H_
#define ZHIBIAO_COMMON_TAXONOMY_TAXONOMY_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/extract/quantities.h"
#include "zhibiao/v1/report.pb.h"

namespace zb::taxonomy {

struct Entry {
  std::string key;
  std::string name_zh;
  std::string area;
  std::string unit_kind;  // count, percent, currency_cny, duration, average, score
  std::vector<std::string> units;
  std::vector<std::string> patterns;
  std::vector<std::string> requires_any;
  std::vector<std::string> excludes_any;
  bool additive = false;
  std::string aggregate;   // sum, mean, weighted_mean
  std::string temporal;    // flow, stock, rate
  std::string weight_key;  // for weighted_mean: the metric whose figure weighs this one's
};

// What the mapper looks at for one figure.
struct FigureContext {
  absl::string_view before;    // sentence text before the figure (at most 40 code points)
  absl::string_view after;     // text after the figure up to punctuation (at most 10 code points)
  absl::string_view sentence;  // the whole sentence
  absl::string_view headings;  // headings of the section and its ancestors, joined
  absl::string_view unit;      // base unit ("件", "%", "元")
  absl::string_view unit_written;
  zhibiao::v1::UnitKind kind = zhibiao::v1::UNIT_KIND_UNSPECIFIED;
  bool is_change = false;
};

// Immutable after construction; thread-safe.
class Taxonomy {
 public:
  // The taxonomy compiled into the binary, parsed once.
  static const Taxonomy& Default();
  static absl::StatusOr<Taxonomy> Parse(absl::string_view json);

  int version() const { return version_; }
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* Find(absl::string_view key) const;

  // The key for a figure, or "" when no entry fits.
  std::string Map(const FigureContext& figure) const;

 private:
  // A cue phrase of an entry, indexed by its first character.
  struct Cue {
    std::string pattern;
    int64_t code_points;
    size_t entry;
  };
  bool UnitFits(const Entry& e, const FigureContext& f) const;
  bool Admissible(const Entry& e, const FigureContext& f) const;

  int version_ = 0;
  absl::flat_hash_map<char32_t, std::vector<Cue>> cues_by_first_char_;
  std::vector<Entry> entries_;
  absl::flat_hash_map<std::string, size_t> by_key_;
};

// Sets metric_key on each indicator of a report from its normalised text,
// sentences and section headings.
void AssignMetricKeys(const Taxonomy& taxonomy, absl::string_view normalized_text,
                      const std::vector<zhibiao::v1::Section>& sections,
                      std::vector<zhibiao::v1::Indicator>* indicators);
// The same over text already decoded into code points.
void AssignMetricKeys(const Taxonomy& taxonomy, const extract::CodePointText& text,
                      const std::vector<zhibiao::v1::Section>& sections,
                      std::vector<zhibiao::v1::Indicator>* indicators);

}  // namespace zb::taxonomy

#endif  // ZHIBIAO_COMMON_TAXONOMY_TAXONOMY_H_
