#include "services/query/aggregate_rounds.h"

#include <memory>
#include <string>
#include <utility>

#include "common/agg/aggregate.h"
#include "common/query/moving_reports.h"
#include "services/query/shard_fanout.h"

namespace zb::query {
namespace {

// Rounds of one answer built from shard aggregates. The first asks every
// target (or takes its current answer from the cache); while a report moves
// between shards, a further round asks again, leaving out the copies that
// the arriving reports counted replace (MovingReports). Every round shares
// the first one's deadline, so all the reads of an answer fall within the
// shard timeout; reextract waits longer than that between the steps of a
// move (docs/storage.md).
class AggregateRounds : public std::enable_shared_from_this<AggregateRounds> {
 public:
  using Response = zhibiao::v1::AggregateIndicatorsResponse;
  using Missing = google::protobuf::RepeatedPtrField<zhibiao::v1::ShardFailure>;
  using Finish = std::function<void(absl::Status, std::vector<ResultCache::Version>)>;
  using Answer = std::function<absl::Status(const std::vector<zhibiao::v1::PartialAggregate>&,
                                            const ShardTotals&)>;
  // Rounds after the first before the call gives up: each needs a report
  // that started moving during the call, so only a burst of moves (a
  // reextract batch on a slow machine) takes more than one or two.
  static constexpr int kMaxExtraRounds = 16;

  AggregateRounds(StorageShards* shards, ResultCache* cache, grpc::CallbackServerContext* context,
                  absl::Time deadline, std::vector<int> targets,
                  zhibiao::v1::AggregateIndicatorsRequest shard_request, bool allow_partial,
                  Missing* missing, Finish finish, Answer answer)
      : shards_(shards),
        cache_(cache),
        context_(context),
        deadline_(deadline),
        targets_(std::move(targets)),
        shard_request_(std::move(shard_request)),
        allow_partial_(allow_partial),
        missing_(missing != nullptr ? missing : &unused_missing_),
        finish_(std::move(finish)),
        answer_(std::move(answer)),
        answers_(targets_.size()),
        excluded_(targets_.size()),
        asked_(targets_.size(), true) {}

  // Asks every target whose answer is not current in the cache.
  void Start() {
    std::vector<size_t> positions(targets_.size());
    for (size_t i = 0; i < positions.size(); ++i) positions[i] = i;
    Ask(std::move(positions));
  }

 private:
  zhibiao::v1::AggregateIndicatorsRequest RequestFor(size_t position) const {
    zhibiao::v1::AggregateIndicatorsRequest request = shard_request_;
    for (const std::string& id : excluded_[position]) request.add_exclude_report_ids(id);
    return request;
  }

  void Ask(std::vector<size_t> positions) {
    std::vector<int> to_ask;
    std::vector<zhibiao::v1::AggregateIndicatorsRequest> requests;
    std::vector<size_t> asked_positions;
    for (size_t position : positions) {
      zhibiao::v1::AggregateIndicatorsRequest request = RequestFor(position);
      if (cache_ != nullptr) {
        if (auto kept = cache_->Lookup(targets_[position], ResultCache::KeyOf(request))) {
          answers_[position] = std::move(kept);
          continue;
        }
      }
      to_ask.push_back(targets_[position]);
      requests.push_back(std::move(request));
      asked_positions.push_back(position);
    }
    if (to_ask.empty()) {
      Merge();
      return;
    }
    auto self = shared_from_this();
    FanOutUntil<zhibiao::v1::AggregateIndicatorsRequest, Response>(
        shards_, context_, deadline_, std::move(to_ask), requests,
        &zhibiao::v1::StorageService::StubInterface::async_interface::AggregateIndicators,
        [self, requests, asked_positions](std::vector<ShardAnswer<Response>> fetched) {
          self->Fetched(std::move(fetched), requests, asked_positions);
        });
  }

  void Fetched(std::vector<ShardAnswer<Response>> fetched,
               const std::vector<zhibiao::v1::AggregateIndicatorsRequest>& requests,
               const std::vector<size_t>& positions) {
    // Cached answers count as usable: with allow_partial, they answer even
    // when every shard asked is unreachable.
    std::vector<const Response*> usable;
    for (const auto& kept : answers_) {
      if (kept != nullptr) usable.push_back(kept.get());
    }
    absl::Status ok = UsableAnswers(fetched, allow_partial_, shards_, missing_, &usable);
    if (!ok.ok()) {
      finish_(ok, {});
      return;
    }
    for (size_t k = 0; k < fetched.size(); ++k) {
      if (!fetched[k].status.ok()) {
        answers_[positions[k]] = nullptr;  // a shard missing from a partial answer
        asked_[positions[k]] = false;
        continue;
      }
      auto response = std::make_shared<const Response>(std::move(fetched[k].response));
      if (cache_ != nullptr)
        cache_->Insert(fetched[k].shard, ResultCache::KeyOf(requests[k]), response);
      answers_[positions[k]] = std::move(response);
    }
    Merge();
  }

  void Merge() {
    std::vector<const MovingReports::ArrivingList*> arriving(answers_.size(), nullptr);
    for (size_t i = 0; i < answers_.size(); ++i) {
      if (answers_[i] != nullptr) arriving[i] = &answers_[i]->arriving();
    }
    const MovingReports moving(arriving);
    if (!moving.empty()) {
      std::vector<size_t> again;
      for (size_t i = 0; i < answers_.size(); ++i) {
        if (answers_[i] == nullptr || !asked_[i]) continue;
        std::vector<std::string> exclusions = moving.ExclusionsFor(i);
        if (exclusions == excluded_[i]) continue;
        excluded_[i] = std::move(exclusions);
        again.push_back(i);
      }
      if (!again.empty()) {
        if (++extra_rounds_ > kMaxExtraRounds) {
          finish_(absl::UnavailableError(
                      "reports kept moving between shards while this answer was built; retry"),
                  {});
          return;
        }
        Ask(std::move(again));
        return;
      }
    }
    std::vector<const google::protobuf::RepeatedPtrField<zhibiao::v1::PartialAggregate>*> lists;
    std::vector<ResultCache::Version> versions;
    ShardTotals totals;
    const bool ranking_requested = shard_request_.ranking().k() > 0;
    for (size_t i = 0; i < answers_.size(); ++i) {
      const std::shared_ptr<const Response>& r = answers_[i];
      if (r == nullptr) continue;  // a shard missing from a partial answer
      lists.push_back(&r->groups());
      versions.push_back({targets_[i], r->store_epoch(), r->index_generation()});
      AddShardTotals(*r, ranking_requested, &totals);
    }
    finish_(answer_(agg::MergeSortedPartials(lists), totals), std::move(versions));
  }

  StorageShards* const shards_;
  ResultCache* const cache_;
  grpc::CallbackServerContext* const context_;
  const absl::Time deadline_;
  const std::vector<int> targets_;
  const zhibiao::v1::AggregateIndicatorsRequest shard_request_;
  const bool allow_partial_;
  Missing unused_missing_;
  Missing* const missing_;
  const Finish finish_;
  const Answer answer_;
  // By position in targets_: the answer (nullptr: none yet, or the shard is
  // missing), the ids it was asked to leave out, and whether it was reached.
  std::vector<std::shared_ptr<const Response>> answers_;
  std::vector<std::vector<std::string>> excluded_;
  std::vector<bool> asked_;
  int extra_rounds_ = 0;
};

}  // namespace

void AnswerFromShards(StorageShards* shards, ResultCache* cache,
                      grpc::CallbackServerContext* context, absl::Duration shard_timeout,
                      ShardPlan plan, MissingShards* missing, FinishFn finish) {
  std::vector<int> targets;
  if (!plan.only_region_code.empty()) {
    targets.push_back(ShardForRegion(plan.only_region_code, shards->size()));
  } else {
    for (int i = 0; i < shards->size(); ++i) targets.push_back(i);
  }
  auto rounds = std::make_shared<AggregateRounds>(
      shards, cache, context, ShardDeadline(context, shard_timeout), std::move(targets),
      std::move(plan.shard_request), plan.allow_partial, missing, std::move(finish),
      std::move(plan.answer));
  rounds->Start();
}

}  // namespace zb::query
