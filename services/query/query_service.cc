#include "services/query/query_service.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/agg/aggregate.h"
#include "common/base/grpc_status.h"
#include "common/store/keys.h"
#include "common/taxonomy/taxonomy.h"
#include "common/text/normalize.h"
#include "services/query/moving_reports.h"
#include "services/query/query_semantics.h"
#include "services/query/shard_fanout.h"

namespace zb::query {

using StubAsync = zhibiao::v1::StorageService::StubInterface::async_interface;

std::string EncodeListToken(const std::vector<ShardCursor>& cursors) {
  std::vector<std::string> parts;
  for (const ShardCursor& c : cursors) {
    parts.push_back(c.exhausted ? "-" : absl::StrCat("k", absl::WebSafeBase64Escape(c.last_key)));
  }
  return absl::WebSafeBase64Escape(absl::StrJoin(parts, "."));
}

absl::StatusOr<std::vector<ShardCursor>> DecodeListToken(absl::string_view token, int shards) {
  if (token.empty()) return std::vector<ShardCursor>(shards);
  std::string plain;
  if (!absl::WebSafeBase64Unescape(token, &plain)) {
    return absl::InvalidArgumentError("page_token is not a token this service issued");
  }
  std::vector<std::string> parts = absl::StrSplit(plain, '.');
  std::vector<ShardCursor> decoded(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "-") {
      decoded[i].exhausted = true;
    } else if (parts[i].empty() || parts[i][0] != 'k' ||
               !absl::WebSafeBase64Unescape(parts[i].substr(1), &decoded[i].last_key)) {
      return absl::InvalidArgumentError("page_token is not a token this service issued");
    }
  }
  if (static_cast<int>(decoded.size()) != shards) {
    return absl::InvalidArgumentError(absl::StrCat("page_token was issued for ", decoded.size(),
                                                   " storage shards; there are ", shards,
                                                   " now: start the listing again"));
  }
  return decoded;
}

bool TakePage(const std::vector<std::vector<std::string>>& keys, const std::vector<bool>& has_next,
              int page_size, std::vector<ShardCursor>* cursors,
              std::vector<std::pair<size_t, size_t>>* taken) {
  std::vector<std::tuple<absl::string_view, size_t, size_t>> items;
  for (size_t shard = 0; shard < keys.size(); ++shard) {
    if ((*cursors)[shard].exhausted) continue;
    for (size_t i = 0; i < keys[shard].size(); ++i) items.emplace_back(keys[shard][i], shard, i);
  }
  std::sort(items.begin(), items.end());
  std::vector<size_t> taken_from(keys.size(), 0);
  for (size_t k = 0; k < items.size() && static_cast<int>(k) < page_size; ++k) {
    const auto& [key, shard, i] = items[k];
    taken->emplace_back(shard, i);
    (*cursors)[shard].last_key = std::string(key);
    ++taken_from[shard];
  }
  bool more = false;
  for (size_t shard = 0; shard < keys.size(); ++shard) {
    if ((*cursors)[shard].exhausted) continue;
    const bool shard_has_more = has_next[shard] || taken_from[shard] < keys[shard].size();
    if (!shard_has_more) (*cursors)[shard].exhausted = true;
    more = more || shard_has_more;
  }
  return more;
}

namespace {
const Authorizer kAllowEveryCall(nullptr);

// The moving reports of a listing's shard answers (every shard lists all its
// arriving reports, whatever the page).
template <typename Response>
MovingReports MovingReportsOf(const std::vector<ShardAnswer<Response>>& answers) {
  std::vector<const MovingReports::ArrivingList*> arriving(answers.size(), nullptr);
  for (size_t i = 0; i < answers.size(); ++i) {
    if (answers[i].status.ok()) arriving[i] = &answers[i].response.arriving();
  }
  return MovingReports(arriving);
}

// Of the shards that hold a report, the answer to use: the most recently
// ingested copy (a report being moved has its new copy ingested last).
template <typename Answer>
Answer* LatestCopy(std::vector<Answer>& answers) {
  Answer* latest = nullptr;
  for (Answer& a : answers) {
    if (!a.status.ok()) continue;
    if (latest == nullptr || a.response.report().meta().ingested_at_unix_ms() >
                                 latest->response.report().meta().ingested_at_unix_ms()) {
      latest = &a;
    }
  }
  return latest;
}
}  // namespace

QueryServiceImpl::QueryServiceImpl(StorageShards* shards, QueryOptions options)
    : shards_(shards),
      options_(options),
      authorizer_(options.authorizer != nullptr ? options.authorizer : &kAllowEveryCall) {}

grpc::ServerUnaryReactor* QueryServiceImpl::GetReport(grpc::CallbackServerContext* context,
                                                      const zhibiao::v1::GetReportRequest* request,
                                                      zhibiao::v1::GetReportResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  if (request->report_id().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "report_id is required"));
    return reactor;
  }
  FanOut<zhibiao::v1::GetReportRequest, zhibiao::v1::GetReportResponse>(
      shards_, context, options_.shard_timeout, *request, &StubAsync::GetReport,
      [reactor, response, id = request->report_id()](
          std::vector<ShardAnswer<zhibiao::v1::GetReportResponse>> answers) {
        std::vector<ShardAnswer<zhibiao::v1::GetReportResponse>> failed;
        if (auto* latest = LatestCopy(answers)) {
          *response->mutable_report() = std::move(*latest->response.mutable_report());
          reactor->Finish(grpc::Status::OK);
          return;
        }
        for (auto& a : answers) {
          if (a.status.code() == absl::StatusCode::kInvalidArgument) {
            reactor->Finish(ToGrpcStatus(a.status));
            return;
          }
          if (a.status.code() != absl::StatusCode::kNotFound) failed.push_back(std::move(a));
        }
        if (!failed.empty()) {
          // Not found where we could look, but a shard that might hold it did not answer.
          reactor->Finish(ToGrpcStatus(AllShardsOk(failed)));
          return;
        }
        reactor->Finish(ToGrpcStatus(absl::NotFoundError(
            absl::StrCat("report ", ShortQuote(id), " is not stored on any shard"))));
      });
  return reactor;
}

grpc::ServerUnaryReactor* QueryServiceImpl::ListReports(
    grpc::CallbackServerContext* context, const zhibiao::v1::ListReportsRequest* request,
    zhibiao::v1::ListReportsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  if (request->page_size() < 0 || request->page_size() > 1000) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("page_size ", request->page_size(), " is outside 0..1000")));
    return reactor;
  }
  absl::StatusOr<std::vector<ShardCursor>> cursors =
      DecodeListToken(request->page_token(), shards_->size());
  if (!cursors.ok()) {
    reactor->Finish(ToGrpcStatus(cursors.status()));
    return reactor;
  }
  const int page_size = request->page_size() == 0 ? 100 : request->page_size();
  // Each shard is asked for a full page after its own cursor; the answers of
  // exhausted shards are ignored by the merge.
  zhibiao::v1::ListReportsRequest shard_request = *request;
  shard_request.set_page_size(page_size);
  shard_request.clear_page_token();
  // The per-shard token is the escaped last key (see IndicatorStore::List).
  std::vector<zhibiao::v1::ListReportsRequest> per_shard(shards_->size(), shard_request);
  for (int i = 0; i < shards_->size(); ++i) {
    if (!(*cursors)[i].last_key.empty()) {
      per_shard[i].set_page_token(absl::WebSafeBase64Escape((*cursors)[i].last_key));
    }
  }
  auto merge = [reactor, response, page_size, cursors = *cursors](
                   std::vector<ShardAnswer<zhibiao::v1::ListReportsResponse>> answers) mutable {
    std::vector<ShardAnswer<zhibiao::v1::ListReportsResponse>> failed;
    for (size_t i = 0; i < answers.size(); ++i) {
      if (!cursors[i].exhausted && !answers[i].status.ok()) failed.push_back(answers[i]);
    }
    if (!failed.empty()) {
      reactor->Finish(ToGrpcStatus(AllShardsOk(failed)));
      return;
    }
    std::vector<std::vector<std::string>> keys(answers.size());
    std::vector<bool> has_next(answers.size(), false);
    for (size_t i = 0; i < answers.size(); ++i) {
      if (cursors[i].exhausted) continue;
      for (const auto& meta : answers[i].response.reports())
        keys[i].push_back(store::RegionIndexKey(meta));
      has_next[i] = !answers[i].response.next_page_token().empty();
    }
    std::vector<std::pair<size_t, size_t>> taken;
    const bool more = TakePage(keys, has_next, page_size, &cursors, &taken);
    // A report on its way to another shard is listed once, as its new copy
    // (the page may then be one shorter; the cursors have passed it).
    const MovingReports moving = MovingReportsOf(answers);
    for (const auto& [shard, i] : taken) {
      if (moving.LeftOut(shard, answers[shard].response.reports(i).report_id())) continue;
      *response->add_reports() = std::move(*answers[shard].response.mutable_reports(i));
    }
    if (more) response->set_next_page_token(EncodeListToken(cursors));
    reactor->Finish(grpc::Status::OK);
  };
  FanOutEach<zhibiao::v1::ListReportsRequest, zhibiao::v1::ListReportsResponse>(
      shards_, context, options_.shard_timeout, per_shard, &StubAsync::ListReports,
      std::move(merge));
  return reactor;
}

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

void QueryServiceImpl::AggregateOnShards(
    grpc::CallbackServerContext* context, FinishFn finish, std::vector<int> targets,
    const zhibiao::v1::AggregateIndicatorsRequest& shard_request, bool allow_partial,
    google::protobuf::RepeatedPtrField<zhibiao::v1::ShardFailure>* missing, AnswerFn answer) {
  auto rounds = std::make_shared<AggregateRounds>(shards_, options_.cache, context,
                                                  ShardDeadline(context, options_.shard_timeout),
                                                  std::move(targets), shard_request, allow_partial,
                                                  missing, std::move(finish), std::move(answer));
  rounds->Start();
}

std::vector<int> QueryServiceImpl::AllShards() const {
  std::vector<int> all(shards_->size());
  for (int i = 0; i < shards_->size(); ++i) all[i] = i;
  return all;
}

namespace {

// A reply as gRPC sends it: one slice over `bytes` itself (not a copy),
// which holds a reference to them until gRPC has sent it.
grpc::ByteBuffer ByteBufferOf(std::shared_ptr<const std::string> bytes) {
  auto* held = new std::shared_ptr<const std::string>(std::move(bytes));
  grpc_slice slice = grpc_slice_new_with_user_data(
      const_cast<char*>((*held)->data()), (*held)->size(),
      [](void* p) { delete static_cast<std::shared_ptr<const std::string>*>(p); }, held);
  grpc::Slice owned(slice, grpc::Slice::STEAL_REF);
  return grpc::ByteBuffer(&owned, 1);
}

}  // namespace

QueryServiceImpl::FinishFn QueryServiceImpl::FinishWith(grpc::ServerUnaryReactor* reactor) {
  return [reactor](absl::Status status, std::vector<ResultCache::Version>) {
    reactor->Finish(ToGrpcStatus(status));
  };
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* QueryServiceImpl::CachedShardQuery(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
    grpc::ByteBuffer* reply, char method,
    std::function<absl::StatusOr<ShardPlan>(const Request&, Response*)> plan) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  // The key: the method, then the request exactly as the client encoded it
  // (another encoding of the same request only misses).
  grpc::Slice bytes;  // stays empty for an empty request (every field at its default)
  if (request_bytes->Length() > 0 && !request_bytes->DumpToSingleSlice(&bytes).ok()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the request"));
    return reactor;
  }
  std::string key = ResultCache::ReplyKeyOf(
      method, absl::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
  ResultCache* cache = options_.cache;
  if (cache != nullptr) {
    if (std::shared_ptr<const std::string> kept = cache->LookupReply(key)) {
      *reply = ByteBufferOf(std::move(kept));
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
  }
  struct Call {
    Request request;
    Response response;
  };
  auto call = std::make_shared<Call>();
  if (!call->request.ParseFromArray(bytes.begin(), static_cast<int>(bytes.size()))) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("the request is not a ", Request::descriptor()->full_name(), " message")));
    return reactor;
  }
  absl::StatusOr<ShardPlan> planned = plan(call->request, &call->response);
  if (!planned.ok()) {
    reactor->Finish(ToGrpcStatus(planned.status()));
    return reactor;
  }
  auto finish = [call, reactor, reply, cache, key = std::move(key)](
                    absl::Status status, std::vector<ResultCache::Version> versions) {
    if (!status.ok()) {
      reactor->Finish(ToGrpcStatus(status));
      return;
    }
    auto serialized = std::make_shared<const std::string>(call->response.SerializeAsString());
    *reply = ByteBufferOf(serialized);
    // A partial reply is not kept: the next call may reach every shard.
    if (cache != nullptr && call->response.missing_shards().empty()) {
      cache->InsertReply(key, std::move(versions), std::move(serialized));
    }
    reactor->Finish(grpc::Status::OK);
  };
  // The answer writes into call->response, which `finish` keeps alive.
  AggregateOnShards(context, std::move(finish), std::move(planned->targets), planned->shard_request,
                    planned->allow_partial, call->response.mutable_missing_shards(),
                    std::move(planned->answer));
  return reactor;
}

template <typename Request, typename Response>
absl::StatusOr<QueryServiceImpl::ShardPlan> QueryServiceImpl::MetricPlan(
    const Request& request, Response* response, absl::Status (*validate)(const Request&),
    zhibiao::v1::AggregateIndicatorsRequest (*shard_request)(const Request&,
                                                             const taxonomy::Entry&),
    absl::Status (*answer)(const Request&, const taxonomy::Entry&,
                           const std::vector<zhibiao::v1::PartialAggregate>&, const ShardTotals&,
                           Response*),
    std::vector<int> targets) {
  absl::StatusOr<const taxonomy::Entry*> metric =
      FindMetric(request.metric_key(), taxonomy::Taxonomy::Default());
  if (!metric.ok()) return metric.status();
  if (absl::Status valid = validate(request); !valid.ok()) return valid;
  ShardPlan plan;
  plan.targets = std::move(targets);
  plan.shard_request = shard_request(request, **metric);
  plan.allow_partial = request.options().allow_partial();
  plan.answer = [&request, response, answer, entry = *metric](
                    const std::vector<zhibiao::v1::PartialAggregate>& merged,
                    const ShardTotals& totals) {
    return answer(request, *entry, merged, totals, response);
  };
  return plan;
}

grpc::ServerUnaryReactor* QueryServiceImpl::Aggregate(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* reply) {
  using Request = zhibiao::v1::AggregateRequest;
  using Response = zhibiao::v1::AggregateResponse;
  return CachedShardQuery<Request, Response>(
      context, request, reply, 'A',
      [this](const Request& r, Response* response) -> absl::StatusOr<ShardPlan> {
        const taxonomy::Taxonomy& taxonomy = taxonomy::Taxonomy::Default();
        if (absl::Status valid = ValidateAggregate(r, taxonomy); !valid.ok()) return valid;
        ShardPlan plan;
        plan.targets = AllShards();
        plan.shard_request = ShardRequestForAggregate(r, taxonomy);
        plan.allow_partial = r.allow_partial();
        plan.answer = [&r, response, &taxonomy](
                          const std::vector<zhibiao::v1::PartialAggregate>& merged,
                          const ShardTotals& totals) {
          response->set_indicators_scanned(totals.scanned);
          return AnswerAggregate(r, taxonomy, merged, response);
        };
        return plan;
      });
}

grpc::ServerUnaryReactor* QueryServiceImpl::TimeSeries(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* reply) {
  using Request = zhibiao::v1::TimeSeriesRequest;
  using Response = zhibiao::v1::TimeSeriesResponse;
  return CachedShardQuery<Request, Response>(
      context, request, reply, 'T', [this](const Request& r, Response* response) {
        // Every report of a region lives on the shard its code routes to (an
        // invalid code is refused before any shard is asked).
        return MetricPlan(r, response, &ValidateTimeSeries, &ShardRequestForTimeSeries,
                          &AnswerTimeSeries, {ShardForRegion(r.region_code(), shards_->size())});
      });
}

grpc::ServerUnaryReactor* QueryServiceImpl::Rank(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* reply) {
  using Request = zhibiao::v1::RankRequest;
  using Response = zhibiao::v1::RankResponse;
  return CachedShardQuery<Request, Response>(
      context, request, reply, 'R', [this](const Request& r, Response* response) {
        return MetricPlan(r, response, &ValidateRank, &ShardRequestForRank, &AnswerRank,
                          AllShards());
      });
}

grpc::ServerUnaryReactor* QueryServiceImpl::Compare(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* reply) {
  using Request = zhibiao::v1::CompareRequest;
  using Response = zhibiao::v1::CompareResponse;
  return CachedShardQuery<Request, Response>(
      context, request, reply, 'C', [this](const Request& r, Response* response) {
        return MetricPlan(r, response, &ValidateCompare, &ShardRequestForCompare, &AnswerCompare,
                          AllShards());
      });
}

grpc::ServerUnaryReactor* QueryServiceImpl::SearchIndicators(
    grpc::CallbackServerContext* context, const zhibiao::v1::SearchIndicatorsRequest* request,
    zhibiao::v1::SearchIndicatorsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  absl::Status valid = agg::ValidateFilter(request->filter());
  if (valid.ok()) valid = agg::ValidateSearchWords(request->words());
  if (valid.ok() && (request->page_size() < 0 || request->page_size() > 1000)) {
    valid = absl::InvalidArgumentError(
        absl::StrCat("page_size ", request->page_size(), " is outside 0..1000"));
  }
  if (valid.ok() && request->words().empty() && request->filter().metric_keys().empty()) {
    valid = absl::InvalidArgumentError("give words or filter.metric_keys to search by");
  }
  absl::StatusOr<std::vector<ShardCursor>> cursors =
      valid.ok() ? DecodeListToken(request->page_token(), shards_->size())
                 : absl::StatusOr<std::vector<ShardCursor>>(valid);
  if (!cursors.ok()) {
    reactor->Finish(ToGrpcStatus(cursors.status()));
    return reactor;
  }
  const int page_size = request->page_size() == 0 ? 50 : request->page_size();
  zhibiao::v1::SearchIndicatorsRequest shard_request = *request;
  shard_request.set_page_size(page_size);
  shard_request.clear_page_token();
  // Words are matched against NFKC subjects: normalise them the same way.
  shard_request.clear_words();
  for (const std::string& word : request->words()) {
    std::string normalized = text::NormalizeNfkc(word).text;
    if (!normalized.empty()) shard_request.add_words(std::move(normalized));
  }
  std::vector<zhibiao::v1::SearchIndicatorsRequest> per_shard(shards_->size(), shard_request);
  for (int i = 0; i < shards_->size(); ++i) {
    if (!(*cursors)[i].last_key.empty()) {
      per_shard[i].set_page_token(absl::WebSafeBase64Escape((*cursors)[i].last_key));
    }
  }
  auto merge =
      [reactor, response, page_size, cursors = *cursors](
          std::vector<ShardAnswer<zhibiao::v1::SearchIndicatorsResponse>> answers) mutable {
        std::vector<ShardAnswer<zhibiao::v1::SearchIndicatorsResponse>> failed;
        for (size_t i = 0; i < answers.size(); ++i) {
          if (!cursors[i].exhausted && !answers[i].status.ok()) failed.push_back(answers[i]);
        }
        if (!failed.empty()) {
          reactor->Finish(ToGrpcStatus(AllShardsOk(failed)));
          return;
        }
        std::vector<std::vector<std::string>> keys(answers.size());
        std::vector<bool> has_next(answers.size(), false);
        for (size_t i = 0; i < answers.size(); ++i) {
          if (cursors[i].exhausted) continue;
          for (const auto& hit : answers[i].response.hits()) keys[i].push_back(hit.sort_key());
          has_next[i] = !answers[i].response.next_page_token().empty();
        }
        std::vector<std::pair<size_t, size_t>> taken;
        const bool more = TakePage(keys, has_next, page_size, &cursors, &taken);
        const MovingReports moving = MovingReportsOf(answers);
        for (const auto& [shard, i] : taken) {
          if (moving.LeftOut(shard, answers[shard].response.hits(i).indicator().report_id()))
            continue;
          zhibiao::v1::IndicatorHit* hit = response->add_hits();
          *hit = std::move(*answers[shard].response.mutable_hits(i));
          hit->clear_sort_key();
        }
        if (more) response->set_next_page_token(EncodeListToken(cursors));
        reactor->Finish(grpc::Status::OK);
      };
  FanOutEach<zhibiao::v1::SearchIndicatorsRequest, zhibiao::v1::SearchIndicatorsResponse>(
      shards_, context, options_.shard_timeout, per_shard, &StubAsync::SearchIndicators,
      std::move(merge));
  return reactor;
}

grpc::ServerUnaryReactor* QueryServiceImpl::GetSection(
    grpc::CallbackServerContext* context, const zhibiao::v1::GetSectionRequest* request,
    zhibiao::v1::GetSectionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  if (request->report_id().empty() || request->section().empty()) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "report_id and section are required"));
    return reactor;
  }
  zhibiao::v1::GetReportRequest get;
  get.set_report_id(request->report_id());
  FanOut<zhibiao::v1::GetReportRequest, zhibiao::v1::GetReportResponse>(
      shards_, context, options_.shard_timeout, get, &StubAsync::GetReport,
      [reactor, request,
       response](std::vector<ShardAnswer<zhibiao::v1::GetReportResponse>> answers) {
        const zhibiao::v1::Report* report = nullptr;
        std::vector<ShardAnswer<zhibiao::v1::GetReportResponse>> failed;
        if (auto* latest = LatestCopy(answers)) report = &latest->response.report();
        for (auto& a : answers) {
          if (!a.status.ok() && a.status.code() != absl::StatusCode::kNotFound) failed.push_back(a);
        }
        if (report == nullptr) {
          reactor->Finish(!failed.empty() ? ToGrpcStatus(AllShardsOk(failed))
                                          : ToGrpcStatus(absl::NotFoundError(absl::StrCat(
                                                "report ", ShortQuote(request->report_id()),
                                                " is not stored on any shard"))));
          return;
        }
        const zhibiao::v1::Section* found = nullptr;
        std::vector<std::string> known;
        for (const auto& s : report->sections()) {
          if (s.section_id() == request->section() || s.path() == request->section()) found = &s;
          known.push_back(s.section_id());
        }
        if (found == nullptr) {
          reactor->Finish(ToGrpcStatus(absl::NotFoundError(
              absl::StrCat("report ", ShortQuote(request->report_id()), " has no section \"",
                           ShortQuote(request->section()), "\"; its sections are ",
                           absl::StrJoin(known, ", ")))));
          return;
        }
        *response->mutable_section() = *found;
        *response->mutable_meta() = report->meta();
        for (const auto& s : report->sections()) {
          if (s.parent_id() == found->section_id()) *response->add_children() = s;
        }
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

void SummarizeMetrics(const std::vector<zhibiao::v1::PartialAggregate>& partials,
                      zhibiao::v1::ListMetricsResponse* response) {
  const taxonomy::Taxonomy& t = taxonomy::Taxonomy::Default();
  response->set_taxonomy_version(t.version());
  // Counts per key and unit from the partials (grouped by metric, then unit).
  std::map<std::string, std::map<std::string, int64_t>> counts;
  for (const auto& p : partials) counts[p.group_values(0)][p.unit()] += p.count();
  auto fill = [&](const std::string& key, zhibiao::v1::MetricSummary* m) {
    m->set_key(key);
    auto it = counts.find(key);
    if (it == counts.end()) return;
    std::vector<std::pair<int64_t, std::string>> units;
    for (const auto& [unit, count] : it->second) {
      units.emplace_back(count, unit);
      m->set_count(m->count() + count);
    }
    std::sort(units.begin(), units.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    for (const auto& [count, unit] : units) {
      auto* u = m->add_units();
      u->set_unit(unit);
      u->set_count(count);
    }
    counts.erase(it);
  };
  for (const taxonomy::Entry& e : t.entries()) {
    auto* m = response->add_metrics();
    fill(e.key, m);
    m->set_name_zh(e.name_zh);
    m->set_area(e.area);
    m->set_unit_kind(e.unit_kind);
    m->set_additive(e.additive);
    m->set_aggregate(e.aggregate);
  }
  // Keys stored by another taxonomy version, then the unmapped bucket.
  std::vector<std::string> rest;
  for (const auto& [key, units] : counts) {
    if (!key.empty()) rest.push_back(key);
  }
  for (const std::string& key : rest) fill(key, response->add_metrics());
  fill("", response->add_metrics());
}

grpc::ServerUnaryReactor* QueryServiceImpl::ListMetrics(
    grpc::CallbackServerContext* context, const zhibiao::v1::ListMetricsRequest* request,
    zhibiao::v1::ListMetricsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!authorizer_->Allow(context, Scope::kQuery, reactor)) return reactor;
  absl::Status valid = agg::ValidateFilter(request->filter());
  if (!valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  zhibiao::v1::AggregateIndicatorsRequest shard_request;
  *shard_request.mutable_filter() = request->filter();
  shard_request.mutable_filter()->clear_metric_keys();
  shard_request.add_group_by(zhibiao::v1::GROUP_BY_METRIC);
  shard_request.set_include_superseded(true);  // every observed value
  AggregateOnShards(
      context, FinishWith(reactor), AllShards(), shard_request, false, nullptr,
      [response](const std::vector<zhibiao::v1::PartialAggregate>& merged, const ShardTotals&) {
        SummarizeMetrics(merged, response);
        return absl::OkStatus();
      });
  return reactor;
}

}  // namespace zb::query
