#include "billing/expiring_set.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "xxhash.h"

namespace gavel::billing {
namespace {

// A generation takes an eighth of the set (lookups probe about nine tables), never fewer than
// this many entries.
constexpr size_t kMinGenerationRoom = 1 << 16;
// Offsets are 32-bit milliseconds around a generation's base: +-24 days.
constexpr int64_t kHalfRangeMs = int64_t{1} << 31;

}  // namespace

int64_t ExpiringSet::DeadlineMillis(absl::Time deadline) {
  const absl::Duration since = deadline - absl::UnixEpoch();
  const int64_t ms = absl::ToInt64Milliseconds(absl::Floor(since, absl::Milliseconds(1)));
  return absl::Milliseconds(ms) < since ? ms + 1 : ms;
}

ExpiringSet::Key ExpiringSet::KeyOf(absl::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return Key{h.high64, static_cast<uint32_t>(h.low64)};
}

ExpiringSet::Key ExpiringSet::KeyFromRandomBytes(absl::string_view bytes) {
  if (bytes.size() < 12) return KeyOf(bytes);
  Key k;
  std::memcpy(&k.hi, bytes.data(), 8);
  std::memcpy(&k.lo, bytes.data() + 8, 4);
  return k;
}

bool ExpiringSet::Contains(Key key, absl::Time now) const {
  for (const Generation& g : generations_) {
    if (absl::FromUnixMillis(g.max_deadline_ms) <= now) continue;
    auto found = g.entries.find(key);
    if (found != g.entries.end() && absl::FromUnixMillis(g.base_ms + found->offset_ms) > now) {
      return true;
    }
  }
  return false;
}

ExpiringSet::Generation& ExpiringSet::OpenGeneration(int64_t deadline_ms) {
  if (!generations_.empty()) {
    Generation& newest = generations_.back();
    const int64_t offset = deadline_ms - newest.base_ms;
    if (newest.entries.size() < newest.room && offset >= 0 &&
        offset <= std::numeric_limits<uint32_t>::max()) {
      return newest;
    }
  }
  Generation& g = generations_.emplace_back();
  g.base_ms = deadline_ms - kHalfRangeMs;
  g.max_deadline_ms = deadline_ms;
  g.entries.reserve(std::max(kMinGenerationRoom, size_ / 8));
  // Fill up to the table's own growth limit, so it never rehashes: 7/8 of its capacity.
  g.room = g.entries.capacity() - g.entries.capacity() / 8;
  return g;
}

void ExpiringSet::Insert(Key key, absl::Time deadline) {
  const int64_t deadline_ms = DeadlineMillis(deadline);
  if (deadline_ms <= pruned_until_ms_) return;
  Generation& g = OpenGeneration(deadline_ms);
  const Entry entry{key.hi, key.lo, static_cast<uint32_t>(deadline_ms - g.base_ms)};
  auto [it, inserted] = g.entries.insert(entry);
  if (inserted) {
    ++size_;
  } else if (it->offset_ms < entry.offset_ms) {
    g.entries.erase(it);
    g.entries.insert(entry);
  }
  g.max_deadline_ms = std::max(g.max_deadline_ms, deadline_ms);
}

void ExpiringSet::Prune(absl::Time now) {
  pruned_until_ms_ = std::max(pruned_until_ms_, absl::ToUnixMillis(now));
  for (auto it = generations_.begin(); it != generations_.end();) {
    if (it->max_deadline_ms <= pruned_until_ms_) {
      size_ -= it->entries.size();
      it = generations_.erase(it);
    } else {
      ++it;
    }
  }
}

size_t ExpiringSet::bytes() const {
  size_t total = sizeof(*this);
  for (const Generation& g : generations_) {
    // A swiss table holds `capacity` slots and one control byte per slot, plus a group's worth.
    total += sizeof(Generation) + g.entries.capacity() * (sizeof(Entry) + 1) + 16;
  }
  return total;
}

}  // namespace gavel::billing
