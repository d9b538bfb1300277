// A set of 96-bit keys, each remembered until its own deadline, stored compactly and pruned
// continuously: the dedupe and invalid-click state of event ingestion (event ids, used tokens,
// repeat clicks) is sized by its windows, not by history (docs/billing.md, "Memory").
//
//   ExpiringSet seen;
//   const ExpiringSet::Key k = ExpiringSet::KeyOf("client-event-42");
//   if (!seen.Contains(k, now)) seen.Insert(k, now + absl::Hours(48));
//   seen.Prune(now);  // drops every generation whose deadlines have all passed
//
// Semantics, exactly: Contains(k, now) is true iff some Insert(k, d) happened with
// CeilToMillisecond(d) > now, and no later Prune has been told a `now` at or past that deadline.
// Deadlines are kept to the millisecond, rounded up, so an entry is never forgotten early. Prune
// never changes an answer that Contains gives for a `now` at or after the pruned one.
//
// Layout: entries live in generations, in insertion order; each is an absl::flat_hash_set of
// 16-byte entries (96-bit key, 32-bit deadline in milliseconds from the generation's base),
// reserved up front and closed when full, so every closed table sits at its maximum load (7/8):
// about 19.5 bytes per entry, plus the open generation's unused room. A generation holds about an
// eighth of the set (at least 65,536 entries), so a lookup probes about nine tables. A generation
// is dropped whole once its latest deadline has passed; so an entry outlives its deadline by at
// most the time its generation took to fill, and memory is bounded by the entries inserted within
// the longest window (plus one generation).
//
// Not thread-safe: the owner serialises access (Billing holds its ingest lock).
#ifndef GAVEL_BILLING_EXPIRING_SET_H_
#define GAVEL_BILLING_EXPIRING_SET_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gavel::billing {

class ExpiringSet {
 public:
  struct Key {
    uint64_t hi = 0;
    uint32_t lo = 0;
    friend bool operator==(const Key& a, const Key& b) { return a.hi == b.hi && a.lo == b.lo; }
  };
  // A key for arbitrary bytes: the first 96 bits of XXH3-128 (stable across processes and
  // versions, so snapshots can store keys). Two different strings share a key with probability
  // about n / 2^96 per lookup among n entries.
  static Key KeyOf(absl::string_view bytes);
  // A key from 12 or more bytes that are already uniformly random (a token id, a MAC prefix).
  static Key KeyFromRandomBytes(absl::string_view bytes);
  // A deadline as the set keeps it: milliseconds since the epoch, rounded up (so an entry is never
  // forgotten early). Stores that keep the same entries elsewhere round the same way.
  static int64_t DeadlineMillis(absl::Time deadline);

  ExpiringSet() = default;

  // Whether `key` was inserted with a deadline after `now` (and not pruned: see above).
  bool Contains(Key key, absl::Time now) const;
  // Remembers `key` until `deadline` (rounded up to the millisecond). A deadline already passed
  // for the newest Prune is ignored. Inserting a key again keeps the later deadline in effect.
  void Insert(Key key, absl::Time deadline);
  // Forgets every generation whose deadlines are all <= `now`.
  void Prune(absl::Time now);

  size_t size() const { return size_; }
  // Bytes held by the tables (slots, control bytes and generation headers).
  size_t bytes() const;
  // Calls f(key, deadline) for every entry, oldest generation first (for snapshots).
  template <typename F>
  void ForEach(F f) const {
    for (const Generation& g : generations_) {
      for (const Entry& e : g.entries)
        f(Key{e.hi, e.lo}, absl::FromUnixMillis(g.base_ms + e.offset_ms));
    }
  }

 private:
  struct Entry {
    uint64_t hi;
    uint32_t lo;
    uint32_t offset_ms;  // deadline - generation start, in ms
  };
  struct EntryHash {
    using is_transparent = void;
    size_t operator()(const Entry& e) const { return e.hi ^ (uint64_t{e.lo} << 29); }
    size_t operator()(const Key& k) const { return k.hi ^ (uint64_t{k.lo} << 29); }
  };
  struct EntryEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.hi == b.hi && a.lo == b.lo;
    }
  };
  struct Generation {
    absl::flat_hash_set<Entry, EntryHash, EntryEq> entries;
    int64_t base_ms = 0;          // offsets count from here
    int64_t max_deadline_ms = 0;  // the latest deadline inside
    size_t room = 0;              // entries it takes without growing its table
  };

  // The generation to insert a deadline into: the newest if it has room and the offset fits.
  Generation& OpenGeneration(int64_t deadline_ms);

  std::deque<Generation> generations_;   // oldest first
  int64_t pruned_until_ms_ = INT64_MIN;  // the newest Prune's now, in ms (rounded down)
  size_t size_ = 0;
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_EXPIRING_SET_H_
