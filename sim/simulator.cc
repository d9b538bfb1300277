#include "sim/simulator.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <utility>

#include "absl/random/distributions.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "billing/billing.h"
#include "common/clock.h"
#include "convert/proto_convert.h"
#include "engine/billing_gate.h"
#include "engine/engine.h"
#include "learning/training_record.h"
#include "sim/click_model.h"
#include "sim/market.h"
#include "sim/purchases.h"
#include "sim/scenario.h"
#include "sim/traffic.h"
#include "sim/truth_model.h"
#include "targeting/retrieve.h"

namespace gavel::sim {
namespace {

constexpr double kMicros = 1e6;

// A click sent to billing, and what the simulator knows about it that billing does not.
struct PendingClick {
  int32_t ad = 0;
  int64_t value_micros = 0;  // 0 for bots and repeats: counted once, at the first click
  int bucket = 0;
  bool bot = false;
  bool repeat = false;
  // For the training log's click record.
  std::string auction_id;
  int slot = 0;
  int64_t purchase = -1;  // the purchase this click caused (PurchaseFlow id), if any
};

class Run {
 public:
  Run(const Scenario& s, const SimOptions& o) : s_(s), o_(o), clicks_(s.clicks()) {}

  absl::StatusOr<RunMetrics> Go();

 private:
  absl::Status Setup(const std::string& ledger_dir);
  absl::Status Auction(absl::Time t, int hour, int bucket);
  absl::Status Flush();
  absl::Status SendClick(const engine::AuctionResult& r, const engine::AdOutcome& w,
                         const std::string& user, absl::string_view suffix, PendingClick meta);
  void TrackExhaustion(int32_t campaign, absl::Time t, bool rejected);
  // The winners' click-model features (features_), when the truth or the training log needs them.
  void WinnerFeatures();
  void LogImpressions(absl::Time t);
  absl::Status AgentsHour(absl::Time hour_start, int ended_hour, absl::CivilDay first,
                          absl::CivilDay today, absl::Time* next_flush);
  absl::Status FinishSales(absl::CivilDay first, absl::CivilDay last);

  const Scenario& s_;
  const SimOptions& o_;
  const ClickModel clicks_;
  Market market_;
  std::shared_ptr<const targeting::CatalogSnapshot> snapshot_;
  gavel::SimulatedClock clock_;
  std::unique_ptr<billing::Billing> billing_;
  std::unique_ptr<engine::BillingGate> gate_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<Traffic> traffic_;
  std::optional<TruthModel> truth_;
  std::vector<std::vector<targeting::NamedFeature>> features_;  // per winner
  std::string log_auction_id_;  // the current auction's id in the training log
  std::mt19937_64 engine_gen_, click_gen_;

  engine::AuctionRequest request_;
  engine::AuctionResult result_;
  std::vector<double> attractiveness_;
  std::vector<bool> clicked_;
  std::vector<billing::Event> events_;
  std::vector<PendingClick> pending_;
  int64_t event_counter_ = 0;

  // Budget tracking per campaign for the current day.
  std::vector<int64_t> campaign_spend_today_;
  std::vector<bool> campaign_exhausted_today_;
  double exhaustion_hours_sum_ = 0;
  absl::Time day_start_;

  std::vector<uint32_t> latency_ns_;  // a sample, for percentiles
  double latency_sum_ns_ = 0;
  RunMetrics m_;

  // Purchases and autobidders (sim/purchases.h, sim/agents.h).
  std::unique_ptr<PurchaseFlow> purchases_;
  std::unique_ptr<Agents> agents_;
  std::mt19937_64 purchase_gen_;
  auction::Rules rules_;
  std::shared_ptr<const targeting::CatalogSnapshot> first_snapshot_;  // traffic_ reads it
};

absl::Status Run::Setup(const std::string& ledger_dir) {
  market_ = BuildMarket(s_);
  agents_ = std::make_unique<Agents>(s_, &market_.catalog);
  if (absl::Status agents_st = agents_->Check(); !agents_st.ok()) return agents_st;
  purchases_ = std::make_unique<PurchaseFlow>(s_, market_.catalog);
  purchase_gen_.seed(DeriveSeed(TrafficSeed(s_), Stream::kPurchases));
  absl::StatusOr<auction::Rules> rules = convert::RulesFromProto(s_.auction());
  if (!rules.ok()) return rules.status();
  rules_ = *rules;
  absl::StatusOr<std::shared_ptr<const targeting::CatalogSnapshot>> snapshot =
      targeting::CatalogSnapshot::Build(market_.catalog, 1, o_.serving_model);
  if (!snapshot.ok()) return snapshot.status();
  snapshot_ = *std::move(snapshot);
  if (s_.has_truth()) {
    absl::StatusOr<TruthModel> truth = BuildTruth(s_, snapshot_->catalog());
    if (!truth.ok()) return truth.status();
    truth_ = *std::move(truth);
  }
  first_snapshot_ = snapshot_;

  billing::BillingConfig config{.keyring = billing::Keyring::InsecureDevDefault(),
                                .ledger = {.dir = ledger_dir}};
  if (s_.traffic().pacing_follows_traffic()) config.pacing.hourly_traffic = HourlyWeights(s_);
  // The simulator's ledger is thrown away after the run: skip fsync unless asked to measure it.
  if (!s_.durable()) config.ledger.fs = billing::LedgerFsWithSync([](int) { return 0; });
  config.ledger.snapshot_every_records = 0;
  absl::StatusOr<std::unique_ptr<billing::Billing>> b = billing::Billing::Open(config, &clock_);
  if (!b.ok()) return b.status();
  billing_ = *std::move(b);
  const std::vector<billing::CampaignBudget> budgets =
      engine::BudgetsFromCatalog(snapshot_->catalog());
  absl::Status budgets_st = billing_->UpsertCampaigns(budgets);
  if (!budgets_st.ok()) return budgets_st;
  for (const billing::CampaignBudget& budget : budgets) {
    m_.budget_per_day_micros += budget.daily_budget_micros;
  }
  gate_ = std::make_unique<engine::BillingGate>(billing_.get());
  engine_ = std::make_unique<engine::Engine>(gate_.get(), &billing_->issuer(), &clock_);
  engine_->Publish(std::make_shared<const engine::Serving>(
      engine::Serving{.catalog = snapshot_, .rules = *std::move(rules)}));
  traffic_ = std::make_unique<Traffic>(s_, snapshot_->catalog());
  engine_gen_.seed(DeriveSeed(TrafficSeed(s_), Stream::kEngine));
  click_gen_.seed(DeriveSeed(TrafficSeed(s_), Stream::kClicks));

  const catalog::Catalog& c = snapshot_->catalog();
  m_.slots.resize(s_.slots());
  for (const catalog::Advertiser& a : c.advertisers) m_.advertisers.push_back({.id = a.id});
  for (size_t i = 0; i < c.campaigns.size(); ++i) {
    m_.advertisers[snapshot_->campaign_advertiser(static_cast<int32_t>(i))].budget_micros +=
        c.campaigns[i].daily_budget_micros * s_.days();
  }
  m_.spend_by_bucket.assign(kPacingBuckets, 0);
  m_.target_by_bucket.assign(kPacingBuckets, 0);
  campaign_spend_today_.assign(c.campaigns.size(), 0);
  campaign_exhausted_today_.assign(c.campaigns.size(), false);
  request_.issue_tokens = false;
  request_.targeting.slots = s_.slots();
  return absl::OkStatus();
}

absl::Status Run::SendClick(const engine::AuctionResult& r, const engine::AdOutcome& w,
                            const std::string& user, absl::string_view suffix, PendingClick meta) {
  // The same claims the engine signs for a winner (engine.cc), for this winner only.
  absl::StatusOr<billing::TokenPair> tokens = billing_->issuer().Issue(billing::WinnerInfo{
      .auction_id = absl::StrCat(r.auction_id, suffix),
      .slot = w.slot,
      .ad_id = std::string(w.ad_id),
      .ad_group_id = std::string(w.ad_group_id),
      .campaign_id = std::string(w.campaign_id),
      .advertiser_id = std::string(w.advertiser_id),
      .product_id = std::string(w.product_id),
      .price_micros = w.cpc_micros,
      .placement = static_cast<int32_t>(request_.targeting.placement),
      .user_id = user,
  });
  if (!tokens.ok()) return tokens.status();
  events_.push_back({.client_event_id = absl::StrCat("sim-", ++event_counter_),
                     .type = billing::TokenType::kClick,
                     .token = std::move(tokens->click_token),
                     .user_id = user});
  meta.auction_id = absl::StrCat(log_auction_id_, suffix);
  meta.slot = w.slot;
  pending_.push_back(std::move(meta));
  return absl::OkStatus();
}

void Run::WinnerFeatures() {
  features_.resize(result_.winners.size());
  for (size_t i = 0; i < result_.winners.size(); ++i) {
    const engine::AdOutcome& w = result_.winners[i];
    // The engine validated this query; CtrFeatures cannot refuse it.
    targeting::CtrFeatures(*snapshot_, request_.targeting, w.ad, w.matched, &features_[i])
        .IgnoreError();
  }
}

// The records server/training_logger writes for an auction's winners.
void Run::LogImpressions(absl::Time t) {
  learning::Impression record{
      .time_micros = absl::ToUnixMicros(t),
      .auction_id = log_auction_id_,
      .model_version = snapshot_->model().version(),
      .shopper_hash = billing_->issuer().HashUser(request_.targeting.shopper.user_id)};
  for (size_t i = 0; i < result_.winners.size(); ++i) {
    record.slot = result_.winners[i].slot;
    record.features = features_[i];
    o_.training_log->Append(learning::EncodeImpression(record));
  }
}

// A campaign-day counts as exhausted from the first click billing refused for budget, or when its
// spend reaches 95% of the budget, whichever comes first.
void Run::TrackExhaustion(int32_t campaign, absl::Time t, bool rejected) {
  const int64_t budget = snapshot_->catalog().campaigns[campaign].daily_budget_micros;
  if (campaign_exhausted_today_[campaign] ||
      (!rejected && campaign_spend_today_[campaign] * 100 < budget * 95)) {
    return;
  }
  campaign_exhausted_today_[campaign] = true;
  ++m_.campaign_days_exhausted;
  exhaustion_hours_sum_ += absl::ToDoubleHours(t - day_start_);
}

}  // namespace

void CountClickOutcome(billing::Outcome outcome, billing::InvalidReason reason,
                       int64_t charged_micros, int32_t advertiser, int bucket, bool bot,
                       RunMetrics* m, bool repeat) {
  switch (outcome) {
    case billing::Outcome::kCharged: {
      AdvertiserMetrics& adv = m->advertisers[advertiser];
      ++m->charged_clicks;
      m->revenue_micros += charged_micros;
      adv.spend_micros += charged_micros;
      ++adv.charged_clicks;
      m->spend_by_bucket[bucket] += charged_micros;
      if (bot) ++m->bot_clicks_charged;
      if (bot) ++adv.bot_charged_clicks;
      if (repeat) ++adv.repeat_charged_clicks;
      break;
    }
    case billing::Outcome::kBudgetExhausted:
      ++m->budget_rejected_clicks;
      break;
    case billing::Outcome::kInvalid:
      ++m->invalid_filtered;
      if (reason == billing::InvalidReason::kRepeatClick) ++m->invalid_repeat;
      if (reason == billing::InvalidReason::kRateLimited) ++m->invalid_rate_limited;
      break;
    default:
      break;
  }
}

namespace {

absl::Status Run::Flush() {
  if (events_.empty()) return purchases_->IngestDue(clock_.Now(), billing_.get());
  absl::StatusOr<std::vector<billing::EventResult>> results = billing_->Ingest(events_);
  if (!results.ok()) return results.status();
  const absl::Time now = clock_.Now();
  for (size_t i = 0; i < results->size(); ++i) {
    const billing::EventResult& r = (*results)[i];
    const PendingClick& p = pending_[i];
    CountClickOutcome(r.outcome, r.reason, r.charged_micros, snapshot_->ad_advertiser(p.ad),
                      p.bucket, p.bot, &m_, p.repeat);
    const int32_t campaign = snapshot_->ad_campaign(p.ad);
    if (o_.training_log != nullptr && (r.outcome == billing::Outcome::kCharged ||
                                       r.outcome == billing::Outcome::kBudgetExhausted)) {
      o_.training_log->Append(learning::EncodeClick(
          {.time_micros = absl::ToUnixMicros(now), .auction_id = p.auction_id, .slot = p.slot}));
    }
    if (r.outcome == billing::Outcome::kCharged) {
      campaign_spend_today_[campaign] += r.charged_micros;
      TrackExhaustion(campaign, now, /*rejected=*/false);
      if (p.purchase >= 0) purchases_->MarkCharged(p.purchase);
    } else if (r.outcome == billing::Outcome::kBudgetExhausted) {
      TrackExhaustion(campaign, now, /*rejected=*/true);
    }
  }
  events_.clear();
  pending_.clear();
  if (o_.training_log != nullptr) {
    // Written before the next batch, so the queue never fills and no line is dropped: the same
    // seed gives the same log.
    o_.training_log->Flush();
    if (o_.training_log->stats().dropped > 0) {
      return absl::InternalError(
          absl::StrCat("training log dropped lines: ", o_.training_log->stats().error));
    }
  }
  return purchases_->IngestDue(now, billing_.get());
}

absl::Status Run::Auction(absl::Time t, int hour, int bucket) {
  clock_.Set(t);
  const Traffic::Search search = traffic_->Next(hour, &request_.targeting);
  const targeting::Request& tr = request_.targeting;
  const bool bot = search.bot;
  const double multiplier = search.click_multiplier;

  const auto start = std::chrono::steady_clock::now();
  absl::Status st = engine_->RunAuction(request_, engine_gen_, &result_);
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  if (!st.ok()) return absl::InternalError(absl::StrCat("auction: ", st.message()));
  latency_sum_ns_ += static_cast<double>(ns);
  if ((m_.searches & 7) == 0)
    latency_ns_.push_back(static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
  ++m_.searches;
  if (result_.winners.empty()) return absl::OkStatus();
  ++m_.searches_with_ads;
  if (truth_.has_value() || o_.training_log != nullptr) WinnerFeatures();
  if (o_.training_log != nullptr) {
    // The engine's auction ids start with a random per-instance prefix; the log gets the traffic
    // seed and the search's number instead, so the same seed writes the same bytes.
    log_auction_id_ = absl::StrFormat("%016x-%x", TrafficSeed(s_), m_.searches);
    LogImpressions(t);
  }

  if (bot) {
    for (const engine::AdOutcome& w : result_.winners) {
      if (!traffic_->BotClicks()) continue;
      const int32_t ad = w.ad;
      ++m_.bot_clicks;
      st = SendClick(result_, w, tr.shopper.user_id, "", {.ad = ad, .bucket = bucket, .bot = true});
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }

  if (truth_.has_value()) {
    // The hidden model decides, its slot weight being the examination probability's log.
    clicked_.assign(result_.winners.size(), false);
    for (size_t i = 0; i < result_.winners.size(); ++i) {
      const double p = truth_->ClickProbability(features_[i], result_.winners[i].slot);
      clicked_[i] = absl::Bernoulli(click_gen_, std::min(1.0, multiplier * p));
    }
  } else {
    attractiveness_.clear();
    for (const engine::AdOutcome& w : result_.winners) {
      attractiveness_.push_back(clicks_.Attractiveness(w.quality));
    }
    clicks_.Clicks(attractiveness_, multiplier, click_gen_, &clicked_);
  }
  for (size_t i = 0; i < result_.winners.size(); ++i) {
    const engine::AdOutcome& w = result_.winners[i];
    SlotMetrics& slot = m_.slots[w.slot - 1];
    ++slot.impressions;
    ++m_.impressions;
    if (!clicked_[i]) continue;
    ++slot.clicks;
    ++m_.shopper_clicks;
    const int32_t ad = w.ad;
    const int32_t advertiser = snapshot_->ad_advertiser(ad);
    AdvertiserMetrics& adv = m_.advertisers[advertiser];
    const int64_t value = market_.value_micros[ad];
    ++adv.shopper_clicks;
    adv.value_micros += value;
    m_.value_micros += value;
    int64_t purchase = -1;
    if (absl::Bernoulli(click_gen_, market_.conversion_rate[advertiser])) {
      const double multiple = s_.conversions().has_order_value_multiplier()
                                  ? Sample(s_.conversions().order_value_multiplier(), click_gen_)
                                  : 1.0;
      const int64_t sales = static_cast<int64_t>(
          std::llround(static_cast<double>(
                           snapshot_->catalog().products[snapshot_->ad_product(ad)].price_micros) *
                       multiple));
      ++adv.conversions;
      adv.sales_micros += sales;
      ++m_.conversions;
      m_.sales_micros += sales;
      purchase = purchases_->AddCaused(clock_.Now(), tr.shopper.user_id, advertiser,
                                       std::string(w.product_id), sales, purchase_gen_);
    }
    purchases_->MaybeOrganic(clock_.Now(), tr.shopper.user_id, advertiser, purchase_gen_);
    st = SendClick(result_, w, tr.shopper.user_id, "",
                   {.ad = ad, .value_micros = value, .bucket = bucket, .purchase = purchase});
    if (!st.ok()) return st;
    if (traffic_->RepeatClick()) {
      // The same shopper comes back through a new search and clicks the same ad again.
      ++m_.repeat_clicks;
      st = SendClick(result_, w, tr.shopper.user_id, "-again",
                     {.ad = ad, .bucket = bucket, .repeat = true});
      if (!st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RunMetrics> Run::Go() {
  std::string dir_template = (std::filesystem::path(o_.work_dir) / "ledger-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a ledger directory under ", o_.work_dir));
  }
  const std::string ledger_dir = dir_template;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{ledger_dir};

  const auto wall_start = std::chrono::steady_clock::now();
  absl::Status st = Setup(ledger_dir);
  if (!st.ok()) return st;
  m_.setup_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  absl::CivilDay first;
  absl::ParseCivilTime(s_.start_date(), &first);
  const std::vector<double> weights = HourlyWeights(s_);
  std::vector<double> cumulative(25, 0);
  for (int h = 0; h < 24; ++h) cumulative[h + 1] = cumulative[h] + weights[h];
  const int64_t q = s_.traffic().queries_per_day();
  const int64_t total = q * s_.days();
  const int64_t progress_every = std::max<int64_t>(1, total / 100);
  const absl::Duration interval = absl::Seconds(s_.ingest_interval_seconds());
  const absl::Duration bucket_len = absl::Hours(24) / kPacingBuckets;

  for (int d = 0; d < s_.days(); ++d) {
    day_start_ = absl::FromCivil(first + d, absl::UTCTimeZone());
    const absl::Time day_end = day_start_ + absl::Hours(24);
    std::fill(campaign_spend_today_.begin(), campaign_spend_today_.end(), 0);
    std::fill(campaign_exhausted_today_.begin(), campaign_exhausted_today_.end(), false);
    absl::Time next_flush = day_start_ + interval;
    for (int h = 0; h < 24; ++h) {
      if (!agents_->empty() && (d > 0 || h > 0)) {
        st = AgentsHour(day_start_ + absl::Hours(h), (h + 23) % 24, first, first + d, &next_flush);
        if (!st.ok()) return st;
      }
      const int64_t before = static_cast<int64_t>(std::floor(q * cumulative[h] / cumulative[24]));
      const int64_t after =
          static_cast<int64_t>(std::floor(q * cumulative[h + 1] / cumulative[24]));
      const int64_t n = after - before;
      for (int64_t i = 0; i < n; ++i) {
        const absl::Time t =
            day_start_ + absl::Hours(h) +
            absl::Hours(1) * ((static_cast<double>(i) + 0.5) / static_cast<double>(n));
        while (t >= next_flush) {
          clock_.Set(next_flush);
          st = Flush();
          if (!st.ok()) return st;
          next_flush += interval;
        }
        const int bucket = static_cast<int>((t - day_start_) / bucket_len);
        st = Auction(t, h, bucket);
        if (!st.ok()) return st;
        if (o_.progress && m_.searches % progress_every == 0) {
          o_.progress(static_cast<double>(m_.searches) / static_cast<double>(total));
        }
      }
    }
    clock_.Set(std::min(next_flush, day_end - absl::Nanoseconds(1)));
    st = Flush();
    if (!st.ok()) return st;
    if (d == 0) {
      for (int b = 0; b < kPacingBuckets; ++b) {
        m_.target_by_bucket[b] = billing_->pacer().TargetFraction(day_start_ + bucket_len * (b + 1),
                                                                  day_start_, day_end);
      }
    }
  }
  st = FinishSales(first, first + (s_.days() - 1));
  if (!st.ok()) return st;
  m_.days = s_.days();
  m_.campaign_days = static_cast<int64_t>(campaign_spend_today_.size()) * s_.days();
  m_.pacing = s_.budgets().pacing();
  m_.mean_exhaustion_hour =
      m_.campaign_days_exhausted > 0
          ? exhaustion_hours_sum_ / static_cast<double>(m_.campaign_days_exhausted)
          : std::nan("");
  m_.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (m_.searches > 0)
    m_.latency_mean_us = latency_sum_ns_ / static_cast<double>(m_.searches) / 1e3;
  if (!latency_ns_.empty()) {
    auto pct = [&](double p) {
      const size_t k = std::min(latency_ns_.size() - 1,
                                static_cast<size_t>(p * static_cast<double>(latency_ns_.size())));
      std::nth_element(latency_ns_.begin(), latency_ns_.begin() + k, latency_ns_.end());
      return latency_ns_[k] / 1e3;
    };
    m_.latency_p50_us = pct(0.5);
    m_.latency_p99_us = pct(0.99);
  }
  engine_.reset();
  gate_.reset();
  billing_.reset();
  return std::move(m_);
}

// The autobidders' hourly step (sim/agents.h): billing first catches up to the hour's start, then
// each agent reads its report and moves its bids; changed bids reach the engine as a new catalog
// version, as an advertiser's catalog update does.
absl::Status Run::AgentsHour(absl::Time hour_start, int ended_hour, absl::CivilDay first,
                             absl::CivilDay today, absl::Time* next_flush) {
  const absl::Duration interval = absl::Seconds(s_.ingest_interval_seconds());
  while (*next_flush <= hour_start) {
    clock_.Set(*next_flush);
    if (absl::Status st = Flush(); !st.ok()) return st;
    *next_flush += interval;
  }
  clock_.Set(hour_start);
  absl::StatusOr<bool> changed = agents_->OnHour(*billing_, ended_hour, first, today);
  if (!changed.ok()) return changed.status();
  if (!*changed) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const targeting::CatalogSnapshot>> snapshot =
      targeting::CatalogSnapshot::Build(market_.catalog, snapshot_->version() + 1);
  if (!snapshot.ok()) return snapshot.status();
  snapshot_ = *std::move(snapshot);
  // As the server on a catalog update: budgets to billing, then the new version to the engine.
  if (absl::Status st = billing_->UpsertCampaigns(engine::BudgetsFromCatalog(snapshot_->catalog()));
      !st.ok()) {
    return st;
  }
  engine_->Publish(std::make_shared<const engine::Serving>(
      engine::Serving{.catalog = snapshot_, .rules = rules_}));
  return absl::OkStatus();
}

// After the last day: every purchase still pending is sent (at its own time), then Gavel's
// reports and the ground truth go into the metrics.
absl::Status Run::FinishSales(absl::CivilDay first, absl::CivilDay last) {
  clock_.Set(std::max(clock_.Now(), purchases_->LastPending()));
  if (absl::Status st = purchases_->IngestDue(clock_.Now(), billing_.get()); !st.ok()) return st;
  m_.purchases = purchases_->purchases_sent();
  absl::StatusOr<std::vector<SalesTotals>> gavel =
      AdvertiserSales(*billing_, market_.catalog, first, last, AdvertisesIn(market_.catalog));
  if (!gavel.ok()) return gavel.status();
  for (size_t i = 0; i < m_.advertisers.size(); ++i) {
    AdvertiserMetrics& a = m_.advertisers[i];
    a.gavel_spend_micros = (*gavel)[i].spend_micros;
    a.gavel_sales_micros = (*gavel)[i].sales_micros;
    a.gavel_orders = (*gavel)[i].orders;
    const TrueSales& t = purchases_->truth()[i];
    a.true_orders = t.caused_charged_orders;
    a.true_sales_micros = t.caused_charged_sales_micros;
    a.organic_sales_micros = t.organic_sales_micros;
  }
  absl::StatusOr<std::vector<AgentMetrics>> agents = agents_->Finish(*billing_, first, last);
  if (!agents.ok()) return agents.status();
  m_.agents = *std::move(agents);
  return absl::OkStatus();
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace

double Rpm(const RunMetrics& m) {
  return Ratio(static_cast<double>(m.revenue_micros) / kMicros * 1000,
               static_cast<double>(m.searches));
}
double Ctr(const RunMetrics& m) {
  return Ratio(static_cast<double>(m.shopper_clicks), static_cast<double>(m.impressions));
}
double AvgCpc(const RunMetrics& m) {
  return Ratio(static_cast<double>(m.revenue_micros) / kMicros,
               static_cast<double>(m.charged_clicks));
}
double Roas(const RunMetrics& m) {
  return Ratio(static_cast<double>(m.sales_micros), static_cast<double>(m.revenue_micros));
}
double Acos(const RunMetrics& m) {
  return Ratio(static_cast<double>(m.revenue_micros), static_cast<double>(m.sales_micros));
}
int64_t SurplusMicros(const RunMetrics& m) { return m.value_micros - m.revenue_micros; }

double PacingError(const RunMetrics& m) {
  int64_t total = 0;
  for (int64_t v : m.spend_by_bucket) total += v;
  if (total == 0 || m.target_by_bucket.empty()) return 0;
  double err = 0;
  int64_t cum = 0;
  for (size_t b = 0; b < m.spend_by_bucket.size(); ++b) {
    cum += m.spend_by_bucket[b];
    err += std::abs(static_cast<double>(cum) / static_cast<double>(total) - m.target_by_bucket[b]);
  }
  return err / static_cast<double>(m.spend_by_bucket.size());
}

absl::StatusOr<RunMetrics> Simulate(const Scenario& scenario, const SimOptions& options) {
  Run run(scenario, options);
  return run.Go();
}

}  // namespace gavel::sim
