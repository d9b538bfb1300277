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

// One eligible candidate, as the ranking sees it. Kept to 16 bytes: selection moves these around.
struct Ranked {
  double score;
  uint32_t index;
};

enum Fate : uint8_t { kFateOutranked, kFateBelowReserve, kFateDuplicate, kFateWinner };

// 8 bytes, so the table of a 1,000-ad auction stays in L1; the product id is read from the
// best candidate itself.
struct ProductSlot {
  uint32_t stamp;  // == the table's generation when the slot is in use for this auction
  uint32_t best;   // input index of the best-ranked eligible candidate of the product
};

struct TableShape {
  int shift;    // maps a 64-bit hash to a slot: hash >> shift
  size_t mask;  // capacity - 1, for linear probing
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

// Rank order: score descending, then a random key per candidate (computed only for equal scores,
// which are rare); the candidate id and input index only settle key collisions.
class Ranking {
 public:
  Ranking(absl::Span<const Candidate> candidates, uint64_t seed)
      : candidates_(candidates), seed_(seed) {}
  bool operator()(const Ranked& a, const Ranked& b) const {
    if (a.score != b.score) return a.score > b.score;
    const int64_t ida = candidates_[a.index].candidate_id;
    const int64_t idb = candidates_[b.index].candidate_id;
    const uint64_t ta = TieKey(seed_, ida);
    const uint64_t tb = TieKey(seed_, idb);
    if (ta != tb) return ta > tb;
    if (ida != idb) return ida < idb;
    return a.index < b.index;
  }

 private:
  absl::Span<const Candidate> candidates_;
  uint64_t seed_;
};

// The floor of slot s for one ad: max(min CPC, reserve_s), where in kQualityWeighted mode the
// reserve is converted to the ad's bid units by the rounding rule (reserve_s / quality^a, rounded
// up).
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
    lowest_bid_floor_ = std::max(min_cpc_, lowest_reserve_);
  }
  int64_t At(int slot, double quality_factor) const { return Of(reserve_[slot], quality_factor); }
  // The lowest floor over all slots: an ad below it can take no slot.
  int64_t Lowest(double quality_factor) const {
    return weighted_ ? Of(lowest_reserve_, quality_factor) : lowest_bid_floor_;
  }

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
  int64_t lowest_bid_floor_;
  std::array<int64_t, kMaxSlots> reserve_;
};

}  // namespace

namespace internal {

struct Scratch {
  // Per input index.
  std::vector<uint8_t> fate;
  std::vector<double> score;
  // Open-addressing table: product id -> best-ranked eligible candidate. Entries whose stamp is not
  // the current generation are free, so the table is never cleared between auctions.
  std::vector<ProductSlot> table;
  uint32_t generation = 0;
  TableShape shape{63, 0};
  bool dedupe = false;
  // Eligible candidates; [0, m) sorted by rank, the rest ranked below all of them.
  std::vector<Ranked> pool;
  std::vector<int> slot_of;      // per sorted pool position: slot won, or -1
  std::vector<int> alt_slot_of;  // the same without one winner (VCG's counterfactual)
  std::vector<int> winner_pos;   // per slot: pool position of its winner, or -1
  // Minimum bids per slot (MinBidOptions::per_slot) only.
  std::vector<double> taker;    // per allocation and slot: the score of the ad taking it, or -1
  std::vector<int> allocation;  // per input index: its row of `taker` (a winner's: without it)
  std::vector<int64_t> rival;   // per input index: its product's best other eligible ad, or -1

  // Whether a better-ranked eligible ad has the same product (with one_winner_per_product). Final
  // once the first pass is over: an ad once outranked by its own product stays outranked.
  bool IsDuplicate(uint32_t index) const { return fate[index] == kFateDuplicate; }
};

}  // namespace internal

namespace {

// One auction over the sorted prefix pool[0, m) of the eligible candidates (duplicates of a
// product included, and skipped where they may not compete). Every decision scans the prefix in
// rank order; a scan that runs off its end while more eligible candidates exist makes Decide()
// return false, and the caller sorts a longer prefix. Candidates beyond the prefix rank below all
// of it, so a decision reached inside the prefix is the decision over all candidates.
class Decider {
 public:
  Decider(absl::Span<const Candidate> candidates, const Rules& rules, const Floors& floors,
          int64_t max_bid, internal::Scratch& s, size_t m, bool more_outside)
      : c_(candidates),
        rules_(rules),
        floors_(floors),
        max_bid_(max_bid),
        s_(s),
        m_(static_cast<int>(m)),
        more_outside_(more_outside) {}

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
        if ((*slot_of)[q] < 0 && q != excluded && !IsDup(q) && Meets(q, slot)) {
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
  bool Truncated() const { return more_outside_ || static_cast<size_t>(m_) < s_.pool.size(); }
  // Whether a better-ranked eligible ad has the same product (only with one_winner_per_product).
  bool IsDup(int pos) const { return s_.IsDuplicate(At(pos).index); }
  bool Meets(int pos, int slot) const { return MeetsFloor(At(pos), slot); }
  double QualityFactorOf(const Ranked& r) const {
    return QualityFactor(Cand(r).quality, rules_.squashing);
  }
  bool MeetsFloor(const Ranked& r, int slot) const {
    return Cand(r).bid_micros >= floors_.At(slot, QualityFactorOf(r));
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
    const double quality_factor = QualityFactorOf(me);
    const int64_t floor = floors_.At(slot, quality_factor);
    const bool need_price_setter = rules_.mechanism == Mechanism::kGeneralizedSecondPrice;

    // The candidates that would take this slot if this ad bid less: ranked below it, not placed in
    // a higher slot, no duplicate, meeting this slot's floor. `keeper` is the first of them,
    // `setter` the first that may set the price (not this ad's own under the self-competition
    // rule). `rival` is this ad's own product's next-best ad, whatever the floors: bidding under
    // it, this ad would become the duplicate. One ranked below the keeper changes nothing.
    const Ranked* keeper = nullptr;
    const Ranked* setter = nullptr;
    const Ranked* rival = nullptr;
    for (int q = p + 1; q < m_; ++q) {
      const Candidate& other = Cand(At(q));
      if (IsDup(q)) {
        if (rival == nullptr && other.product_id == mine.product_id) rival = &At(q);
        continue;
      }
      const int other_slot = s_.slot_of[q];
      if ((other_slot >= 0 && other_slot < slot) || !Meets(q, slot)) continue;
      if (keeper == nullptr) keeper = &At(q);
      if (setter == nullptr && !Sibling(mine, other)) setter = &At(q);
      if (keeper != nullptr && (setter != nullptr || !need_price_setter)) break;
    }
    if (Truncated() && (keeper == nullptr || (need_price_setter && setter == nullptr))) {
      return false;
    }

    w->index = me.index;
    w->slot = slot;
    w->score = me.score;
    // docs/auction.md, "Minimum bids": the slots above this one went to ads that outrank it or
    // have floors above its bid, so keeping this slot is the cheapest way to get it or better.
    int64_t min_bid = std::max<int64_t>(1, floor);
    for (const Ranked* must_outrank : {keeper, rival}) {
      if (must_outrank == nullptr) continue;
      min_bid = std::max(min_bid, OutbidMicros(must_outrank->score, quality_factor, bid + 1));
    }
    w->min_bid_micros = min_bid <= max_bid_ ? min_bid : kNoMinBid;
    switch (rules_.mechanism) {
      case Mechanism::kGeneralizedSecondPrice:
        w->price_micros =
            setter == nullptr
                ? floor
                : std::min(bid, std::max(floor, PerClickMicros(setter->score, quality_factor, bid) +
                                                    rules_.increment_micros));
        break;
      case Mechanism::kVcg: {
        double externality = 0;
        if (!Externality(p, &externality)) return false;
        const double per_click_score = externality / PositionFactor(rules_, slot);
        w->price_micros =
            std::min(bid, std::max(floor, PerClickMicros(per_click_score, quality_factor, bid)));
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
  int64_t max_bid_;
  internal::Scratch& s_;
  int m_;
  bool more_outside_;
};

// The input index of the best-ranked eligible candidate of `product_id` in this auction's product
// table, or -1 when it has no eligible ad.
int64_t ProductBest(absl::Span<const Candidate> candidates, const internal::Scratch& s,
                    int64_t product_id) {
  size_t h = (static_cast<uint64_t>(product_id) * 0x9E3779B97F4A7C15ull) >> s.shape.shift;
  for (;; h = (h + 1) & s.shape.mask) {
    const ProductSlot& slot = s.table[h];
    if (slot.stamp != s.generation) return -1;
    if (candidates[slot.best].product_id == product_id) return slot.best;
  }
}

// docs/auction.md, "Minimum bids": for candidate i and slot s, the smallest bid with which i gets
// slot s or better even when it loses every tie,
//   min over t <= s of max(1, floor_t(i), Outbid(rival), Outbid(taker_t)),
// where rival is the best other eligible ad of i's product (with one winner per product) and
// taker_t the ad that takes slot t in the auction without i. Removing an ad that won no slot
// changes no slot, so the takers come from the auction as run (i won nothing) or from it without
// one winner (i). Ranks every eligible ad; runs after Decide, on its fates.
void FillMinBidsPerSlot(absl::Span<const Candidate> candidates, const Rules& rules,
                        const Floors& floors, const Ranking& before, int64_t max_bid,
                        internal::Scratch& s, Outcome* outcome) {
  const size_t n = candidates.size();
  const int slots = rules.slots;
  s.pool.clear();
  for (size_t i = 0; i < n; ++i) {
    if (s.fate[i] != kFateBelowReserve) {
      s.pool.push_back(Ranked{s.score[i], static_cast<uint32_t>(i)});
    }
  }
  std::sort(s.pool.begin(), s.pool.end(), before);
  Decider decider(candidates, rules, floors, max_bid, s, s.pool.size(), false);

  // Row 0: the takers of the auction as run; row k + 1: without winner k, winner k's row.
  const size_t rows = outcome->winners.size() + 1;
  s.taker.assign(rows * slots, -1.0);
  s.allocation.assign(n, 0);
  for (size_t row = 0; row < rows; ++row) {
    int excluded = -1;
    if (row > 0) {
      const uint32_t index = static_cast<uint32_t>(outcome->winners[row - 1].index);
      s.allocation[index] = static_cast<int>(row);
      for (size_t q = 0; q < s.pool.size(); ++q) {
        if (s.pool[q].index == index) excluded = static_cast<int>(q);
      }
    }
    decider.Allocate(excluded, &s.alt_slot_of, &s.winner_pos);
    for (int t = 0; t < slots; ++t) {
      if (s.winner_pos[t] >= 0) s.taker[row * slots + t] = s.pool[s.winner_pos[t]].score;
    }
  }

  // Rivals: a product's best ad is the rival of its other ads; its next-best, met first in rank
  // order among the duplicates, is the best ad's rival.
  s.rival.assign(n, -1);
  if (s.dedupe) {
    for (const Ranked& r : s.pool) {
      if (!s.IsDuplicate(r.index)) continue;
      const int64_t best = ProductBest(candidates, s, candidates[r.index].product_id);
      s.rival[r.index] = best;
      if (s.rival[best] < 0) s.rival[best] = r.index;
    }
    for (size_t i = 0; i < n; ++i) {
      if (s.fate[i] == kFateBelowReserve) {
        s.rival[i] = ProductBest(candidates, s, candidates[i].product_id);
      }
    }
  }

  outcome->slots = slots;
  outcome->min_bid_micros_per_slot.resize(n * static_cast<size_t>(slots));
  const int64_t cap = max_bid + 1;  // Outbid's result above max_bid: no reportable minimum
  for (size_t i = 0; i < n; ++i) {
    const double quality_factor = QualityFactor(candidates[i].quality, rules.squashing);
    const int64_t rival = s.rival[i];
    int64_t at_least = 1;
    if (rival >= 0) at_least = OutbidMicros(s.score[rival], quality_factor, cap);
    // Where the rival itself takes a slot, Outbid(rival) already covers it and every ad it would
    // push down (they rank below it), so i's takers are the auction's without i, rival or not.
    const int row = s.allocation[i];
    int64_t best = cap;
    for (int t = 0; t < slots; ++t) {
      int64_t need = std::max(at_least, floors.At(t, quality_factor));
      const double taker = s.taker[row * slots + t];
      if (taker >= 0) need = std::max(need, OutbidMicros(taker, quality_factor, cap));
      best = std::min(best, need);
      outcome->min_bid_micros_per_slot[i * slots + t] = best <= max_bid ? best : kNoMinBid;
    }
  }
}

// Fills outcome->losers, in input order, with every candidate that is not among the winners.
void ListLosers(size_t n, internal::Scratch& s, Outcome* outcome) {
  for (const Winner& w : outcome->winners) s.fate[w.index] = kFateWinner;
  outcome->losers.resize(n - outcome->winners.size());
  Loser* loser = outcome->losers.data();
  for (size_t i = 0; i < n; ++i) {
    switch (s.fate[i]) {
      case kFateWinner:
        continue;
      case kFateBelowReserve:
        *loser++ = Loser{i, LossReason::kBelowReserve, s.score[i]};
        continue;
      case kFateDuplicate:
        *loser++ = Loser{i, LossReason::kDuplicateProduct, s.score[i]};
        continue;
      default:
        *loser++ = Loser{i, LossReason::kOutranked, s.score[i]};
    }
  }
}

// Sizes the product table for `n` candidates (at most half full) and starts a new generation.
TableShape ResetProductTable(size_t n, internal::Scratch& s) {
  size_t capacity = 16;
  int shift = 60;
  while (capacity < 2 * n) {
    capacity *= 2;
    --shift;
  }
  if (s.table.size() < capacity) s.table.resize(capacity, ProductSlot{0, 0});
  if (++s.generation == 0) {  // wrapped: forget every stamp
    std::fill(s.table.begin(), s.table.end(), ProductSlot{0, 0});
    s.generation = 1;
  }
  return TableShape{shift, capacity - 1};
}

}  // namespace

Auctioneer::Auctioneer() : scratch_(std::make_unique<internal::Scratch>()) {}
Auctioneer::~Auctioneer() = default;

namespace {

// The checks made before the tie-break seed is drawn; candidates are checked in the scoring pass.
absl::Status CheckBeforeDraw(absl::Span<const Candidate> candidates, const Rules& rules,
                             const MinBidOptions& min_bids) {
  if (absl::Status status = ValidateRules(rules); !status.ok()) return status;
  if (absl::Status status = ValidateMinBidOptions(min_bids); !status.ok()) return status;
  if (candidates.size() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("too many candidates for one auction");
  }
  return absl::OkStatus();
}

// Empties `outcome` and returns `status`. The losers vector is otherwise not cleared up front:
// resizing it to the same length is free.
absl::Status Fail(Outcome* outcome, absl::Status status) {
  outcome->winners.clear();
  outcome->losers.clear();
  outcome->min_bid_micros_per_slot.clear();
  return status;
}

}  // namespace

absl::Status Auctioneer::Run(absl::Span<const Candidate> candidates, const Rules& rules,
                             absl::BitGenRef gen, Outcome* outcome, const MinBidOptions& min_bids) {
  // The rules are checked before the draw, so a rejected auction draws nothing.
  if (absl::Status status = CheckBeforeDraw(candidates, rules, min_bids); !status.ok()) {
    return Fail(outcome, status);
  }
  return RunChecked(candidates, rules, absl::Uniform<uint64_t>(gen), outcome, min_bids);
}

absl::Status Auctioneer::Run(absl::Span<const Candidate> candidates, const Rules& rules,
                             uint64_t tie_break_seed, Outcome* outcome,
                             const MinBidOptions& min_bids) {
  if (absl::Status status = CheckBeforeDraw(candidates, rules, min_bids); !status.ok()) {
    return Fail(outcome, status);
  }
  return RunChecked(candidates, rules, tie_break_seed, outcome, min_bids);
}

absl::Status Auctioneer::RunChecked(absl::Span<const Candidate> candidates, const Rules& rules,
                                    uint64_t seed, Outcome* outcome,
                                    const MinBidOptions& min_bids) {
  internal::Scratch& s = *scratch_;
  const size_t n = candidates.size();
  const Floors floors(rules);
  const Ranking before(candidates, seed);
  s.fate.resize(n);
  s.score.resize(n);
  s.pool.clear();
  s.dedupe = rules.one_winner_per_product;
  const TableShape table = s.dedupe ? ResetProductTable(n, s) : TableShape{63, 0};
  s.shape = table;
  const uint32_t generation = s.generation;

  // One pass: validate, score, drop ads below every floor, find each product's best ad, and keep
  // in `pool` only ads that can still be among the best `keep` by score. Sorting all candidates is
  // what this avoids: an auction needs the winners, their price setters and a small margin.
  const size_t keep = 2 * static_cast<size_t>(rules.slots) + 2;
  size_t capacity = std::max<size_t>(4 * keep, 64);
  double threshold = -1.0;  // every eligible score is > 0
  size_t eligible = 0;
  for (size_t i = 0; i < n; ++i) {
    const Candidate& c = candidates[i];
    if (!IsValidCandidate(c)) return Fail(outcome, ValidateCandidates(candidates));
    const double qf = QualityFactor(c.quality, rules.squashing);
    const double score = static_cast<double>(c.bid_micros) * qf;
    s.score[i] = score;
    if (c.bid_micros < floors.Lowest(qf)) {
      s.fate[i] = kFateBelowReserve;
      continue;
    }
    s.fate[i] = kFateOutranked;
    ++eligible;
    const Ranked me{score, static_cast<uint32_t>(i)};
    if (s.dedupe) {
      size_t h = (static_cast<uint64_t>(c.product_id) * 0x9E3779B97F4A7C15ull) >> table.shift;
      for (;; h = (h + 1) & table.mask) {
        ProductSlot& slot = s.table[h];
        if (slot.stamp != generation) {
          slot = ProductSlot{generation, me.index};
          break;
        }
        if (candidates[slot.best].product_id == c.product_id) {
          if (before(me, Ranked{s.score[slot.best], slot.best})) {
            s.fate[slot.best] = kFateDuplicate;
            slot.best = me.index;
          } else {
            s.fate[i] = kFateDuplicate;
          }
          break;
        }
      }
    }
    if (score < threshold) continue;
    s.pool.push_back(me);
    if (s.pool.size() >= capacity) {
      const auto by_score = [](const Ranked& a, const Ranked& b) { return a.score > b.score; };
      std::nth_element(s.pool.begin(), s.pool.begin() + (keep - 1), s.pool.end(), by_score);
      threshold = s.pool[keep - 1].score;
      // Equal scores at the threshold all stay: the tie-break decides among them later.
      s.pool.erase(std::remove_if(s.pool.begin(), s.pool.end(),
                                  [threshold](const Ranked& r) { return r.score < threshold; }),
                   s.pool.end());
      if (s.pool.size() * 2 > capacity) capacity *= 2;
    }
  }

  // Decide on the kept ads; in the rare case that is not enough (many duplicates, ads missing a
  // slot's floor, or the winner's own ads), rank all eligible ads, sorting a doubling prefix.
  std::sort(s.pool.begin(), s.pool.end(), before);
  const int64_t max_bid = min_bids.max_bid_micros;
  if (!Decider(candidates, rules, floors, max_bid, s, s.pool.size(), eligible > s.pool.size())
           .Decide(&outcome->winners)) {
    size_t m = s.pool.size();
    s.pool.clear();
    for (size_t i = 0; i < n; ++i) {
      if (s.fate[i] != kFateBelowReserve) {
        s.pool.push_back(Ranked{s.score[i], static_cast<uint32_t>(i)});
      }
    }
    do {
      const size_t longer = std::min(s.pool.size(), std::max<size_t>(2 * m, 1));
      if (longer < s.pool.size()) {
        std::nth_element(s.pool.begin(), s.pool.begin() + longer, s.pool.end(), before);
      }
      std::sort(s.pool.begin(), s.pool.begin() + longer, before);
      m = longer;
    } while (!Decider(candidates, rules, floors, max_bid, s, m, false).Decide(&outcome->winners));
  }
  outcome->min_bid_micros_per_slot.clear();
  outcome->slots = 0;
  if (min_bids.per_slot) FillMinBidsPerSlot(candidates, rules, floors, before, max_bid, s, outcome);

  ListLosers(n, s, outcome);
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

absl::StatusOr<Outcome> RunAuction(absl::Span<const Candidate> candidates, const Rules& rules,
                                   uint64_t tie_break_seed) {
  Auctioneer auctioneer;
  Outcome outcome;
  if (absl::Status status = auctioneer.Run(candidates, rules, tie_break_seed, &outcome);
      !status.ok()) {
    return status;
  }
  return outcome;
}

}  // namespace auction
}  // namespace gavel
