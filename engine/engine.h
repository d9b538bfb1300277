// One sponsored-products auction, end to end, over the pure libraries: retrieve and score
// candidates (targeting/), hold back campaigns out of budget or paced out (a ServingGate, which
// billing/ implements), rank and price (auction/), sign a click and an impression token per winner
// (billing/). The gRPC server and the simulator both call this; it knows nothing of either.
//
//   Engine engine(&gate, &issuer, &clock);
//   engine.Publish(std::make_shared<const Serving>(Serving{snapshot, rules}));
//   AuctionResult result;
//   absl::Status st = engine.RunAuction(request, gen, &result);
//
// Thread-safe: RunAuction may run on any number of threads while Publish swaps the serving state;
// an auction finishes on the state it started with, and never waits for a writer. Does not own the
// gate, issuer or clock; they must outlive the engine.
#ifndef GAVEL_ENGINE_ENGINE_H_
#define GAVEL_ENGINE_ENGINE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "auction/types.h"
#include "billing/token.h"
#include "common/clock.h"
#include "targeting/retrieve.h"
#include "targeting/snapshot.h"

namespace gavel::engine {

// What billing says about a campaign just before an auction.
enum class ServeVerdict { kServe, kBudgetExhausted, kPacedOut, kSpendUnknown };

// The gate for the campaigns of one catalog snapshot, by dense campaign index
// (CatalogSnapshot::ad_campaign): what ServingGate::ForCatalog resolves once per published
// snapshot, so that auctions look nothing up by id. Thread-safe.
class CatalogGate {
 public:
  virtual ~CatalogGate() = default;
  // As ServingGate::Check for the snapshot's campaign `campaign`.
  virtual ServeVerdict Check(int32_t campaign, int64_t max_price_micros, absl::Time now,
                             absl::BitGenRef gen) const = 0;
};

// Budget and pacing, as the auction path sees them. Implementations must be thread-safe and fast
// (called once per campaign per auction).
class ServingGate {
 public:
  virtual ~ServingGate() = default;
  // `max_price_micros` is the most this campaign could pay per click in this auction (its highest
  // bid there): a campaign whose budget cannot cover it must not serve, or it would win clicks
  // that billing then refuses to charge. Used for caller-supplied candidates, and for catalog
  // candidates when ForCatalog gives no gate.
  virtual ServeVerdict Check(absl::string_view campaign_id, int64_t max_price_micros,
                             absl::Time now, absl::BitGenRef gen) = 0;
  // A gate for the campaigns of `catalog`, giving the verdicts Check would; Engine::Publish calls
  // it once per snapshot. Null (the default): auctions call Check by campaign id.
  virtual std::shared_ptr<const CatalogGate> ForCatalog(const targeting::CatalogSnapshot& catalog) {
    return nullptr;
  }
};

// A gate that lets everything serve (dry runs, tests, simulations without budgets).
class OpenGate final : public ServingGate {
 public:
  ServeVerdict Check(absl::string_view, int64_t, absl::Time, absl::BitGenRef) override {
    return ServeVerdict::kServe;
  }
};

// The state auctions read: a catalog snapshot and the auction rules it came with.
struct Serving {
  std::shared_ptr<const targeting::CatalogSnapshot> catalog;
  // `slots` is replaced per request, and slot reserves beyond the request's slots are dropped.
  auction::Rules rules;
  // The engine's ServingGate::ForCatalog(*catalog), set by Engine::Publish (what a caller puts
  // here is replaced).
  std::shared_ptr<const CatalogGate> gate;
};

// A candidate the caller brings ("auction as a service"): no catalog retrieval.
struct ExternalCandidate {
  std::string candidate_id, advertiser_id, campaign_id, product_id;
  int64_t bid_micros = 0;
  double quality = 0;  // (0, 1]; 0 = let the server score it: kNeutralQuality
};

// The quality of a caller candidate that brings none. The server has no relevance or CTR signal for
// an ad it did not retrieve, so it scores it as docs/targeting.md's formula scores a fully relevant
// ad predicted at exactly the baseline CTR b: sqrt(1 x b / (b + b)) = sqrt(1/2), whatever b. Not
// the best quality (1): an unscored ad must not outrank the caller's scored ones by default.
inline constexpr double kNeutralQuality = 0.70710678118654752440;

struct AuctionRequest {
  std::string request_id;
  targeting::Request targeting;  // placement, query, page, shopper, slots
  // When targeting.shopper.local_hour is -1 and hour_from_time_zone is set, the hour now in this
  // zone is used; with hour_from_time_zone false, -1 stays "unknown" (docs/targeting.md).
  absl::TimeZone shopper_time_zone = absl::UTCTimeZone();
  bool hour_from_time_zone = true;
  std::vector<ExternalCandidate> external;      // when non-empty, the only candidates
  std::optional<auction::Mechanism> mechanism;  // overrides the published rules
  bool explain = false;
  bool dry_run = false;  // no budget/pacing gate, no tokens
  // The auction's tie-break seed (docs/auction.md, "Ranking"). Unset: one draw from the generator,
  // made after every budget and pacing draw, where the auction has always made it. Set: this seed
  // and no draw, which replays an auction given its seed (the server accepts it on dry runs only).
  std::optional<uint64_t> tie_break_seed;
  // False: winners carry no tokens (the gate still runs). For callers that sign only the tokens
  // they use with the same issuer: the simulator signs a click token for clicked winners only,
  // since signing every winner's pair would cost more than the rest of the auction.
  bool issue_tokens = true;
  // Set by the server, whose callers are not trusted with the catalog's money: each caller
  // candidate must name a catalog campaign of its own advertiser_id that accepts caller bids
  // (max_bid_micros > 0), and a bid above that maximum is lowered to it (docs/api.md, "Caller
  // candidates"). Only a dry run, which can charge nothing, may name campaigns the catalog does
  // not have; they are priced as sent. False: trusted in-process callers (the simulator, tests).
  bool bind_caller_candidates = false;
  // True: the result's stats.phase_nanos says how long each phase took, by the engine's clock
  // (zeros on a simulated clock). Costs four clock reads; the server sets it when it exports
  // metrics.
  bool time_phases = false;
};

// Why a candidate did not win. Values match gavel.v1.LossReason.
enum class LossReason {
  kNone = 0,
  kBelowReserve = 1,
  kOutranked = 2,
  kBudgetExhausted = 3,
  kPacedOut = 4,
  kNegativeKeyword = 5,
  kDuplicateProduct = 6,
  kLowRelevance = 7,
  kTargetingExcluded = 8,
  kOutOfSchedule = 9,
  kSpendUnknown = 10,
};
inline constexpr int kNumLossReasons = 11;

// An auction's phases, in order (docs/architecture.md, "A request's path"). kGate covers admitting
// the retrieved candidates, the budget and pacing checks included.
enum class Phase { kRetrieve, kGate, kAuction, kSign };
inline constexpr int kNumPhases = 4;

// Counts every auction fills in, for metrics: cheap, whether or not it explains.
struct AuctionStats {
  int32_t candidates = 0;  // considered: retrieved from the catalog, or supplied by the caller
  // Candidates that did not win, by LossReason: held back by budget, pacing or spend unknown
  // (kBudgetExhausted, kPacedOut, kSpendUnknown), the viewed product (kTargetingExcluded), or lost
  // in the auction (kBelowReserve, kOutranked, kDuplicateProduct). The retriever's own rejections
  // (negative keywords, schedules, relevance) are not counted.
  std::array<int32_t, kNumLossReasons> losses{};
  std::array<int64_t, kNumPhases> phase_nanos{};  // with AuctionRequest::time_phases, else zeros
};

// One winner, or (explain) one considered candidate. The ids view into the catalog snapshot that
// AuctionResult::serving keeps alive, or, for caller candidates, into AuctionRequest::external:
// they are valid while both the result and the request are.
struct AdOutcome {
  int32_t ad = -1;  // dense index of the catalog's product ad; -1 for a caller candidate
  // A caller-supplied candidate: no catalog ad, no matched target.
  bool external() const { return ad < 0; }
  absl::string_view ad_id, ad_group_id, campaign_id, advertiser_id, product_id;
  targeting::MatchedTarget matched;     // keyword_text points into the snapshot
  absl::string_view target_id;          // the manual target's id; empty for automatic targeting
  absl::string_view matched_object_id;  // the product or category a product/category target names
  int64_t bid_micros = 0;
  double relevance = 0, predicted_ctr = 0, quality = 0, score = 0;
  int slot = 0;  // 1-based; 0 = did not win
  int64_t cpc_micros = 0;
  // Minimum bids (docs/auction.md, "Minimum bids"), in the units of bid_micros, each strictly
  // outranking what it must pass; 0 = it would take more than catalog::kMaxBidMicros.
  int64_t min_bid_micros = 0;  // winners: the smallest bid that keeps this slot or a better one
  LossReason loss_reason = LossReason::kNone;
  std::string detail;
  // Explain, auction candidates only: entry s (slot s + 1) is the smallest bid with which this
  // candidate, everything else unchanged, gets that slot or a better one.
  std::vector<int64_t> min_bid_micros_per_slot;
  std::string click_token, impression_token;
};

struct AuctionResult {
  std::string request_id, auction_id;
  auction::Mechanism mechanism = auction::Mechanism::kGeneralizedSecondPrice;
  int64_t catalog_version = 0;
  uint64_t tie_break_seed = 0;  // the seed the auction ranked equal scores with
  // Keeps the snapshot that `matched.keyword_text` views into alive.
  std::shared_ptr<const Serving> serving;
  std::vector<AdOutcome> winners;       // slot order
  std::vector<AdOutcome> explanations;  // explain only: every considered candidate
  AuctionStats stats;
};

// A manual target's part in one sampled auction (LandscapeSink). The ids view into the catalog
// snapshot; valid during the Record call only.
struct TargetSample {
  absl::string_view campaign_id, target_id;
  bool won = false;
  int64_t cpc_micros = 0;  // when won
  // Entry s: auction::Outcome::MinBidsPerSlot for slot s + 1 or better; 0 (auction::kNoMinBid)
  // above catalog::kMaxBidMicros or when the auction had fewer than s + 1 slots.
  std::array<int64_t, 3> min_bid_micros{};
};

// A campaign with a candidate past targeting in a sampled auction, and whether its budget was
// spent (ServeVerdict::kBudgetExhausted). Ids view into the snapshot.
struct CampaignSample {
  absl::string_view campaign_id;
  absl::TimeZone time_zone;
  bool out_of_budget = false;
};

// What a sampled auction tells the bid landscape: one TargetSample per auction candidate with a
// manual target (a target with several ads appears once per ad), one CampaignSample per campaign
// the budget gate was asked about.
struct AuctionSample {
  absl::Time at;
  absl::Span<const TargetSample> targets;
  absl::Span<const CampaignSample> campaigns;
};

// Receives 1 in `sample_every` live catalog auctions per serving thread (suggest/landscape.h
// implements it). Called on the auction's thread after the auction is priced and signed, so it
// must be thread-safe and quick.
class LandscapeSink {
 public:
  virtual ~LandscapeSink() = default;
  virtual void Record(const AuctionSample& sample) = 0;
};

class Engine {
 public:
  Engine(ServingGate* gate, const billing::TokenIssuer* issuer, const gavel::Clock* clock);

  // Makes `serving` the state new auctions read, with the gate's CatalogGate for its catalog
  // (resolved here, so publish after billing knows the catalog's budgets). Never blocks an auction.
  void Publish(std::shared_ptr<const Serving> serving);
  // Sends 1 in `sample_every` (>= 1) live auctions with catalog candidates to `sink` (null: none),
  // counted per thread (a thread's first such auction is sampled); dry runs and caller-candidate
  // auctions are never sampled and not counted. A sampled
  // auction also computes its minimum bids per slot (auction::MinBidOptions::per_slot). Call
  // before the first RunAuction; `sink` must outlive the engine.
  void SetLandscape(LandscapeSink* sink, int sample_every);
  // The current state (null before the first Publish).
  std::shared_ptr<const Serving> current() const;

  // Runs one auction. INVALID_ARGUMENT for a bad query (from the normaliser) or bad external
  // candidates (with bind_caller_candidates, naming the candidate: `candidates[3].campaign_id`);
  // FAILED_PRECONDITION before the first Publish; INTERNAL if a token cannot be signed.
  absl::Status RunAuction(const AuctionRequest& request, absl::BitGenRef gen,
                          AuctionResult* result);

 private:
  std::string NextAuctionId();
  // True for 1 in sample_every_ calls on the same counter (a thread's), the first included.
  bool SampleThisAuction(uint32_t& until_sample) const;

  ServingGate* const gate_;
  const billing::TokenIssuer* const issuer_;
  const gavel::Clock* const clock_;
  LandscapeSink* landscape_ = nullptr;
  uint32_t sample_every_ = 1;
  std::shared_ptr<const Serving> serving_;  // read and written only with std::atomic_load/store
  const uint64_t instance_;                 // random per process: auction ids stay unique
  std::atomic<uint64_t> sequence_{0};
};

}  // namespace gavel::engine

#endif  // GAVEL_ENGINE_ENGINE_H_
