#include "sim/remote.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/client_key.h"
#include "common/grpc_channel.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "sim/click_model.h"
#include "sim/market.h"
#include "sim/scenario.h"
#include "sim/traffic.h"

namespace gavel::sim {
namespace {

absl::Status FromGrpc(const grpc::Status& st, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                      absl::StrCat(what, ": ", st.error_message()));
}

void ToProto(const targeting::Request& r, const std::string& request_id,
             gavel::v1::RunAuctionRequest* p) {
  p->Clear();
  p->set_request_id(request_id);
  p->set_placement(static_cast<gavel::v1::Placement>(r.placement));
  p->set_slots(r.slots);
  p->set_query(r.query);
  for (const std::string& c : r.category_ids) p->mutable_page()->add_category_ids(c);
  gavel::v1::ShopperSignals* s = p->mutable_shopper();
  s->set_user_id(r.shopper.user_id);
  for (const std::string& seg : r.shopper.segments) s->add_segments(seg);
  s->set_device(static_cast<gavel::v1::Device>(r.shopper.device));
  s->set_country(r.shopper.country);
  if (r.shopper.local_hour >= 0) s->set_local_hour(r.shopper.local_hour);
}

struct Pending {
  int32_t ad;
  bool bot;
  int bucket;
};

class RemoteRun {
 public:
  RemoteRun(const Scenario& s, const RemoteOptions& o) : s_(s), o_(o), clicks_(s.clicks()) {}
  absl::StatusOr<RunMetrics> Go();

 private:
  absl::Status Search(int hour, int bucket);
  absl::Status Click(const gavel::v1::Winner& w, const std::string& user, int32_t ad, bool bot,
                     int bucket);
  absl::Status Flush();

  const Scenario& s_;
  const RemoteOptions& o_;
  const ClickModel clicks_;
  Market market_;
  std::shared_ptr<const targeting::CatalogSnapshot> snapshot_;
  std::unique_ptr<Traffic> traffic_;
  std::mt19937_64 click_gen_;
  std::unique_ptr<gavel::v1::AuctionService::Stub> auctions_;
  std::unique_ptr<gavel::v1::EventService::Stub> events_;
  gavel::v1::ReportEventsRequest batch_;
  std::vector<Pending> pending_;
  std::string nonce_;
  int64_t counter_ = 0;
  targeting::Request request_;
  std::vector<double> attractiveness_;
  std::vector<bool> clicked_;
  double latency_sum_us_ = 0;
  std::vector<double> latency_us_;
  RunMetrics m_;
};

absl::Status RemoteRun::Flush() {
  if (batch_.events().empty()) return absl::OkStatus();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  AddClientKey(o_.client_key, &ctx);
  gavel::v1::ReportEventsResponse resp;
  grpc::Status st = events_->ReportEvents(&ctx, batch_, &resp);
  if (!st.ok()) return FromGrpc(st, "ReportEvents");
  for (int i = 0; i < resp.results_size() && i < static_cast<int>(pending_.size()); ++i) {
    const gavel::v1::EventResult& r = resp.results(i);
    const Pending& p = pending_[i];
    // billing's Outcome and InvalidReason share gavel.v1's numbering.
    CountClickOutcome(static_cast<billing::Outcome>(r.outcome()),
                      static_cast<billing::InvalidReason>(r.invalid_reason()), r.charged_micros(),
                      snapshot_->ad_advertiser(p.ad), p.bucket, p.bot, &m_);
  }
  batch_.Clear();
  pending_.clear();
  return absl::OkStatus();
}

absl::Status RemoteRun::Click(const gavel::v1::Winner& w, const std::string& user, int32_t ad,
                              bool bot, int bucket) {
  gavel::v1::Event* e = batch_.add_events();
  e->set_client_event_id(absl::StrCat("sim-", nonce_, "-", ++counter_));
  e->set_type(gavel::v1::EVENT_TYPE_CLICK);
  e->set_token(w.click_token());
  e->set_user_id(user);
  pending_.push_back({ad, bot, bucket});
  if (batch_.events_size() >= 500) return Flush();
  return absl::OkStatus();
}

absl::Status RemoteRun::Search(int hour, int bucket) {
  const Traffic::Search search = traffic_->Next(hour, &request_);
  gavel::v1::RunAuctionRequest req;
  gavel::v1::RunAuctionResponse resp;
  auto run = [&]() -> absl::Status {
    ToProto(request_, absl::StrCat("sim-", nonce_, "-q", ++counter_), &req);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    AddClientKey(o_.client_key, &ctx);
    const auto start = std::chrono::steady_clock::now();
    grpc::Status st = auctions_->RunAuction(&ctx, req, &resp);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    latency_sum_us_ += us;
    latency_us_.push_back(us);
    return st.ok() ? absl::OkStatus() : FromGrpc(st, "RunAuction");
  };
  absl::Status st = run();
  if (!st.ok()) return st;
  ++m_.searches;
  if (resp.winners().empty()) return absl::OkStatus();
  ++m_.searches_with_ads;
  std::vector<int32_t> ads;
  for (const gavel::v1::Winner& w : resp.winners()) {
    const int32_t ad = snapshot_->FindAd(w.ad_id());
    if (ad < 0 || w.slot() < 1 || w.slot() > s_.slots()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the server returned ad \"", w.ad_id(), "\" in slot ", w.slot(),
                       ", not in the scenario's catalog: start gavel_server with the catalog "
                       "--write_catalog wrote"));
    }
    ads.push_back(ad);
  }
  const std::string& user = request_.shopper.user_id;
  if (search.bot) {
    for (int i = 0; i < resp.winners_size(); ++i) {
      if (!traffic_->BotClicks()) continue;
      ++m_.bot_clicks;
      st = Click(resp.winners(i), user, ads[i], true, bucket);
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }
  attractiveness_.clear();
  for (const gavel::v1::Winner& w : resp.winners())
    attractiveness_.push_back(clicks_.Attractiveness(w.quality()));
  clicks_.Clicks(attractiveness_, search.click_multiplier, click_gen_, &clicked_);
  std::vector<std::string> repeat_ads;
  for (int i = 0; i < resp.winners_size(); ++i) {
    const gavel::v1::Winner& w = resp.winners(i);
    ++m_.slots[w.slot() - 1].impressions;
    ++m_.impressions;
    if (!clicked_[i]) continue;
    ++m_.slots[w.slot() - 1].clicks;
    ++m_.shopper_clicks;
    const int32_t advertiser = snapshot_->ad_advertiser(ads[i]);
    AdvertiserMetrics& adv = m_.advertisers[advertiser];
    const int64_t value = market_.value_micros[ads[i]];
    ++adv.shopper_clicks;
    adv.value_micros += value;
    m_.value_micros += value;
    if (absl::Bernoulli(click_gen_, market_.conversion_rate[advertiser])) {
      const double multiple = s_.conversions().has_order_value_multiplier()
                                  ? Sample(s_.conversions().order_value_multiplier(), click_gen_)
                                  : 1.0;
      const int64_t sales = std::llround(
          static_cast<double>(
              snapshot_->catalog().products[snapshot_->ad_product(ads[i])].price_micros) *
          multiple);
      ++adv.conversions;
      adv.sales_micros += sales;
      ++m_.conversions;
      m_.sales_micros += sales;
    }
    st = Click(w, user, ads[i], false, bucket);
    if (!st.ok()) return st;
    if (traffic_->RepeatClick()) repeat_ads.push_back(w.ad_id());
  }
  // Repeat clicks: the shopper searches again and clicks the same ad if it is shown.
  for (const std::string& ad_id : repeat_ads) {
    st = run();
    if (!st.ok()) return st;
    for (const gavel::v1::Winner& w : resp.winners()) {
      if (w.ad_id() != ad_id) continue;
      ++m_.repeat_clicks;
      st = Click(w, user, snapshot_->FindAd(ad_id), false, bucket);
      if (!st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RunMetrics> RemoteRun::Go() {
  const auto wall_start = std::chrono::steady_clock::now();
  market_ = BuildMarket(s_);
  absl::StatusOr<std::shared_ptr<const targeting::CatalogSnapshot>> snapshot =
      targeting::CatalogSnapshot::Build(market_.catalog, 1);
  if (!snapshot.ok()) return snapshot.status();
  snapshot_ = *std::move(snapshot);
  traffic_ = std::make_unique<Traffic>(s_, snapshot_->catalog());
  click_gen_.seed(DeriveSeed(TrafficSeed(s_), Stream::kClicks));
  nonce_ = absl::StrCat(absl::Hex(absl::GetCurrentTimeNanos()));
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      CreateClientChannel(o_.target, grpc::InsecureChannelCredentials());
  if (!channel.ok()) return channel.status();
  auctions_ = gavel::v1::AuctionService::NewStub(*channel);
  events_ = gavel::v1::EventService::NewStub(*channel);

  m_.slots.resize(s_.slots());
  for (const catalog::Advertiser& a : snapshot_->catalog().advertisers)
    m_.advertisers.push_back({.id = a.id});
  for (size_t i = 0; i < snapshot_->catalog().campaigns.size(); ++i) {
    const int64_t b = snapshot_->catalog().campaigns[i].daily_budget_micros;
    m_.advertisers[snapshot_->campaign_advertiser(static_cast<int32_t>(i))].budget_micros += b;
    m_.budget_per_day_micros += b;
  }
  m_.spend_by_bucket.assign(kPacingBuckets, 0);
  m_.target_by_bucket.assign(kPacingBuckets, 0);
  m_.days = 1;
  m_.campaign_days = static_cast<int64_t>(snapshot_->catalog().campaigns.size());

  const std::vector<double> weights = HourlyWeights(s_);
  std::vector<double> cumulative(25, 0);
  for (int h = 0; h < 24; ++h) cumulative[h + 1] = cumulative[h] + weights[h];
  const int64_t q = o_.queries > 0 ? o_.queries : s_.traffic().queries_per_day();
  const int64_t progress_every = std::max<int64_t>(1, q / 100);
  for (int b = 0; b < kPacingBuckets; ++b) {
    const double hours = 24.0 * (b + 1) / kPacingBuckets;
    const int h = std::min(23, static_cast<int>(hours));
    m_.target_by_bucket[b] = (cumulative[h] + weights[h] * (hours - h)) / cumulative[24];
  }
  for (int h = 0; h < 24; ++h) {
    const int64_t n = static_cast<int64_t>(std::floor(q * cumulative[h + 1] / cumulative[24])) -
                      static_cast<int64_t>(std::floor(q * cumulative[h] / cumulative[24]));
    for (int64_t i = 0; i < n; ++i) {
      const int bucket = std::min<int>(kPacingBuckets - 1,
                                       static_cast<int>((h + (i + 0.5) / n) * kPacingBuckets / 24));
      absl::Status st = Search(h, bucket);
      if (!st.ok()) return st;
      if (o_.progress && m_.searches % progress_every == 0) {
        o_.progress(static_cast<double>(m_.searches) / static_cast<double>(q));
      }
    }
  }
  absl::Status st = Flush();
  if (!st.ok()) return st;
  // The server's budgets follow the scenario's pacing setting (catalog_export); when campaigns ran
  // out is not observed over gRPC.
  m_.pacing = s_.budgets().pacing();
  m_.mean_exhaustion_hour = std::nan("");
  m_.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!latency_us_.empty()) {
    m_.latency_mean_us = latency_sum_us_ / static_cast<double>(latency_us_.size());
    std::sort(latency_us_.begin(), latency_us_.end());
    m_.latency_p50_us = latency_us_[latency_us_.size() / 2];
    m_.latency_p99_us =
        latency_us_[std::min(latency_us_.size() - 1, latency_us_.size() * 99 / 100)];
  }
  return std::move(m_);
}

}  // namespace

absl::StatusOr<RunMetrics> SimulateRemote(const Scenario& scenario, const RemoteOptions& options) {
  RemoteRun run(scenario, options);
  return run.Go();
}

}  // namespace gavel::sim
