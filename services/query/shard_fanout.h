// Calls every storage shard at once with the async stub API (no thread per
// shard) and hands all answers to one callback when the last one arrives.
// Each shard call gets the caller's deadline, bounded by a per-call timeout.
#ifndef ZHIBIAO_SERVICES_QUERY_SHARD_FANOUT_H_
#define ZHIBIAO_SERVICES_QUERY_SHARD_FANOUT_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/base/grpc_status.h"
#include "common/rpc/storage_shards.h"
#include "zhibiao/v1/aggregate.pb.h"

namespace zb::query {

template <typename Response>
struct ShardAnswer {
  int shard = 0;        // index in StorageShards
  absl::Status status;  // the shard's status, its message prefixed with the shard's name
  Response response;
};

// The stub method to call: binds a request to an async stub call.
template <typename Request, typename Response>
using AsyncCall = void (zhibiao::v1::StorageService::StubInterface::async_interface::*)(
    grpc::ClientContext*, const Request*, Response*, std::function<void(grpc::Status)>);

// Calls `method` on shard targets[i] with requests[i] for every i; `done`
// runs once, on a gRPC thread, with the answers in the order of `targets`.
// The caller's context, if given, bounds each call's deadline and its
// cancellation reaches every shard.
// REQUIRES: requests.size() == targets.size(), every target < shards->size().
// The deadline of shard calls made now: now + timeout, or the caller's, if sooner.
inline absl::Time ShardDeadline(const grpc::CallbackServerContext* caller, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  if (caller != nullptr) deadline = std::min(deadline, absl::FromChrono(caller->deadline()));
  return deadline;
}

// FanOutTo with an absolute deadline (so that several rounds of one answer
// share one: docs/storage.md, "Moving a report").
template <typename Request, typename Response>
void FanOutUntil(StorageShards* shards, const grpc::CallbackServerContext* caller,
                 absl::Time deadline, std::vector<int> targets, std::vector<Request> requests,
                 AsyncCall<Request, Response> method,
                 std::function<void(std::vector<ShardAnswer<Response>>)> done) {
  struct State {
    absl::Mutex mu;
    int pending = 0;
    std::vector<ShardAnswer<Response>> answers;
    std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
    std::vector<Request> requests;
    std::function<void(std::vector<ShardAnswer<Response>>)> done;
  };
  auto state = std::make_shared<State>();
  const int n = static_cast<int>(targets.size());
  state->pending = n;
  state->answers.resize(n);
  state->requests = std::move(requests);
  state->done = std::move(done);
  for (int i = 0; i < n; ++i) {
    state->answers[i].shard = targets[i];
    state->contexts.push_back(caller != nullptr
                                  ? grpc::ClientContext::FromCallbackServerContext(*caller)
                                  : std::make_unique<grpc::ClientContext>());
    state->contexts.back()->set_deadline(absl::ToChronoTime(deadline));
  }
  for (int i = 0; i < n; ++i) {
    const std::string peer = shards->Describe(targets[i]);
    (shards->stub(targets[i])->async()->*method)(
        state->contexts[i].get(), &state->requests[i], &state->answers[i].response,
        [state, i, peer](grpc::Status status) {
          bool last;
          {
            absl::MutexLock lock(&state->mu);
            state->answers[i].status = FromGrpcStatus(status, peer);
            last = --state->pending == 0;
          }
          if (last) state->done(std::move(state->answers));
        });
  }
}

template <typename Request, typename Response>
void FanOutTo(StorageShards* shards, const grpc::CallbackServerContext* caller,
              absl::Duration timeout, std::vector<int> targets, std::vector<Request> requests,
              AsyncCall<Request, Response> method,
              std::function<void(std::vector<ShardAnswer<Response>>)> done) {
  FanOutUntil<Request, Response>(shards, caller, ShardDeadline(caller, timeout), std::move(targets),
                                 std::move(requests), method, std::move(done));
}

// Calls `method` on every shard i with requests[i]; answers in shard order.
// REQUIRES: requests.size() == shards->size().
template <typename Request, typename Response>
void FanOutEach(StorageShards* shards, const grpc::CallbackServerContext* caller,
                absl::Duration timeout, std::vector<Request> requests,
                AsyncCall<Request, Response> method,
                std::function<void(std::vector<ShardAnswer<Response>>)> done) {
  std::vector<int> all(shards->size());
  for (int i = 0; i < shards->size(); ++i) all[i] = i;
  FanOutTo<Request, Response>(shards, caller, timeout, std::move(all), std::move(requests), method,
                              std::move(done));
}

// FanOutEach with the same request for every shard.
template <typename Request, typename Response>
void FanOut(StorageShards* shards, const grpc::CallbackServerContext* caller,
            absl::Duration timeout, const Request& request, AsyncCall<Request, Response> method,
            std::function<void(std::vector<ShardAnswer<Response>>)> done) {
  FanOutEach<Request, Response>(shards, caller, timeout,
                                std::vector<Request>(shards->size(), request), method,
                                std::move(done));
}

// OK when every shard answered OK; otherwise an error naming every shard that
// failed and why (a query over a subset of the data would be wrong). Shards
// that could not be reached in time make it UNAVAILABLE (retry); a shard's
// own verdict (INVALID_ARGUMENT, DATA_LOSS, RESOURCE_EXHAUSTED, ...) is
// passed on, the most serious first, so corruption is never retried away.
template <typename Response>
absl::Status AllShardsOk(const std::vector<ShardAnswer<Response>>& answers) {
  std::vector<std::string> failures;
  absl::StatusCode code = absl::StatusCode::kOk;
  auto severity = [](absl::StatusCode c) {
    switch (c) {
      case absl::StatusCode::kDataLoss: return 5;
      case absl::StatusCode::kInternal: return 4;
      case absl::StatusCode::kInvalidArgument:
      case absl::StatusCode::kFailedPrecondition: return 3;
      case absl::StatusCode::kResourceExhausted: return 2;
      case absl::StatusCode::kUnavailable: return 1;
      default: return 0;
    }
  };
  for (const auto& a : answers) {
    if (a.status.ok()) continue;
    failures.emplace_back(a.status.message());
    absl::StatusCode c = a.status.code();
    if (c == absl::StatusCode::kDeadlineExceeded || c == absl::StatusCode::kCancelled ||
        c == absl::StatusCode::kUnknown || c == absl::StatusCode::kAborted) {
      c = absl::StatusCode::kUnavailable;
    }
    if (code == absl::StatusCode::kOk || severity(c) > severity(code)) code = c;
  }
  if (failures.empty()) return absl::OkStatus();
  return absl::Status(code,
                      absl::StrCat(failures.size(), " of ", answers.size(),
                                   " storage shards failed: ", absl::StrJoin(failures, "; ")));
}

// The answers a result may be built from. Without allow_partial, every shard
// must have answered (AllShardsOk). With it, shards that could not be reached
// (UNAVAILABLE, deadline, cancelled) are listed in `missing` and left out;
// any other failure still fails the call, and so does having no shard at all.
template <typename Response>
absl::Status UsableAnswers(const std::vector<ShardAnswer<Response>>& answers, bool allow_partial,
                           StorageShards* shards,
                           google::protobuf::RepeatedPtrField<zhibiao::v1::ShardFailure>* missing,
                           std::vector<const Response*>* usable) {
  if (!allow_partial) {
    if (absl::Status all = AllShardsOk(answers); !all.ok()) return all;
  }
  std::vector<ShardAnswer<Response>> fatal;
  for (const auto& a : answers) {
    if (a.status.ok()) {
      usable->push_back(&a.response);
      continue;
    }
    const absl::StatusCode c = a.status.code();
    if (c == absl::StatusCode::kUnavailable || c == absl::StatusCode::kDeadlineExceeded ||
        c == absl::StatusCode::kCancelled) {
      auto* failure = missing->Add();
      failure->set_shard(shards->Describe(a.shard));
      failure->set_error(a.status.ToString());
    } else {
      fatal.push_back(a);
    }
  }
  if (!fatal.empty()) return AllShardsOk(fatal);
  if (usable->empty()) return AllShardsOk(answers);
  return absl::OkStatus();
}

}  // namespace zb::query

#endif  // ZHIBIAO_SERVICES_QUERY_SHARD_FANOUT_H_
