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
  auction::Auctioneer auctioneer;
  auction::Outcome outcome;
  std::vector<auction::Candidate> candidates;
  std::vector<AdOutcome> rows;  // one per auction candidate, same order
  std::vector<AdOutcome> held_back;  // gated out before the auction (explain only)
  absl::flat_hash_map<int64_t, ServeVerdict> verdicts;
  absl::flat_hash_map<int64_t, int64_t> max_bid;  // per campaign, in this auction
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

}  // namespace

Engine::Engine(ServingGate* gate, const billing::TokenIssuer* issuer, const gavel::Clock* clock)
    : gate_(gate), issuer_(issuer), clock_(clock), instance_(absl::Uniform<uint64_t>(absl::BitGen())) {}

void Engine::Publish(std::shared_ptr<const Serving> serving) {
  if (serving != nullptr && serving->catalog != nullptr) {
    auto gated = std::make_shared<Serving>(*serving);
    gated->gate = gate_ != nullptr ? gate_->ForCatalog(*serving->catalog) : nullptr;
    serving = std::move(gated);
  }
  std::atomic_store(&serving_, std::move(serving));
}

std::shared_ptr<const Serving> Engine::current() const { return std::atomic_load(&serving_); }

std::string Engine::NextAuctionId() {
  return absl::StrFormat("%016x-%x", instance_, sequence_.fetch_add(1) + 1);
}

absl::Status Engine::RunAuction(const AuctionRequest& request, absl::BitGenRef gen,
                                AuctionResult* result) {
  std::shared_ptr<const Serving> serving = current();
  if (serving == nullptr) return absl::FailedPreconditionError("no catalog is loaded yet");
  const targeting::CatalogSnapshot& catalog = *serving->catalog;
  const absl::Time now = clock_->Now();

  auction::Rules rules = serving->rules;
  rules.slots = request.targeting.slots;
  // The catalog's rules may list reserves for more slots than this request has; those slots do not
  // exist here (and auction::ValidateRules rejects reserves beyond `slots`).
  if (rules.slot_reserve_micros.size() > static_cast<size_t>(rules.slots)) {
    rules.slot_reserve_micros.resize(rules.slots);
  }
  if (request.mechanism.has_value()) rules.mechanism = *request.mechanism;

  Scratch& sc = ThreadScratch();
  sc.candidates.clear();
  sc.rows.clear();
  sc.held_back.clear();
  sc.verdicts.clear();
  sc.max_bid.clear();

  result->request_id = request.request_id;
  result->auction_id = NextAuctionId();
  result->mechanism = rules.mechanism;
  result->catalog_version = catalog.version();
  result->winners.clear();
  result->explanations.clear();

  // Budget and pacing: one verdict per campaign per auction. Catalog campaigns go through the
  // snapshot's gate by index; caller candidates' keys are interned per request, so by id.
  const CatalogGate* by_index = request.external.empty() ? serving->gate.get() : nullptr;
  // `campaign_id()` gives the id for the by-id path; catalog candidates pass a callable so the
  // catalog's Campaign (a cache miss per campaign at 1M ads) is read only on that path.
  auto verdict = [&](int64_t campaign_key, const auto& campaign_id) {
    if (request.dry_run || gate_ == nullptr) return ServeVerdict::kServe;
    auto [it, inserted] = sc.verdicts.try_emplace(campaign_key, ServeVerdict::kServe);
    if (inserted) {
      const int64_t max_price = sc.max_bid[campaign_key];
      it->second = by_index != nullptr
                       ? by_index->Check(static_cast<int32_t>(campaign_key), max_price, now, gen)
                       : gate_->Check(campaign_id(), max_price, now, gen);
    }
    return it->second;
  };
  // Shows a row: fills a catalog ad's ids, once.
  auto show = [&](AdOutcome& row) {
    if (row.ad >= 0 && row.ad_id.empty()) FillIds(catalog, row.ad, row.matched, &row);
  };
  // On a product page the viewed product itself is never advertised to its own viewer.
  auto hold_back_viewed = [&](AdOutcome row) {
    if (!request.explain) return;
    show(row);
    row.loss_reason = LossReason::kTargetingExcluded;
    row.detail = "the product this page shows";
    sc.held_back.push_back(std::move(row));
  };
  auto admit = [&](AdOutcome row, const auto& campaign_id, auction::Candidate c) {
    const ServeVerdict v = verdict(c.campaign_id, campaign_id);
    if (v != ServeVerdict::kServe) {
      if (request.explain) {
        show(row);
        row.loss_reason =
            v == ServeVerdict::kBudgetExhausted ? LossReason::kBudgetExhausted : LossReason::kPacedOut;
        row.detail = v == ServeVerdict::kBudgetExhausted ? "campaign budget spent"
                                                         : "held back by even pacing";
        sc.held_back.push_back(std::move(row));
      }
      return;
    }
    c.candidate_id = static_cast<int64_t>(sc.candidates.size());
    sc.candidates.push_back(c);
    sc.rows.push_back(std::move(row));
  };

  if (request.external.empty()) {
    const targeting::Request* query = &request.targeting;
    if (query->shopper.local_hour < 0) {  // Dayparting needs an hour: take it from the time zone.
      sc.with_hour = request.targeting;  // assigned into per-thread scratch: no allocation
      sc.with_hour.shopper.local_hour = absl::ToCivilHour(now, request.shopper_time_zone).hour();
      query = &sc.with_hour;
    }
    absl::Status st = sc.retriever.Retrieve(catalog, *query, now, request.explain, &sc.retrieved);
    if (!st.ok()) return st;
    for (const targeting::Candidate& c : sc.retrieved.candidates) {
      int64_t& m = sc.max_bid[catalog.ad_campaign(c.ad)];
      m = std::max(m, c.bid_micros);
    }
    const int32_t viewed = request.targeting.placement == catalog::Placement::kProductPage
                               ? catalog.FindProduct(request.targeting.viewed_product_id)
                               : -1;
    for (const targeting::Candidate& c : sc.retrieved.candidates) {
      AdOutcome row;
      FillFromCandidate(c, &row);
      if (viewed >= 0 && catalog.ad_product(c.ad) == viewed) {
        hold_back_viewed(std::move(row));
        continue;
      }
      admit(std::move(row), [&] { return absl::string_view(catalog.campaign_id(c.ad)); },
            auction::Candidate{.advertiser_id = catalog.ad_advertiser(c.ad),
                                               .campaign_id = catalog.ad_campaign(c.ad),
                                               .product_id = catalog.ad_product(c.ad),
                                               .bid_micros = c.bid_micros,
                                               .quality = c.quality});
    }
  } else {
    // Caller-supplied candidates: intern their string ids for the auction's self-competition and
    // one-winner-per-product rules.
    absl::flat_hash_map<absl::string_view, int64_t> advertisers, campaigns, products;
    auto intern = [](absl::flat_hash_map<absl::string_view, int64_t>& m, absl::string_view id) {
      return m.try_emplace(id, static_cast<int64_t>(m.size())).first->second;
    };
    // Caller product ids are the caller's own: the viewed product is matched by id, whether or not
    // the catalog knows it. A held-back candidate's bid is no campaign's price in this auction.
    const bool product_page = request.targeting.placement == catalog::Placement::kProductPage;
    const auto viewed = [&](const ExternalCandidate& e) {
      return product_page && e.product_id == request.targeting.viewed_product_id;
    };
    for (const ExternalCandidate& e : request.external) {
      if (viewed(e)) continue;
      int64_t& m = sc.max_bid[intern(campaigns, e.campaign_id)];
      m = std::max(m, e.bid_micros);
    }
    for (const ExternalCandidate& e : request.external) {
      AdOutcome row;
      row.ad_id = e.candidate_id;
      row.campaign_id = e.campaign_id;
      row.advertiser_id = e.advertiser_id;
      row.product_id = e.product_id;
      row.bid_micros = e.bid_micros;
      row.quality = e.quality > 0 ? e.quality : kNeutralQuality;
      if (e.quality == 0) row.predicted_ctr = catalog.model().baseline_ctr();
      row.relevance = 1.0;
      if (viewed(e)) {
        hold_back_viewed(std::move(row));
        continue;
      }
      const double quality = row.quality;
      admit(std::move(row), [&] { return absl::string_view(e.campaign_id); }, auction::Candidate{.advertiser_id = intern(advertisers, e.advertiser_id),
                                               .campaign_id = intern(campaigns, e.campaign_id),
                                               .product_id = intern(products, e.product_id),
                                               .bid_micros = e.bid_micros,
                                               .quality = quality});
    }
  }

  // Minimum bids (docs/auction.md) are reported up to the largest bid a request or catalog can set.
  absl::Status st = sc.auctioneer.Run(
      sc.candidates, rules, gen, &sc.outcome,
      {.per_slot = request.explain, .max_bid_micros = catalog::kMaxBidMicros});
  if (!st.ok()) return st;

  const bool sign = !request.dry_run && request.issue_tokens && issuer_ != nullptr;
  const uint64_t user_hash =
      sign && !sc.outcome.winners.empty() ? issuer_->HashUser(request.targeting.shopper.user_id) : 0;
  for (const auction::Winner& w : sc.outcome.winners) {
    AdOutcome& row = sc.rows[w.index];
    show(row);
    row.slot = w.slot + 1;
    row.cpc_micros = w.price_micros;
    row.min_bid_micros = w.min_bid_micros;
    row.score = w.score;
    // The winner's row is copied before its tokens exist, and they are signed straight into the
    // copy: an explained auction's rows never need them, and a row copy would copy both strings.
    result->winners.push_back(row);
    AdOutcome& winner = result->winners.back();
    if (sign) {
      absl::StatusOr<billing::TokenPair> tokens = issuer_->Issue(billing::WinnerInfo{
          .auction_id = result->auction_id,
          .slot = row.slot,
          .ad_id = std::string(row.ad_id),
          .ad_group_id = std::string(row.ad_group_id),
          .campaign_id = std::string(row.campaign_id),
          .advertiser_id = std::string(row.advertiser_id),
          .product_id = std::string(row.product_id),
          .price_micros = row.cpc_micros,
          .placement = static_cast<int32_t>(request.targeting.placement),
          .user_id = request.targeting.shopper.user_id,
      }, user_hash);
      if (!tokens.ok()) {
        return absl::InternalError(absl::StrCat("signing tokens: ", tokens.status().message()));
      }
      winner.click_token = std::move(tokens->click_token);
      winner.impression_token = std::move(tokens->impression_token);
    }
  }
  if (!request.explain) {
    result->serving = std::move(serving);
    return absl::OkStatus();
  }

  for (const auction::Loser& l : sc.outcome.losers) {
    AdOutcome& row = sc.rows[l.index];
    row.score = l.score;
    row.loss_reason = FromAuction(l.reason);
  }
  for (size_t i = 0; i < sc.rows.size(); ++i) {
    const absl::Span<const int64_t> min_bids = sc.outcome.MinBidsPerSlot(i);
    sc.rows[i].min_bid_micros_per_slot.assign(min_bids.begin(), min_bids.end());
  }
  // Winners by slot, then everyone else by score, then the ads held back or rejected earlier.
  for (const auction::Winner& w : sc.outcome.winners) result->explanations.push_back(sc.rows[w.index]);
  std::vector<size_t> losers;
  for (const auction::Loser& l : sc.outcome.losers) losers.push_back(l.index);
  std::stable_sort(losers.begin(), losers.end(),
                   [&](size_t a, size_t b) { return sc.rows[a].score > sc.rows[b].score; });
  for (size_t i : losers) {
    show(sc.rows[i]);
    result->explanations.push_back(sc.rows[i]);
  }
  for (AdOutcome& row : sc.held_back) result->explanations.push_back(std::move(row));
  for (const targeting::Rejection& r : sc.retrieved.rejections) {
    if (!request.external.empty()) break;
    AdOutcome row;
    FillIds(catalog, r.ad, r.matched, &row);
    row.loss_reason = FromTargeting(r.reason);
    row.detail = r.detail;
    result->explanations.push_back(std::move(row));
  }
  result->serving = std::move(serving);
  return absl::OkStatus();
}

}  // namespace gavel::engine
