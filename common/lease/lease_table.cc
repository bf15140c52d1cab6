#include "common/lease/lease_table.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace zb::lease {

void LeaseTable::HoldForPreviousRun(absl::Time until) {
  Lease& lease = leases_[next_id_++];
  lease.caller = "(leases of the shard's previous run)";
  lease.expiry = until;
}

LeaseTable::LeaseId LeaseTable::Open(std::string caller) {
  const LeaseId id = next_id_++;
  Lease& lease = leases_[id];
  lease.caller = std::move(caller);
  lease.open = true;
  return id;
}

void LeaseTable::Close(LeaseId id) {
  auto lease = leases_.find(id);
  if (lease != leases_.end()) lease->second.open = false;
}

bool LeaseTable::open(LeaseId id) const {
  auto lease = leases_.find(id);
  return lease != leases_.end() && lease->second.open;
}

void LeaseTable::Confirm(LeaseId id, uint64_t generation) {
  auto lease = leases_.find(id);
  if (lease != leases_.end())
    lease->second.confirmed = std::max(lease->second.confirmed, generation);
}

absl::Duration LeaseTable::Grant(absl::Duration asked, absl::Duration max_lease) {
  return asked > absl::ZeroDuration() ? std::min(asked, max_lease) : max_lease;
}

bool LeaseTable::StuckBehind(const Lease& lease, absl::Time now) const {
  if (held_.empty()) return false;
  const auto& [generation, oldest] = *held_.begin();
  return lease.confirmed < generation && now - oldest.since > max_lease_;
}

bool LeaseTable::Renew(LeaseId id, absl::Duration granted, absl::Time now) {
  auto lease = leases_.find(id);
  if (lease == leases_.end() || StuckBehind(lease->second, now)) return false;
  lease->second.expiry = std::max(lease->second.expiry, now + granted);
  return true;
}

bool LeaseTable::HeldBack(uint64_t generation, absl::Time now) const {
  return std::any_of(leases_.begin(), leases_.end(), [&](const auto& entry) {
    return entry.second.expiry > now && entry.second.confirmed < generation;
  });
}

void LeaseTable::Hold(uint64_t generation, Done done, absl::Time now) {
  held_.emplace(generation, HeldWrite{std::move(done), now});
}

std::vector<LeaseTable::Done> LeaseTable::TakeReleased(absl::Time now) {
  std::vector<Done> released;
  while (!held_.empty() && !HeldBack(held_.begin()->first, now)) {
    released.push_back(std::move(held_.begin()->second.done));
    held_.erase(held_.begin());
  }
  return released;
}

std::vector<LeaseTable::Done> LeaseTable::TakeAll() {
  std::vector<Done> all;
  for (auto& [generation, write] : held_) all.push_back(std::move(write.done));
  held_.clear();
  return all;
}

std::vector<LeaseTable::LeaseId> LeaseTable::Expire(absl::Time now) {
  std::vector<LeaseId> ended;
  for (auto entry = leases_.begin(); entry != leases_.end();) {
    Lease& lease = entry->second;
    if (!lease.open && lease.expiry <= now) {  // gone and run out: forget it
      entry = leases_.erase(entry);
      continue;
    }
    if (lease.expiry != absl::InfinitePast() && lease.expiry <= now) {
      lease.expiry = absl::InfinitePast();  // holds nothing back any more
      ended.push_back(entry->first);
    }
    ++entry;
  }
  return ended;
}

absl::Time LeaseTable::NextExpiry() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [id, lease] : leases_) {
    if (lease.expiry != absl::InfinitePast()) next = std::min(next, lease.expiry);
  }
  return next;
}

std::string LeaseTable::caller(LeaseId id) const {
  auto lease = leases_.find(id);
  return lease == leases_.end() ? std::string() : lease->second.caller;
}

LeaseTable::Stats LeaseTable::stats(absl::Time now) const {
  Stats stats;
  for (const auto& [id, lease] : leases_) {
    if (lease.open) ++stats.streams;
    if (lease.expiry > now) ++stats.leases;
  }
  stats.held_writes = static_cast<int>(held_.size());
  return stats;
}

absl::Duration LeaseFile::RestartHold(const std::optional<std::string>& text, absl::Time wall_now) {
  if (!text.has_value()) return absl::ZeroDuration();
  int64_t until_unix_ms = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &until_unix_ms))
    return kLongestRestartHold;
  const absl::Duration left = absl::FromUnixMillis(until_unix_ms) - wall_now;
  return std::clamp(left, absl::ZeroDuration(), kLongestRestartHold);
}

std::string LeaseFile::Text(absl::Time until) {
  return absl::StrCat(absl::ToUnixMillis(until), "\n");
}

uint64_t LeaseRenewal::Send(absl::Time now) {
  const uint64_t heartbeat = ++last_heartbeat_;
  sent_at_[heartbeat] = now;
  if (sent_at_.size() > kMaxUnanswered) sent_at_.erase(sent_at_.begin());
  return heartbeat;
}

std::optional<absl::Time> LeaseRenewal::Answered(uint64_t heartbeat, absl::Duration granted) {
  auto sent = sent_at_.find(heartbeat);
  if (heartbeat == 0 || sent == sent_at_.end()) return std::nullopt;
  const absl::Time until = sent->second + granted * kRenewalMarginTenths / 10;
  granted_any_ = true;
  sent_at_.erase(sent_at_.begin(), std::next(sent));
  return until;
}

absl::Duration LeaseRenewal::HeartbeatInterval(absl::Duration granted) {
  return std::max(granted / 4, absl::Milliseconds(10));
}

}  // namespace zb::lease
