#include "billing/event_store.h"

namespace gavel::billing {

absl::StatusOr<SalesReport> EventStore::SalesReportOf(absl::string_view campaign_id,
                                                      const CampaignStats& stats,
                                                      absl::Duration window,
                                                      const AdvertisesFn& advertises,
                                                      Dimension dimension, int64_t) const {
  if (dimension != Dimension::kCampaign) {
    return absl::UnimplementedError("this event store does not keep reports by dimension");
  }
  std::vector<AttributedClick> clicks;
  std::vector<PurchaseLine> lines;
  if (!stats.days.empty()) {
    const absl::CivilDay epoch(1970, 1, 1);
    absl::StatusOr<ClickShoppers> mine = CampaignShoppers(
        campaign_id, stats.days.front().date - epoch, stats.days.back().date - epoch);
    if (!mine.ok()) return mine.status();
    if (!mine->users.empty()) {
      // Every line within the window of one of the campaign's clicks, and every click that could
      // compete for such a line: the shoppers' activity from a window before the first click to
      // a window after the last.
      absl::Status read =
          ShopperActivity(mine->users, mine->first - window, mine->last + window, &clicks, &lines);
      if (!read.ok()) return read;
    }
  }
  return BuildSalesReport(campaign_id, stats, clicks, lines,
                          Attribute(clicks, lines, window, advertises));
}

}  // namespace gavel::billing
