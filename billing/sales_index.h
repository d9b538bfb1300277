// The embedded store's attribution data in memory: every charged click of a known shopper and
// every purchase line, indexed by shopper and by campaign, and the (order id, line) keys seen;
// and, kept up to date as clicks and lines arrive in any order, each line's attribution
// candidates (AttributionCandidates) and, per campaign, the lines one of its clicks is a
// candidate for. A report runs the rule over those candidates only, so it costs the lines its
// campaign's clicks may have earned, not the campaign's clicks. Rebuilt from the ledger (and
// snapshots) at start. Kept for the process's life, nothing pruned (docs/billing.md, "Sales";
// measured in docs/performance.md).
//
//   SalesIndex index;
//   if (index.AddLine(line)) { /* first time: record it */ }
//   index.AddClick(click);
//   SalesReport r = index.Report("c1", stats, absl::Hours(24 * 7), advertises);
//
// Thread-safe (a reader-writer lock: reports never block each other).
#ifndef GAVEL_BILLING_SALES_INDEX_H_
#define GAVEL_BILLING_SALES_INDEX_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "billing/attribution.h"
#include "billing/bytes.h"
#include "billing/dimensions.h"
#include "billing/records.h"
#include "billing/sales.h"
#include "common/sync.h"

namespace gavel::billing {

// The attribution form of a record: a charged click of a known shopper, else nullopt.
std::optional<AttributedClick> ClickOf(const EventRecord& r);

// A line's candidates as the PostgreSQL store keeps them (purchase_lines.candidates): a count,
// then each click as snapshots write it, dimensions included. Decode replaces `out`'s contents
// (reusing its elements' storage, for callers that decode many); false on malformed input.
std::string EncodeCandidates(absl::Span<const AttributedClick> clicks);
bool DecodeCandidates(absl::string_view bytes, std::vector<AttributedClick>* out);

// A line and its candidates in one value, as the PostgreSQL store's campaign_lines.entry keeps
// them: the line's ledger record (EncodePurchaseRecord), length-prefixed, then EncodeCandidates.
// Encode takes the candidates already encoded (`encoded_candidates`, EncodeCandidates' output:
// the store writes them on their own too). Decode fills `line` and `candidates` reusing their
// storage; false on malformed input.
std::string EncodeLineEntry(const PurchaseLine& line, absl::string_view encoded_candidates);
bool DecodeLineEntry(absl::string_view bytes, PurchaseLine* line,
                     std::vector<AttributedClick>* candidates);

class SalesIndex {
 public:
  // False (and nothing changes) if the line's (order id, line) is already here.
  bool AddLine(const PurchaseLine& line);
  bool HasLine(absl::string_view order_id, int32_t line) const;
  void AddClick(AttributedClick click);

  // The shoppers of the campaign's clicks on local days [from_day, to_day].
  ClickShoppers CampaignShoppers(absl::string_view campaign_id, int64_t from_day,
                                 int64_t to_day) const;
  // Clicks and lines of `users` with time in [from, to).
  void ShopperActivity(absl::Span<const uint64_t> users, absl::Time from, absl::Time to,
                       std::vector<AttributedClick>* clicks,
                       std::vector<PurchaseLine>* lines) const;

  // The campaign's report over `stats`' days (BuildSalesReport of Attribute over every click and
  // line here, computed from the candidates). `window` <= kMaxAttributionWindow. If `dimension`
  // is not null, the same attributed lines are added to it too (it copies what it keeps).
  SalesReport Report(absl::string_view campaign_id, const CampaignStats& stats,
                     absl::Duration window, const AdvertisesFn& advertises,
                     DimensionSalesAccumulator* dimension = nullptr) const;

  // Snapshot form: counts, then every click (with its dimensions) and every line.
  void Serialize(std::string* out) const;
  // False on malformed input. `with_dimensions`: the clicks carry placement, target and search
  // term (snapshot state version >= 4).
  bool Restore(internal::ByteReader* in, bool with_dimensions);

 private:
  mutable Mutex mu_;
  absl::flat_hash_set<std::string> line_keys_ ABSL_GUARDED_BY(mu_);
  // Indices into clicks_ / lines_.
  std::vector<AttributedClick> clicks_ ABSL_GUARDED_BY(mu_);
  std::vector<PurchaseLine> lines_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<size_t>> clicks_by_campaign_ ABSL_GUARDED_BY(mu_);
  // Sorted by ClickEarlier.
  absl::flat_hash_map<uint64_t, std::vector<size_t>> clicks_by_user_ ABSL_GUARDED_BY(mu_);
  // Sorted by time.
  absl::flat_hash_map<uint64_t, std::vector<size_t>> lines_by_user_ ABSL_GUARDED_BY(mu_);
  // candidates_[line]: indices into clicks_ (AttributionCandidates).
  std::vector<std::vector<size_t>> candidates_ ABSL_GUARDED_BY(mu_);
  // Per campaign, (local day of the click, line) for every click of the campaign that became a
  // candidate of the line; a line appears again only for another day (it may have stopped being
  // a candidate since: the report applies the rule).
  struct CampaignLine {
    int64_t day;
    size_t line;
  };
  absl::flat_hash_map<std::string, std::vector<CampaignLine>> lines_by_campaign_
      ABSL_GUARDED_BY(mu_);

  // Runs the rule over the lines registered with the campaign's clicks on [from_day, to_day]:
  // reserve(number of lines), then add(click, line, kind) per attributed line.
  void ForEachAttributed(
      absl::string_view campaign_id, int64_t from_day, int64_t to_day, absl::Duration window,
      const AdvertisesFn& advertises, const std::function<void(size_t lines)>& reserve,
      const std::function<void(const AttributedClick&, const PurchaseLine&, SaleKind)>& add) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // Offers clicks_[click] to lines_[line]'s candidates and registers the line with the click's
  // campaign if it was kept.
  void Offer(size_t line, size_t click) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace gavel::billing

#endif  // GAVEL_BILLING_SALES_INDEX_H_
