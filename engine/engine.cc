#include "engine/engine.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "auction/auction.h"
#include "catalog/limits.h"

namespace gavel::engine {
namespace {

LossReason FromAuction(auction::LossReason r) {
  switch (r) {
    case auction::LossReason::kBelowReserve:
      return LossReason::kBelowReserve;
    case auction::LossReason::kDuplicateProduct:
      return LossReason::kDuplicateProduct;
    case auction::LossReason::kOutranked:
      return LossReason::kOutranked;
  }
  return LossReason::kOutranked;
}

LossReason FromTargeting(targeting::RejectReason r) {
  switch (r) {
    case targeting::RejectReason::kNegativeKeyword:
      return LossReason::kNegativeKeyword;
    case targeting::RejectReason::kTargetingExcluded:
      return LossReason::kTargetingExcluded;
    case targeting::RejectReason::kLowRelevance:
      return LossReason::kLowRelevance;
    case targeting::RejectReason::kOutOfSchedule:
      return LossReason::kOutOfSchedule;
  }
  return LossReason::kTargetingExcluded;
}

// Per-thread scratch, so an auction allocates little after warm-up.
struct Scratch {
  targeting::Retriever retriever;
  targeting::Result retrieved;
  targeting::Request with_hour;  // the request with the shopper's local hour filled in
  auction::Rules rules;          // the published rules as this request runs them
  auction::Auctioneer auctioneer;
  auction::Outcome outcome;
  std::vector<auction::Candidate> candidates;
  std::vector<AdOutcome> rows;       // one per auction candidate, same order
  std::vector<AdOutcome> held_back;  // gated out before the auction (explain only)
  absl::flat_hash_map<int64_t, ServeVerdict> verdicts;
  absl::flat_hash_map<int64_t, int64_t> max_bid;  // per campaign, in this auction
  // Caller candidates' string ids, interned for the auction's self-competition and
  // one-winner-per-product rules; the keys view into the request.
  absl::flat_hash_map<absl::string_view, int64_t> advertisers, campaigns, products;
  std::vector<int64_t> caller_bids;          // caller candidates' bids after BindCallerCandidates
  std::vector<size_t> losers;                // explain: auction losers, by score
  std::vector<TargetSample> target_samples;  // a sampled auction's, for the LandscapeSink
  std::vector<CampaignSample> campaign_samples;
  uint32_t until_sample = 0;  // live catalog auctions on this thread until the next sample
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Ids and the matched target of catalog ad `ad`.
void FillIds(const targeting::CatalogSnapshot& s, int32_t ad, const targeting::MatchedTarget& m,
             AdOutcome* row) {
  row->ad = ad;
  row->ad_id = s.ad_id(ad);
  row->ad_group_id = s.ad_group_id(ad);
  row->campaign_id = s.campaign_id(ad);
  row->advertiser_id = s.advertiser_id(ad);
  row->product_id = s.product_id(ad);
  row->matched = m;
  if (m.target >= 0) {
    const catalog::Target& t = s.catalog().targets[m.target];
    row->target_id = t.id;
    if (m.kind == targeting::MatchKind::kKeyword) row->matched.keyword_text = t.keyword.text;
    if (m.kind == targeting::MatchKind::kProduct) row->matched_object_id = t.product_id;
    if (m.kind == targeting::MatchKind::kCategory) row->matched_object_id = t.category_id;
  }
}

// Scores and the match of a retrieved candidate. Its ids are filled (FillIds) only if it is shown:
// a winner or an explain row; most candidates are neither.
void FillFromCandidate(const targeting::Candidate& c, AdOutcome* row) {
  row->ad = c.ad;
  row->matched = c.matched;
  row->bid_micros = c.bid_micros;
  row->relevance = c.relevance;
  row->predicted_ctr = c.predicted_ctr;
  row->quality = c.quality;
}

// One auction's phases over the per-thread scratch, in the order Engine::RunAuction runs them
// (docs/architecture.md): prepare, collect candidates (catalog or caller), the auction, signing,
// explain. Random draws happen in that order: one gate check per campaign as its first candidate
// is admitted, then the auction's one draw. Lives for one RunAuction call.
class AuctionPass {
 public:
  AuctionPass(const AuctionRequest& request, absl::BitGenRef gen, const Serving& serving,
              absl::Time now, ServingGate* gate, Scratch& sc, AuctionResult* result,
              const gavel::Clock* clock)
      : request_(request),
        gen_(gen),
        serving_(serving),
        catalog_(*serving.catalog),
        now_(now),
        gate_(gate),
        // Catalog campaigns go through the snapshot's gate by index; caller candidates' keys are
        // interned per request, so they are checked by id.
        by_index_(request.external.empty() ? serving.gate.get() : nullptr),
        sc_(sc),
        result_(result),
        clock_(clock) {}

  // This request's rules, empty scratch, and the result's header.
  void Prepare(std::string auction_id) {
    auction::Rules& rules = sc_.rules;
    rules = serving_.rules;  // assigned into per-thread scratch: its vectors keep their capacity
    rules.slots = request_.targeting.slots;
    // The catalog's rules may list reserves for more slots than this request has; those slots do
    // not exist here (and auction::ValidateRules rejects reserves beyond `slots`).
    if (rules.slot_reserve_micros.size() > static_cast<size_t>(rules.slots)) {
      rules.slot_reserve_micros.resize(rules.slots);
    }
    if (request_.mechanism.has_value()) rules.mechanism = *request_.mechanism;

    sc_.candidates.clear();
    sc_.rows.clear();
    sc_.held_back.clear();
    sc_.verdicts.clear();
    sc_.max_bid.clear();

    result_->request_id = request_.request_id;
    result_->auction_id = std::move(auction_id);
    result_->mechanism = rules.mechanism;
    result_->catalog_version = catalog_.version();
    result_->winners.clear();
    result_->explanations.clear();
    result_->stats = AuctionStats{};
    phase_start_ = now_;
  }

  // Ends phase `p` now (with AuctionRequest::time_phases) and starts the next.
  void EndPhase(Phase p) {
    if (!request_.time_phases) return;
    const absl::Time now = clock_now();
    result_->stats.phase_nanos[static_cast<int>(p)] = absl::ToInt64Nanoseconds(now - phase_start_);
    phase_start_ = now;
  }

  // Counts the auction's losers by reason (AuctionStats::losses).
  void CountLosses() {
    for (const auction::Loser& l : sc_.outcome.losers) {
      ++result_->stats.losses[static_cast<int>(FromAuction(l.reason))];
    }
  }

  // Retrieves and scores the catalog's candidates, and admits them. INVALID_ARGUMENT from the
  // retriever for a bad query.
  absl::Status CollectCatalogCandidates() {
    const targeting::Request* query = &request_.targeting;
    if (request_.hour_from_time_zone && query->shopper.local_hour < 0) {  // from the time zone
      sc_.with_hour = request_.targeting;  // assigned into per-thread scratch: no allocation
      sc_.with_hour.shopper.local_hour = absl::ToCivilHour(now_, request_.shopper_time_zone).hour();
      query = &sc_.with_hour;
    }
    absl::Status st =
        sc_.retriever.Retrieve(catalog_, *query, now_, request_.explain, &sc_.retrieved);
    if (!st.ok()) return st;
    EndPhase(Phase::kRetrieve);
    result_->stats.candidates = static_cast<int32_t>(sc_.retrieved.candidates.size());
    for (const targeting::Candidate& c : sc_.retrieved.candidates) {
      int64_t& m = sc_.max_bid[catalog_.ad_campaign(c.ad)];
      m = std::max(m, c.bid_micros);
    }
    const int32_t viewed = request_.targeting.placement == catalog::Placement::kProductPage
                               ? catalog_.FindProduct(request_.targeting.viewed_product_id)
                               : -1;
    for (const targeting::Candidate& c : sc_.retrieved.candidates) {
      AdOutcome row;
      FillFromCandidate(c, &row);
      if (viewed >= 0 && catalog_.ad_product(c.ad) == viewed) {
        ++result_->stats.losses[static_cast<int>(LossReason::kTargetingExcluded)];
        HoldBack(std::move(row), LossReason::kTargetingExcluded, kViewedProduct);
        continue;
      }
      Admit(
          std::move(row), [&] { return absl::string_view(catalog_.campaign_id(c.ad)); },
          auction::Candidate{.advertiser_id = catalog_.ad_advertiser(c.ad),
                             .campaign_id = catalog_.ad_campaign(c.ad),
                             .product_id = catalog_.ad_product(c.ad),
                             .bid_micros = c.bid_micros,
                             .quality = c.quality});
    }
    EndPhase(Phase::kGate);
    return absl::OkStatus();
  }

  // The caller candidates' bids as the auction takes them: as sent, or (bind_caller_candidates)
  // checked against the catalog and capped at their campaign's max_bid_micros. INVALID_ARGUMENT
  // naming the candidate otherwise.
  absl::Status BindCallerCandidates() {
    sc_.caller_bids.clear();
    for (size_t i = 0; i < request_.external.size(); ++i) {
      const ExternalCandidate& e = request_.external[i];
      int64_t bid = e.bid_micros;
      if (request_.bind_caller_candidates) {
        absl::StatusOr<int64_t> max_bid = CallerBidCap(i, e);
        if (!max_bid.ok()) return max_bid.status();
        bid = std::min(bid, *max_bid);
      }
      sc_.caller_bids.push_back(bid);
    }
    return absl::OkStatus();
  }

  // Admits the caller's candidates, scoring those without a quality (kNeutralQuality).
  void CollectCallerCandidates() {
    sc_.advertisers.clear();
    sc_.campaigns.clear();
    sc_.products.clear();
    const auto intern = [](absl::flat_hash_map<absl::string_view, int64_t>& m,
                           absl::string_view id) {
      return m.try_emplace(id, static_cast<int64_t>(m.size())).first->second;
    };
    // Caller product ids are the caller's own: the viewed product is matched by id, whether or not
    // the catalog knows it. A held-back candidate's bid is no campaign's price in this auction.
    EndPhase(Phase::kRetrieve);  // nothing to retrieve
    result_->stats.candidates = static_cast<int32_t>(request_.external.size());
    const bool product_page = request_.targeting.placement == catalog::Placement::kProductPage;
    const auto viewed = [&](const ExternalCandidate& e) {
      return product_page && e.product_id == request_.targeting.viewed_product_id;
    };
    for (size_t i = 0; i < request_.external.size(); ++i) {
      const ExternalCandidate& e = request_.external[i];
      if (viewed(e)) continue;
      int64_t& m = sc_.max_bid[intern(sc_.campaigns, e.campaign_id)];
      m = std::max(m, sc_.caller_bids[i]);
    }
    for (size_t i = 0; i < request_.external.size(); ++i) {
      const ExternalCandidate& e = request_.external[i];
      AdOutcome row;
      row.ad_id = e.candidate_id;
      row.campaign_id = e.campaign_id;
      row.advertiser_id = e.advertiser_id;
      row.product_id = e.product_id;
      row.bid_micros = sc_.caller_bids[i];
      row.quality = e.quality > 0 ? e.quality : kNeutralQuality;
      if (e.quality == 0) row.predicted_ctr = catalog_.model().baseline_ctr();
      row.relevance = 1.0;
      if (viewed(e)) {
        ++result_->stats.losses[static_cast<int>(LossReason::kTargetingExcluded)];
        HoldBack(std::move(row), LossReason::kTargetingExcluded, kViewedProduct);
        continue;
      }
      const double quality = row.quality;
      Admit(
          std::move(row), [&] { return absl::string_view(e.campaign_id); },
          auction::Candidate{.advertiser_id = intern(sc_.advertisers, e.advertiser_id),
                             .campaign_id = intern(sc_.campaigns, e.campaign_id),
                             .product_id = intern(sc_.products, e.product_id),
                             .bid_micros = sc_.caller_bids[i],
                             .quality = quality});
    }
    EndPhase(Phase::kGate);
  }

  // Ranks and prices the admitted candidates (auction/). INVALID_ARGUMENT for bad rules or
  // candidates.
  absl::Status Auction(bool sampled) {
    // Minimum bids (docs/auction.md) are reported up to the largest bid a request or catalog can
    // set; per slot only when explaining.
    // The auction's one draw, made where the auction always made it, or the caller's seed for a
    // replay.
    result_->tie_break_seed = request_.tie_break_seed.has_value() ? *request_.tie_break_seed
                                                                  : absl::Uniform<uint64_t>(gen_);
    return sc_.auctioneer.Run(
        sc_.candidates, sc_.rules, result_->tie_break_seed, &sc_.outcome,
        {.per_slot = request_.explain || sampled, .max_bid_micros = catalog::kMaxBidMicros});
  }

  // Tells `sink` what this auction says about its targets' bid landscape and its campaigns'
  // budgets. Catalog auctions only, after SignWinners and with minimum bids per slot.
  void Sample(LandscapeSink* sink) {
    std::vector<TargetSample>& targets = sc_.target_samples;
    targets.clear();
    for (size_t i = 0; i < sc_.rows.size(); ++i) {
      const AdOutcome& row = sc_.rows[i];
      if (row.matched.target < 0) continue;  // automatic targeting
      const catalog::Target& t = catalog_.catalog().targets[row.matched.target];
      // SignWinners gave the winners' rows their slot and price.
      TargetSample sample{.campaign_id = catalog_.campaign_id(row.ad),
                          .target_id = t.id,
                          .won = row.slot > 0,
                          .cpc_micros = row.cpc_micros};
      const absl::Span<const int64_t> min_bids = sc_.outcome.MinBidsPerSlot(i);
      for (size_t s = 0; s < sample.min_bid_micros.size() && s < min_bids.size(); ++s) {
        sample.min_bid_micros[s] = min_bids[s];
      }
      targets.push_back(sample);
    }
    std::vector<CampaignSample>& campaigns = sc_.campaign_samples;
    campaigns.clear();
    for (const auto& [campaign, verdict] : sc_.verdicts) {
      if (verdict == ServeVerdict::kSpendUnknown) continue;
      const catalog::Campaign& c = catalog_.catalog().campaigns[campaign];
      campaigns.push_back({.campaign_id = c.id,
                           .time_zone = c.time_zone,
                           .out_of_budget = verdict == ServeVerdict::kBudgetExhausted});
    }
    sink->Record({.at = now_, .targets = targets, .campaigns = campaigns});
  }

  // Copies the winners into the result, with a click and an impression token each unless this is
  // a dry run, tokens are not wanted, or there is no issuer. INTERNAL if signing fails.
  absl::Status SignWinners(const billing::TokenIssuer* issuer) {
    const bool sign = !request_.dry_run && request_.issue_tokens && issuer != nullptr;
    const uint64_t user_hash = sign && !sc_.outcome.winners.empty()
                                   ? issuer->HashUser(request_.targeting.shopper.user_id)
                                   : 0;
    // The search term the tokens carry for reports: the normalised query, on search placements of
    // catalog auctions (caller candidates skip the retriever, so they carry none).
    const catalog::Placement placement = request_.targeting.placement;
    const std::string search_term = sign && !sc_.outcome.winners.empty() &&
                                            request_.external.empty() &&
                                            (placement == catalog::Placement::kTopOfSearch ||
                                             placement == catalog::Placement::kRestOfSearch)
                                        ? billing::CapSearchTerm(sc_.retriever.query_text().Joined())
                                        : std::string();
    for (const auction::Winner& w : sc_.outcome.winners) {
      AdOutcome& row = sc_.rows[w.index];
      Show(row);
      row.slot = w.slot + 1;
      row.cpc_micros = w.price_micros;
      row.min_bid_micros = w.min_bid_micros;
      row.score = w.score;
      // The winner's row is copied before its tokens exist, and they are signed straight into the
      // copy: an explained auction's rows never need them, and a row copy would copy both strings.
      result_->winners.push_back(row);
      AdOutcome& winner = result_->winners.back();
      if (!sign) continue;
      absl::StatusOr<billing::TokenPair> tokens = issuer->Issue(
          billing::WinnerInfo{
              .auction_id = result_->auction_id,
              .slot = row.slot,
              .ad_id = std::string(row.ad_id),
              .ad_group_id = std::string(row.ad_group_id),
              .campaign_id = std::string(row.campaign_id),
              .advertiser_id = std::string(row.advertiser_id),
              .product_id = std::string(row.product_id),
              .price_micros = row.cpc_micros,
              .placement = static_cast<int32_t>(request_.targeting.placement),
              .user_id = request_.targeting.shopper.user_id,
              .target_id = std::string(row.target_id),
              .search_term = search_term,
          },
          user_hash);
      if (!tokens.ok()) {
        return absl::InternalError(absl::StrCat("signing tokens: ", tokens.status().message()));
      }
      winner.click_token = std::move(tokens->click_token);
      winner.impression_token = std::move(tokens->impression_token);
    }
    return absl::OkStatus();
  }

  // One explanation row per considered ad: winners by slot, then the auction's losers by score,
  // then the ads held back before the auction, then (catalog requests) the retriever's rejections.
  void Explain() {
    for (const auction::Loser& l : sc_.outcome.losers) {
      AdOutcome& row = sc_.rows[l.index];
      row.score = l.score;
      row.loss_reason = FromAuction(l.reason);
    }
    for (size_t i = 0; i < sc_.rows.size(); ++i) {
      const absl::Span<const int64_t> min_bids = sc_.outcome.MinBidsPerSlot(i);
      sc_.rows[i].min_bid_micros_per_slot.assign(min_bids.begin(), min_bids.end());
    }
    for (const auction::Winner& w : sc_.outcome.winners) {
      result_->explanations.push_back(sc_.rows[w.index]);
    }
    std::vector<size_t>& losers = sc_.losers;
    losers.clear();
    for (const auction::Loser& l : sc_.outcome.losers) losers.push_back(l.index);
    std::stable_sort(losers.begin(), losers.end(),
                     [&](size_t a, size_t b) { return sc_.rows[a].score > sc_.rows[b].score; });
    for (size_t i : losers) {
      Show(sc_.rows[i]);
      result_->explanations.push_back(sc_.rows[i]);
    }
    for (AdOutcome& row : sc_.held_back) result_->explanations.push_back(std::move(row));
    if (!request_.external.empty()) return;  // no retrieval: `retrieved` is another request's
    for (const targeting::Rejection& r : sc_.retrieved.rejections) {
      AdOutcome row;
      FillIds(catalog_, r.ad, r.matched, &row);
      row.loss_reason = FromTargeting(r.reason);
      row.detail = r.detail;
      row.bid_micros = r.base_bid_micros;  // before adjustments: no pCTR was predicted
      row.relevance = r.relevance;
      result_->explanations.push_back(std::move(row));
    }
  }

 private:
  // On a product page the viewed product itself is never advertised to its own viewer.
  static constexpr absl::string_view kViewedProduct = "the product this page shows";

  // The most caller candidate `i` may bid: its catalog campaign's max_bid_micros, or its own bid
  // in a dry run for a campaign the catalog does not have. A click token charges the campaign it
  // names, so a live auction must not sign one for a campaign of another advertiser, one that does
  // not exist, or above what the advertiser allowed.
  absl::StatusOr<int64_t> CallerBidCap(size_t i, const ExternalCandidate& e) const {
    const std::string at = absl::StrCat("candidates[", i, "].campaign_id \"", e.campaign_id, "\"");
    const int32_t campaign = catalog_.FindCampaign(e.campaign_id);
    if (campaign < 0) {
      if (request_.dry_run) return e.bid_micros;
      return absl::InvalidArgumentError(absl::StrCat(at, " is not in the catalog"));
    }
    const catalog::Campaign& c = catalog_.catalog().campaigns[campaign];
    if (c.advertiser_id != e.advertiser_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, " belongs to advertiser \"", c.advertiser_id, "\", not \"", e.advertiser_id, "\""));
    }
    if (c.max_bid_micros == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, " takes no caller bids: its max_bid_micros is 0"));
    }
    return c.max_bid_micros;
  }

  // Budget and pacing: one verdict per campaign per auction. `campaign_id()` gives the id for the
  // by-id path; catalog candidates pass a callable so the catalog's Campaign (a cache miss per
  // campaign at 1M ads) is read only on that path.
  template <typename CampaignId>
  ServeVerdict Verdict(int64_t campaign_key, const CampaignId& campaign_id) {
    if (request_.dry_run || gate_ == nullptr) return ServeVerdict::kServe;
    auto [it, inserted] = sc_.verdicts.try_emplace(campaign_key, ServeVerdict::kServe);
    if (inserted) {
      const int64_t max_price = sc_.max_bid[campaign_key];
      it->second = by_index_ != nullptr
                       ? by_index_->Check(static_cast<int32_t>(campaign_key), max_price, now_, gen_)
                       : gate_->Check(campaign_id(), max_price, now_, gen_);
    }
    return it->second;
  }

  static LossReason HeldBackReason(ServeVerdict v) {
    switch (v) {
      case ServeVerdict::kBudgetExhausted:
        return LossReason::kBudgetExhausted;
      case ServeVerdict::kPacedOut:
        return LossReason::kPacedOut;
      case ServeVerdict::kSpendUnknown:
        return LossReason::kSpendUnknown;
      case ServeVerdict::kServe:
        break;
    }
    return LossReason::kNone;
  }

  absl::Time clock_now() const { return clock_->Now(); }

  // Shows a row: fills a catalog ad's ids, once.
  void Show(AdOutcome& row) const {
    if (row.ad >= 0 && row.ad_id.empty()) FillIds(catalog_, row.ad, row.matched, &row);
  }

  // Keeps a candidate out of the auction, with an explain row saying why. Takes `row` by rvalue
  // reference, as Admit does: a by-value row would cost a move and a destruction per candidate.
  void HoldBack(AdOutcome&& row, LossReason reason, absl::string_view detail) {
    if (!request_.explain) return;
    Show(row);
    row.loss_reason = reason;
    row.detail = std::string(detail);
    sc_.held_back.push_back(std::move(row));
  }

  // Makes `c` an auction candidate, with `row` its outcome, unless its campaign may not serve.
  template <typename CampaignId>
  void Admit(AdOutcome&& row, const CampaignId& campaign_id, auction::Candidate c) {
    const ServeVerdict v = Verdict(c.campaign_id, campaign_id);
    if (v != ServeVerdict::kServe) ++result_->stats.losses[static_cast<int>(HeldBackReason(v))];
    if (v == ServeVerdict::kBudgetExhausted) {
      HoldBack(std::move(row), LossReason::kBudgetExhausted, "campaign budget spent");
      return;
    }
    if (v == ServeVerdict::kPacedOut) {
      HoldBack(std::move(row), LossReason::kPacedOut, "held back by even pacing");
      return;
    }
    if (v == ServeVerdict::kSpendUnknown) {
      HoldBack(std::move(row), LossReason::kSpendUnknown,
               "spend unknown: the event store has been unreachable too long");
      return;
    }
    c.candidate_id = static_cast<int64_t>(sc_.candidates.size());
    sc_.candidates.push_back(c);
    sc_.rows.push_back(std::move(row));
  }

  const AuctionRequest& request_;
  absl::BitGenRef gen_;
  const Serving& serving_;
  const targeting::CatalogSnapshot& catalog_;
  const absl::Time now_;
  ServingGate* const gate_;
  const CatalogGate* const by_index_;
  Scratch& sc_;
  AuctionResult* const result_;
  const gavel::Clock* const clock_;
  absl::Time phase_start_;
};

}  // namespace

Engine::Engine(ServingGate* gate, const billing::TokenIssuer* issuer, const gavel::Clock* clock)
    : gate_(gate),
      issuer_(issuer),
      clock_(clock),
      instance_(absl::Uniform<uint64_t>(absl::BitGen())) {}

void Engine::Publish(std::shared_ptr<const Serving> serving) {
  if (serving != nullptr && serving->catalog != nullptr) {
    auto gated = std::make_shared<Serving>(*serving);
    gated->gate = gate_ != nullptr ? gate_->ForCatalog(*serving->catalog) : nullptr;
    serving = std::move(gated);
  }
  std::atomic_store(&serving_, std::move(serving));
}

void Engine::SetLandscape(LandscapeSink* sink, int sample_every) {
  landscape_ = sink;
  sample_every_ = static_cast<uint32_t>(std::max(sample_every, 1));
}

bool Engine::SampleThisAuction(uint32_t& until_sample) const {
  // The counter is the thread's, shared by every engine the thread runs auctions for: one left
  // by an engine sampling less often is cut to this engine's period.
  until_sample = std::min(until_sample, sample_every_ - 1);
  if (until_sample > 0) {
    --until_sample;
    return false;
  }
  until_sample = sample_every_ - 1;
  return true;
}

std::shared_ptr<const Serving> Engine::current() const { return std::atomic_load(&serving_); }

std::string Engine::NextAuctionId() {
  return absl::StrFormat("%016x-%x", instance_, sequence_.fetch_add(1) + 1);
}

absl::Status Engine::RunAuction(const AuctionRequest& request, absl::BitGenRef gen,
                                AuctionResult* result) {
  std::shared_ptr<const Serving> serving = current();
  if (serving == nullptr) return absl::FailedPreconditionError("no catalog is loaded yet");
  AuctionPass pass(request, gen, *serving, clock_->Now(), gate_, ThreadScratch(), result, clock_);
  pass.Prepare(NextAuctionId());
  if (request.external.empty()) {
    if (absl::Status st = pass.CollectCatalogCandidates(); !st.ok()) return st;
  } else {
    if (absl::Status st = pass.BindCallerCandidates(); !st.ok()) return st;
    pass.CollectCallerCandidates();
  }
  const bool sampled = landscape_ != nullptr && !request.dry_run && request.external.empty() &&
                       SampleThisAuction(ThreadScratch().until_sample);
  if (absl::Status st = pass.Auction(sampled); !st.ok()) return st;
  pass.EndPhase(Phase::kAuction);
  pass.CountLosses();
  if (absl::Status st = pass.SignWinners(issuer_); !st.ok()) return st;
  pass.EndPhase(Phase::kSign);
  if (sampled) pass.Sample(landscape_);
  if (request.explain) pass.Explain();
  result->serving = std::move(serving);
  return absl::OkStatus();
}

}  // namespace gavel::engine
