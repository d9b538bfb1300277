#include "auction/auction.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/random/distributions.h"
#include "auction/money.h"

namespace gavel {
namespace auction {
namespace {

// One eligible candidate, as the ranking sees it.
struct Ranked {
  double score;
  uint64_t tie;  // random tie-break key, a function of the auction's seed and the candidate id
  double quality_factor;
  uint32_t index;
};

enum Fate : uint8_t { kFateOutranked, kFateBelowReserve, kFateDuplicate, kFateWinner };

struct ProductSlot {
  int64_t product;
  uint32_t stamp;  // == the table's generation when the slot is in use for this auction
  uint32_t best;   // pool position of the best-ranked candidate of the product
};

// SplitMix64's finaliser over (seed, id): a bijection of the id for a fixed seed, so distinct ids
// never collide, and for a random seed the order it induces on any set of ids is pseudo-random.
// Keyed by candidate id rather than input position, so permuting the input changes nothing.
uint64_t TieKey(uint64_t seed, int64_t candidate_id) {
  uint64_t z = seed + static_cast<uint64_t>(candidate_id) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Rank order: score descending, then the random key; id and index only settle key collisions.
bool RanksBefore(const Ranked& a, const Ranked& b, absl::Span<const Candidate> candidates) {
  if (a.score != b.score) return a.score > b.score;
  if (a.tie != b.tie) return a.tie > b.tie;
  const int64_t ida = candidates[a.index].candidate_id;
  const int64_t idb = candidates[b.index].candidate_id;
  if (ida != idb) return ida < idb;
  return a.index < b.index;
}

// The floor of slot s for one ad: max(min CPC, reserve_s), where in kQualityWeighted mode the
// reserve is converted to the ad's bid units by the rounding rule (reserve_s / quality^a, rounded up).
class Floors {
 public:
  explicit Floors(const Rules& rules)
      : slots_(rules.slots),
        min_cpc_(rules.min_cpc_micros),
        weighted_(rules.reserve_mode == ReserveMode::kQualityWeighted) {
    lowest_reserve_ = std::numeric_limits<int64_t>::max();
    for (int s = 0; s < slots_; ++s) {
      reserve_[s] = SlotReserveMicros(rules, s);
      lowest_reserve_ = std::min(lowest_reserve_, reserve_[s]);
    }
  }
  int64_t At(int slot, double quality_factor) const { return Of(reserve_[slot], quality_factor); }
  // The lowest floor over all slots: an ad below it can take no slot.
  int64_t Lowest(double quality_factor) const { return Of(lowest_reserve_, quality_factor); }

 private:
  int64_t Of(int64_t reserve, double quality_factor) const {
    if (weighted_ && reserve > 0) {
      reserve = PerClickMicros(static_cast<double>(reserve), quality_factor, kMaxMicros + 1);
    }
    return std::max(min_cpc_, reserve);
  }
  int slots_;
  int64_t min_cpc_;
  bool weighted_;
  int64_t lowest_reserve_;
  std::array<int64_t, kMaxSlots> reserve_;
};

}  // namespace

namespace internal {

struct Scratch {
  std::vector<uint8_t> fate;    // per input index
  std::vector<double> score;    // per input index
  std::vector<Ranked> pool;     // eligible, one per product; [0, m) sorted by rank
  std::vector<Ranked> dups;     // eligible, but a better-ranked ad has the same product
  std::vector<uint32_t> product_slot;  // per pool position during deduplication
  std::vector<ProductSlot> table;
  uint32_t generation = 0;
  std::vector<int> slot_of;      // per sorted pool position: slot won, or -1
  std::vector<int> alt_slot_of;  // the same without one winner (VCG's counterfactual)
  std::vector<int> winner_pos;   // per slot: pool position of its winner, or -1
};

}  // namespace internal

namespace {

// One auction over the sorted prefix pool[0, m). Every decision scans the prefix in rank order; a
// scan that runs off its end while the pool has more candidates makes Decide() return false, and
// the caller sorts a longer prefix. Candidates beyond the prefix rank below all of it, so a
// decision reached inside the prefix is the decision over the whole pool.
class Decider {
 public:
  Decider(absl::Span<const Candidate> candidates, const Rules& rules, const Floors& floors,
          internal::Scratch& s, size_t m)
      : c_(candidates), rules_(rules), floors_(floors), s_(s), m_(static_cast<int>(m)) {}

  bool Decide(std::vector<Winner>* winners) {
    winners->clear();
    if (!Allocate(-1, &s_.slot_of, &s_.winner_pos)) return false;
    for (int slot = 0; slot < rules_.slots; ++slot) {
      const int p = s_.winner_pos[slot];
      if (p < 0) continue;
      Winner w;
      if (!Price(p, slot, &w)) return false;
      winners->push_back(w);
    }
    return true;
  }

  // Fills slots top-down: slot s goes to the best-ranked candidate not yet placed (and not
  // `excluded`) whose bid meets floor_s; a slot no candidate meets stays empty. `winner_pos` may be
  // null.
  bool Allocate(int excluded, std::vector<int>* slot_of, std::vector<int>* winner_pos) {
    slot_of->assign(m_, -1);
    if (winner_pos != nullptr) winner_pos->assign(rules_.slots, -1);
    int first_free = 0;
    for (int slot = 0; slot < rules_.slots; ++slot) {
      while (first_free < m_ && ((*slot_of)[first_free] >= 0 || first_free == excluded)) {
        ++first_free;
      }
      int found = -1;
      for (int q = first_free; q < m_; ++q) {
        if ((*slot_of)[q] < 0 && q != excluded && Meets(q, slot)) {
          found = q;
          break;
        }
      }
      if (found < 0) {
        if (Truncated()) return false;
        continue;
      }
      (*slot_of)[found] = slot;
      if (winner_pos != nullptr) (*winner_pos)[slot] = found;
    }
    return true;
  }

 private:
  const Ranked& At(int pos) const { return s_.pool[pos]; }
  const Candidate& Cand(const Ranked& r) const { return c_[r.index]; }
  bool Truncated() const { return static_cast<size_t>(m_) < s_.pool.size(); }
  bool Meets(int pos, int slot) const { return MeetsFloor(At(pos), slot); }
  bool MeetsFloor(const Ranked& r, int slot) const {
    return Cand(r).bid_micros >= floors_.At(slot, r.quality_factor);
  }

  // Whether `other` is the winner's own ad under the self-competition rule (it may not set the
  // winner's second price).
  bool Sibling(const Candidate& winner, const Candidate& other) const {
    switch (rules_.self_competition) {
      case SelfCompetition::kAdvertiser:
        return winner.advertiser_id == other.advertiser_id;
      case SelfCompetition::kCampaign:
        return winner.advertiser_id == other.advertiser_id &&
               winner.campaign_id == other.campaign_id;
      case SelfCompetition::kOff:
        return false;
    }
    return false;
  }

  bool Price(int p, int slot, Winner* w) {
    const Ranked& me = At(p);
    const Candidate& mine = Cand(me);
    const int64_t bid = mine.bid_micros;
    const int64_t floor = floors_.At(slot, me.quality_factor);
    const bool need_price_setter = rules_.mechanism == Mechanism::kGeneralizedSecondPrice;

    // The candidates that would take this slot if this ad bid less: ranked below it, not placed in
    // a higher slot, meeting this slot's floor. `keeper` is the first of them, `setter` the first
    // the self-competition rule lets set the price.
    const Ranked* keeper = nullptr;
    const Ranked* setter = nullptr;
    for (int q = p + 1; q < m_; ++q) {
      const int other_slot = s_.slot_of[q];
      if ((other_slot >= 0 && other_slot < slot) || !Meets(q, slot)) continue;
      if (keeper == nullptr) keeper = &At(q);
      if (setter == nullptr && !Sibling(mine, Cand(At(q)))) setter = &At(q);
      if (keeper != nullptr && (setter != nullptr || !need_price_setter)) break;
    }
    if (Truncated() && (keeper == nullptr || (need_price_setter && setter == nullptr))) {
      return false;
    }
    // Bidding lower, this ad would also fall behind its own product's next-best ad.
    for (const Ranked& d : s_.dups) {
      if (Cand(d).product_id == mine.product_id && MeetsFloor(d, slot) &&
          (keeper == nullptr || RanksBefore(d, *keeper, c_))) {
        keeper = &d;
      }
    }

    w->index = me.index;
    w->slot = slot;
    w->score = me.score;
    w->min_bid_micros =
        keeper == nullptr
            ? floor
            : std::min(bid, std::max(floor, PerClickMicros(keeper->score, me.quality_factor, bid)));
    switch (rules_.mechanism) {
      case Mechanism::kGeneralizedSecondPrice:
        w->price_micros =
            setter == nullptr
                ? floor
                : std::min(bid, std::max(floor, PerClickMicros(setter->score, me.quality_factor,
                                                               bid) +
                                                    rules_.increment_micros));
        break;
      case Mechanism::kVcg: {
        double externality = 0;
        if (!Externality(p, &externality)) return false;
        const double per_click_score = externality / PositionFactor(rules_, slot);
        w->price_micros = std::min(
            bid, std::max(floor, PerClickMicros(per_click_score, me.quality_factor, bid)));
        break;
      }
      case Mechanism::kFirstPrice:
        w->price_micros = bid;
        break;
    }
    return true;
  }

  // VCG: the welfare (score x position factor) the other ads would gain if the ad at `p` were
  // absent, counting only ads the self-competition rule does not treat as its own.
  bool Externality(int p, double* externality) {
    if (!Allocate(p, &s_.alt_slot_of, nullptr)) return false;
    const Candidate& mine = Cand(At(p));
    double sum = 0;
    for (int q = 0; q < m_; ++q) {
      if (q == p || (s_.slot_of[q] < 0 && s_.alt_slot_of[q] < 0)) continue;
      if (Sibling(mine, Cand(At(q)))) continue;
      sum += At(q).score *
             (PositionFactor(rules_, s_.alt_slot_of[q]) - PositionFactor(rules_, s_.slot_of[q]));
    }
    *externality = std::max(0.0, sum);
    return true;
  }

  absl::Span<const Candidate> c_;
  const Rules& rules_;
  const Floors& floors_;
  internal::Scratch& s_;
  int m_;
};

}  // namespace

namespace {

// Moves every eligible candidate whose product has a better-ranked eligible candidate from the
// pool to `dups`, in one pass over a reused open-addressing table (no allocation after warm-up).
template <typename Before>
void Deduplicate(absl::Span<const Candidate> candidates, Before before, internal::Scratch& s) {
  const size_t n = s.pool.size();
  size_t capacity = 16;
  int shift = 60;
  while (capacity < 2 * n) {
    capacity *= 2;
    --shift;
  }
  if (s.table.size() < capacity) s.table.resize(capacity, ProductSlot{0, 0, 0});
  if (++s.generation == 0) {  // wrapped: forget every stamp
    std::fill(s.table.begin(), s.table.end(), ProductSlot{0, 0, 0});
    s.generation = 1;
  }
  const uint32_t gen = s.generation;
  s.product_slot.resize(n);
  for (size_t pos = 0; pos < n; ++pos) {
    const int64_t product = candidates[s.pool[pos].index].product_id;
    size_t h = (static_cast<uint64_t>(product) * 0x9E3779B97F4A7C15ull) >> shift;
    for (;; h = (h + 1) & (capacity - 1)) {
      ProductSlot& slot = s.table[h];
      if (slot.stamp != gen) {
        slot = ProductSlot{product, gen, static_cast<uint32_t>(pos)};
        break;
      }
      if (slot.product == product) {
        if (before(s.pool[pos], s.pool[slot.best])) slot.best = static_cast<uint32_t>(pos);
        break;
      }
    }
    s.product_slot[pos] = static_cast<uint32_t>(h);
  }
  size_t kept = 0;
  for (size_t pos = 0; pos < n; ++pos) {
    const Ranked r = s.pool[pos];
    if (s.table[s.product_slot[pos]].best == pos) {
      s.pool[kept++] = r;
    } else {
      s.dups.push_back(r);
      s.fate[r.index] = kFateDuplicate;
    }
  }
  s.pool.resize(kept);
}

}  // namespace

Auctioneer::Auctioneer() : scratch_(std::make_unique<internal::Scratch>()) {}
Auctioneer::~Auctioneer() = default;

absl::Status Auctioneer::Run(absl::Span<const Candidate> candidates, const Rules& rules,
                             absl::BitGenRef gen, Outcome* outcome) {
  outcome->winners.clear();
  outcome->losers.clear();
  if (absl::Status status = ValidateRules(rules); !status.ok()) return status;
  if (candidates.size() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("too many candidates for one auction");
  }
  internal::Scratch& s = *scratch_;
  const size_t n = candidates.size();
  const uint64_t seed = absl::Uniform<uint64_t>(gen);
  const Floors floors(rules);
  s.fate.assign(n, kFateOutranked);
  s.score.resize(n);
  s.pool.clear();
  s.dups.clear();
  for (size_t i = 0; i < n; ++i) {
    const Candidate& c = candidates[i];
    if (!IsValidCandidate(c)) return ValidateCandidates(candidates);
    const double qf = QualityFactor(c.quality, rules.squashing);
    const double score = static_cast<double>(c.bid_micros) * qf;
    s.score[i] = score;
    if (c.bid_micros < floors.Lowest(qf)) {
      s.fate[i] = kFateBelowReserve;
    } else {
      s.pool.push_back(
          Ranked{score, TieKey(seed, c.candidate_id), qf, static_cast<uint32_t>(i)});
    }
  }

  const auto before = [candidates](const Ranked& a, const Ranked& b) {
    return RanksBefore(a, b, candidates);
  };
  if (rules.one_winner_per_product && s.pool.size() > 1) Deduplicate(candidates, before, s);

  // Sort only a prefix of the pool: the winners, their price setters and a margin for ads that
  // miss a slot's floor or are the winner's own. Lengthened (doubling) only when a decision needs it.
  const auto sort_range = [&s, &before](size_t from, size_t to) {
    if (to < s.pool.size()) {
      std::nth_element(s.pool.begin() + from, s.pool.begin() + to, s.pool.end(), before);
    }
    std::sort(s.pool.begin() + from, s.pool.begin() + to, before);
  };
  size_t m = std::min(s.pool.size(), static_cast<size_t>(2 * rules.slots + 2));
  sort_range(0, m);
  while (!Decider(candidates, rules, floors, s, m).Decide(&outcome->winners)) {
    const size_t longer = std::min(s.pool.size(), 2 * m);
    sort_range(m, longer);
    m = longer;
  }

  for (const Winner& w : outcome->winners) s.fate[w.index] = kFateWinner;
  outcome->losers.reserve(n - outcome->winners.size());
  for (size_t i = 0; i < n; ++i) {
    switch (s.fate[i]) {
      case kFateWinner:
        break;
      case kFateBelowReserve:
        outcome->losers.push_back(Loser{i, LossReason::kBelowReserve, s.score[i]});
        break;
      case kFateDuplicate:
        outcome->losers.push_back(Loser{i, LossReason::kDuplicateProduct, s.score[i]});
        break;
      default:
        outcome->losers.push_back(Loser{i, LossReason::kOutranked, s.score[i]});
        break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Outcome> RunAuction(absl::Span<const Candidate> candidates, const Rules& rules,
                                   absl::BitGenRef gen) {
  Auctioneer auctioneer;
  Outcome outcome;
  if (absl::Status status = auctioneer.Run(candidates, rules, gen, &outcome); !status.ok()) {
    return status;
  }
  return outcome;
}

}  // namespace auction
}  // namespace gavel
