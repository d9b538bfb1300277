// gavel_cli: calls every Gavel RPC with readable output.
//
//   gavel_cli auction "wireless headphones" --slots=3 --explain
//   gavel_cli click <click_token>
//   gavel_cli campaigns
//   gavel_cli stats c-sonic-search
//   gavel_cli rules update '{"selfCompetition": "SELF_COMPETITION_OFF"}'
//
// Run `gavel_cli help` for every command. Admin commands read the API key from --api_key or the
// GAVEL_API_KEY environment variable.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/client_key.h"
#include "common/flags_help.h"
#include "common/grpc_channel.h"
#include "gavel/v1/auction.grpc.pb.h"
#include "gavel/v1/campaigns.grpc.pb.h"
#include "gavel/v1/events.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "Gavel server address host:port; or several comma-separated (replicas): calls go to "
          "them round robin, skipping any that is down");
ABSL_FLAG(std::string, api_key, "", "Admin API key (default: $GAVEL_API_KEY)");
ABSL_FLAG(std::string, client_key_file, "",
          "auction/click/impression: file holding this client's key, sent as `authorization: "
          "Bearer <key>` (default: $GAVEL_CLIENT_KEY; none for a server run with "
          "--insecure_no_client_auth)");
ABSL_FLAG(std::string, tls_ca, "", "PEM file of the CA to trust; empty = plaintext");
ABSL_FLAG(int32_t, slots, 3, "auction: number of slots");
ABSL_FLAG(std::string, placement, "top", "auction: top|rest|product|category|home|checkout");
ABSL_FLAG(std::string, product, "", "auction: viewed product id (product pages)");
ABSL_FLAG(std::string, category, "", "auction: page category ids, comma-separated");
ABSL_FLAG(std::string, user, "demo-user", "auction/click: shopper user id");
ABSL_FLAG(std::string, segments, "", "auction: shopper segments, comma-separated");
ABSL_FLAG(std::string, device, "desktop", "auction: desktop|mobile_web|mobile_app|tablet");
ABSL_FLAG(std::string, country, "US", "auction: ISO country code");
ABSL_FLAG(std::string, time_zone, "",
          "auction: shopper's IANA time zone (dayparting when --local_hour is unset); empty = UTC");
ABSL_FLAG(std::string, local_hour, "",
          "auction: shopper's local hour 0-23, or -1 for unknown; empty = the hour now in "
          "--time_zone");
ABSL_FLAG(std::string, mechanism, "", "auction: override gsp|vcg|first_price");
ABSL_FLAG(bool, explain, false, "auction: print every considered candidate and why it lost");
ABSL_FLAG(bool, dry_run, false, "auction: price only: no budgets, pacing or tokens");
ABSL_FLAG(std::string, seed, "",
          "auction: replay with this tie-break seed (as printed by an earlier auction); implies "
          "--dry_run");
ABSL_FLAG(bool, json, false, "print responses as JSON instead of tables");
ABSL_FLAG(std::string, event_id, "", "click/impression: client event id (default: generated)");
ABSL_FLAG(std::string, parent, "", "list commands: parent id filter");
ABSL_FLAG(std::string, from, "", "stats, sales: first day YYYY-MM-DD");
ABSL_FLAG(std::string, to, "", "stats, sales: last day YYYY-MM-DD");
ABSL_FLAG(int32_t, window, 7, "sales: attribution window in days (1, 7, 14 or 30)");
ABSL_FLAG(bool, csv, false,
          "sales, suggest-bids, suggest-budget: print CSV (sales: every day of the range, then the "
          "total)");
ABSL_FLAG(std::string, by, "",
          "sales: break down by ad_group, target, placement or search_term (default: campaign)");
ABSL_FLAG(std::string, targets, "", "suggest-bids: comma-separated target ids (default: all)");
ABSL_FLAG(int32_t, days, 7, "suggest-budget: the last DAYS campaign-local days, 1-7");
ABSL_FLAG(int32_t, deadline_ms, 5000, "RPC deadline in milliseconds");

namespace {

using gavel::v1::AuctionService;
using gavel::v1::CampaignService;
using gavel::v1::EventService;

constexpr char kUsage[] = R"(gavel_cli COMMAND [ARGS] [--flags]

Shopper-side:
  auction QUERY              run an auction (--slots --placement --product --category --user
                             --segments --device --country --mechanism --explain --dry_run)
                             and print its tie-break seed; --seed=SEED replays one as a dry run
  click TOKEN                report a click with a winner's click token
  purchase JSON              report purchases: a ReportPurchasesRequest as JSON
  impression TOKEN           report an impression with a winner's impression token
Auctions and events need the client key (--client_key_file or $GAVEL_CLIENT_KEY) unless the
server runs with --insecure_no_client_auth, as ./run.sh does.
Admin (needs --api_key or $GAVEL_API_KEY):
  advertisers | campaigns | adgroups | productads | targets      list (--parent filters)
  create KIND JSON           create an advertiser|campaign|adgroup|productad|target from JSON
  update KIND JSON [MASK]    update one (MASK: comma-separated field names)
  pause KIND ID | enable KIND ID | archive KIND ID
  stats CAMPAIGN_ID          daily statistics (--from --to)
  sales CAMPAIGN_ID          daily delivery and attributed sales, ACOS, ROAS, CTR, CVR, avg CPC
                             (--from --to --window --csv --by=ad_group|target|placement|search_term)
  suggest-bids CAMPAIGN_ID   suggested bids per manual target: p25/p50/p75 of winning CPCs and
                             the minimum bids to win slots 1-3 (--targets --csv)
  suggest-budget CAMPAIGN_ID per recent day: share in budget, estimated missed clicks, the budget
                             that would have kept it in budget (--days --csv)
  reload                     re-read the server's catalog file (discards every admin write)
  rules [get]                the auction rules the server applies, every default explicit
  rules update JSON [MASK]   change them, e.g. '{"selfCompetition": "SELF_COMPETITION_OFF"}'
                             (MASK: comma-separated field names; * = replace all)
Other:
  health                     standard gRPC health check
)";

std::string Money(int64_t micros) {
  return absl::StrFormat("%s%d.%06d", micros < 0 ? "-" : "", std::llabs(micros) / 1000000,
                         std::llabs(micros) % 1000000);
}

std::unique_ptr<grpc::ClientContext> Context(bool admin) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms)));
  if (admin) {
    std::string key = absl::GetFlag(FLAGS_api_key);
    if (key.empty() && std::getenv("GAVEL_API_KEY") != nullptr) key = std::getenv("GAVEL_API_KEY");
    if (!key.empty()) ctx->AddMetadata("x-gavel-api-key", key);
  } else {
    static const absl::StatusOr<std::string> client_key =
        gavel::ReadClientKey(absl::GetFlag(FLAGS_client_key_file));
    if (!client_key.ok()) {
      std::fprintf(stderr, "error: %s\n", std::string(client_key.status().message()).c_str());
      std::exit(2);
    }
    gavel::AddClientKey(*client_key, ctx.get());
  }
  return ctx;
}

int Fail(const grpc::Status& status) {
  std::fprintf(stderr, "error: %s: %s\n",
               absl::StrCat("code ", static_cast<int>(status.error_code())).c_str(),
               status.error_message().c_str());
  return 1;
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = true;
  opts.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::vector<std::string> SplitList(const std::string& s) {
  return absl::StrSplit(s, ',', absl::SkipEmpty());
}

template <typename EnumDescGetter>
int ParseEnum(const std::string& prefix, std::string value, EnumDescGetter descriptor) {
  value = absl::AsciiStrToUpper(value);
  if (value == "TOP") value = "TOP_OF_SEARCH";
  if (value == "REST") value = "REST_OF_SEARCH";
  if (value == "PRODUCT") value = "PRODUCT_PAGE";
  if (value == "CATEGORY") value = "CATEGORY_PAGE";
  if (value == "HOME") value = "HOME_PAGE";
  const auto* v = descriptor()->FindValueByName(prefix + value);
  if (v == nullptr) {
    std::fprintf(stderr, "error: unknown value %s (expected one of the %s* names)\n", value.c_str(),
                 prefix.c_str());
    std::exit(2);
  }
  return v->number();
}

std::string MatchedText(const gavel::v1::MatchedTarget& t) {
  switch (t.kind_case()) {
    case gavel::v1::MatchedTarget::kKeyword:
      return absl::StrCat(
          "kw \"", t.keyword().text(), "\" ",
          absl::AsciiStrToLower(gavel::v1::MatchType_Name(t.keyword().match_type()).substr(11)));
    case gavel::v1::MatchedTarget::kProductId:
      return absl::StrCat("product ", t.product_id());
    case gavel::v1::MatchedTarget::kCategoryId:
      return absl::StrCat("category ", t.category_id());
    case gavel::v1::MatchedTarget::kAutoTargetGroup:
      return absl::StrCat(
          "auto ",
          absl::AsciiStrToLower(gavel::v1::AutoTargetGroup_Name(t.auto_target_group()).substr(18)));
    default:
      return "-";
  }
}

int RunAuction(const std::shared_ptr<grpc::Channel>& channel, const std::string& query) {
  auto stub = AuctionService::NewStub(channel);
  gavel::v1::RunAuctionRequest req;
  req.set_request_id(absl::StrCat("cli-", absl::ToUnixMicros(absl::Now())));
  req.set_placement(static_cast<gavel::v1::Placement>(
      ParseEnum("PLACEMENT_", absl::GetFlag(FLAGS_placement), gavel::v1::Placement_descriptor)));
  req.set_slots(absl::GetFlag(FLAGS_slots));
  req.set_query(query);
  req.mutable_page()->set_viewed_product_id(absl::GetFlag(FLAGS_product));
  for (const auto& c : SplitList(absl::GetFlag(FLAGS_category)))
    req.mutable_page()->add_category_ids(c);
  auto* shopper = req.mutable_shopper();
  shopper->set_user_id(absl::GetFlag(FLAGS_user));
  for (const auto& s : SplitList(absl::GetFlag(FLAGS_segments))) shopper->add_segments(s);
  shopper->set_device(static_cast<gavel::v1::Device>(
      ParseEnum("DEVICE_", absl::GetFlag(FLAGS_device), gavel::v1::Device_descriptor)));
  shopper->set_country(absl::GetFlag(FLAGS_country));
  shopper->set_time_zone(absl::GetFlag(FLAGS_time_zone));
  if (const std::string hour = absl::GetFlag(FLAGS_local_hour); !hour.empty()) {
    int32_t h;
    if (!absl::SimpleAtoi(hour, &h)) {
      std::fprintf(stderr, "--local_hour must be an integer, got \"%s\"\n", hour.c_str());
      return 2;
    }
    shopper->set_local_hour(h);  // the server checks the range
  }
  if (!absl::GetFlag(FLAGS_mechanism).empty()) {
    req.mutable_options()->set_mechanism(static_cast<gavel::v1::Mechanism>(
        ParseEnum("MECHANISM_", absl::GetFlag(FLAGS_mechanism), gavel::v1::Mechanism_descriptor)));
  }
  req.mutable_options()->set_explain(absl::GetFlag(FLAGS_explain));
  req.mutable_options()->set_dry_run(absl::GetFlag(FLAGS_dry_run));
  if (!absl::GetFlag(FLAGS_seed).empty()) {
    uint64_t seed = 0;
    if (!absl::SimpleAtoi(absl::GetFlag(FLAGS_seed), &seed)) {
      std::fprintf(stderr, "error: --seed must be an unsigned 64-bit integer, got %s\n",
                   absl::GetFlag(FLAGS_seed).c_str());
      return 2;
    }
    // The server takes a seed on dry runs only: a replay issues no tokens and spends nothing.
    req.mutable_options()->set_dry_run(true);
    req.mutable_options()->set_tie_break_seed(seed);
  }
  gavel::v1::RunAuctionResponse resp;
  auto ctx = Context(false);
  grpc::Status status = stub->RunAuction(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << Json(resp) << "\n";
    return 0;
  }
  std::printf("auction %s  mechanism %s  catalog v%lld  seed %llu%s  %d winner(s)\n",
              resp.auction_id().c_str(), gavel::v1::Mechanism_Name(resp.mechanism()).c_str(),
              static_cast<long long>(resp.catalog_version()),
              static_cast<unsigned long long>(resp.tie_break_seed()),
              req.options().dry_run() ? " (dry run)" : "", resp.winners_size());
  std::printf("%-4s %-22s %-18s %-34s %12s %12s %8s %7s\n", "slot", "ad", "campaign", "matched",
              "bid", "cpc", "quality", "pctr");
  for (const auto& w : resp.winners()) {
    std::printf("%-4d %-22s %-18s %-34s %12s %12s %8.4f %7.4f\n", w.slot(), w.ad_id().c_str(),
                w.campaign_id().c_str(), MatchedText(w.matched_target()).c_str(),
                Money(w.bid_micros()).c_str(), Money(w.cpc_micros()).c_str(), w.quality(),
                w.predicted_ctr());
  }
  for (const auto& w : resp.winners()) {
    std::printf("slot %d click token: %s\n", w.slot(), w.click_token().c_str());
  }
  if (resp.explanations_size() > 0) {
    std::printf("\n%-22s %-34s %12s %6s %7s %8s %10s  %s\n", "candidate", "matched", "bid", "rel",
                "pctr", "quality", "outcome", "detail");
    for (const auto& e : resp.explanations()) {
      std::string outcome =
          e.slot() > 0
              ? absl::StrCat("slot ", e.slot())
              : absl::AsciiStrToLower(gavel::v1::LossReason_Name(e.loss_reason()).substr(12));
      std::printf("%-22s %-34s %12s %6.3f %7.4f %8.4f %10s  %s\n", e.ad_id().c_str(),
                  MatchedText(e.matched_target()).c_str(), Money(e.bid_micros()).c_str(),
                  e.relevance(), e.predicted_ctr(), e.quality(), outcome.c_str(),
                  e.detail().c_str());
    }
  }
  return 0;
}

int ReportEvent(const std::shared_ptr<grpc::Channel>& channel, gavel::v1::EventType type,
                const std::string& token) {
  auto stub = EventService::NewStub(channel);
  gavel::v1::ReportEventsRequest req;
  auto* e = req.add_events();
  std::string id = absl::GetFlag(FLAGS_event_id);
  if (id.empty()) id = absl::StrCat("cli-", absl::ToUnixMicros(absl::Now()));
  e->set_client_event_id(id);
  e->set_type(type);
  e->set_token(token);
  e->set_event_time_unix_micros(absl::ToUnixMicros(absl::Now()));
  gavel::v1::ReportEventsResponse resp;
  auto ctx = Context(false);
  grpc::Status status = stub->ReportEvents(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << Json(resp) << "\n";
    return 0;
  }
  for (const auto& r : resp.results()) {
    std::printf("%s: %s", r.client_event_id().c_str(),
                gavel::v1::EventOutcome_Name(r.outcome()).c_str());
    if (r.outcome() == gavel::v1::EVENT_OUTCOME_CHARGED) {
      std::printf(" %s", Money(r.charged_micros()).c_str());
    }
    if (r.outcome() == gavel::v1::EVENT_OUTCOME_INVALID) {
      std::printf(" (%s)", gavel::v1::InvalidReason_Name(r.invalid_reason()).c_str());
    }
    if (!r.detail().empty()) std::printf(" %s", r.detail().c_str());
    std::printf("\n");
  }
  return 0;
}

template <typename Resp, typename Fn>
int List(Fn call, const char* what) {
  gavel::v1::ListRequest req;
  req.set_parent_id(absl::GetFlag(FLAGS_parent));
  req.set_page_size(1000);
  while (true) {
    Resp resp;
    auto ctx = Context(true);
    grpc::Status status = call(ctx.get(), req, &resp);
    if (!status.ok()) return Fail(status);
    std::cout << Json(resp) << "\n";
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  (void)what;
  return 0;
}

int ListCampaigns(CampaignService::Stub* stub) {
  gavel::v1::ListRequest req;
  req.set_parent_id(absl::GetFlag(FLAGS_parent));
  req.set_page_size(1000);
  if (absl::GetFlag(FLAGS_json)) {
    return List<gavel::v1::ListCampaignsResponse>(
        [&](grpc::ClientContext* c, const gavel::v1::ListRequest& r,
            gavel::v1::ListCampaignsResponse* o) { return stub->ListCampaigns(c, r, o); },
        "campaigns");
  }
  std::printf("%-22s %-14s %-8s %14s %-30s %-20s\n", "campaign", "advertiser", "state",
              "daily budget", "policy", "time zone");
  while (true) {
    gavel::v1::ListCampaignsResponse resp;
    auto ctx = Context(true);
    grpc::Status status = stub->ListCampaigns(ctx.get(), req, &resp);
    if (!status.ok()) return Fail(status);
    for (const auto& c : resp.campaigns()) {
      std::printf("%-22s %-14s %-8s %14s %-30s %-20s\n", c.id().c_str(), c.advertiser_id().c_str(),
                  absl::AsciiStrToLower(gavel::v1::EntityState_Name(c.state()).substr(13)).c_str(),
                  Money(c.daily_budget_micros()).c_str(),
                  gavel::v1::BudgetPolicy_Name(c.budget_policy()).c_str(), c.time_zone().c_str());
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  return 0;
}

int Stats(CampaignService::Stub* stub, const std::string& campaign) {
  gavel::v1::GetCampaignStatsRequest req;
  req.set_campaign_id(campaign);
  req.set_start_date(absl::GetFlag(FLAGS_from));
  req.set_end_date(absl::GetFlag(FLAGS_to));
  gavel::v1::GetCampaignStatsResponse resp;
  auto ctx = Context(true);
  grpc::Status status = stub->GetCampaignStats(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << Json(resp) << "\n";
    return 0;
  }
  std::printf("%-10s %11s %8s %8s %8s %14s %7s %12s\n", "date", "impressions", "clicks", "invalid",
              "no-budg", "spend", "ctr", "avg cpc");
  auto row = [](const gavel::v1::DailyStats& d) {
    std::printf("%-10s %11lld %8lld %8lld %8lld %14s %6.2f%% %12s\n", d.date().c_str(),
                static_cast<long long>(d.impressions()), static_cast<long long>(d.clicks()),
                static_cast<long long>(d.invalid_clicks()),
                static_cast<long long>(d.budget_exhausted_clicks()),
                Money(d.spend_micros()).c_str(), 100 * d.ctr(),
                Money(d.average_cpc_micros()).c_str());
  };
  for (const auto& d : resp.days()) {
    if (d.impressions() || d.clicks() || d.invalid_clicks() || d.budget_exhausted_clicks()) row(d);
  }
  gavel::v1::DailyStats total = resp.total();
  total.set_date("total");
  row(total);
  return 0;
}

gavel::v1::EntityKind ParseKind(const std::string& kind) {
  std::string k = absl::AsciiStrToLower(kind);
  if (k == "advertiser") return gavel::v1::ENTITY_KIND_ADVERTISER;
  if (k == "campaign") return gavel::v1::ENTITY_KIND_CAMPAIGN;
  if (k == "adgroup" || k == "ad_group") return gavel::v1::ENTITY_KIND_AD_GROUP;
  if (k == "productad" || k == "product_ad") return gavel::v1::ENTITY_KIND_PRODUCT_AD;
  if (k == "target") return gavel::v1::ENTITY_KIND_TARGET;
  std::fprintf(stderr, "error: unknown kind %s (advertiser|campaign|adgroup|productad|target)\n",
               kind.c_str());
  std::exit(2);
}

bool ParseJson(const std::string& json, google::protobuf::Message* m) {
  auto status = google::protobuf::util::JsonStringToMessage(json, m);
  if (!status.ok()) {
    std::fprintf(stderr, "error: bad %s JSON: %s\n", m->GetDescriptor()->name().c_str(),
                 status.ToString().c_str());
    return false;
  }
  return true;
}

template <typename Req, typename Resp, typename Entity>
int CreateOrUpdate(Entity* (Req::*mutable_entity)(), const std::string& json,
                   const std::string& mask,
                   grpc::Status (CampaignService::Stub::*rpc)(grpc::ClientContext*, const Req&,
                                                              Resp*),
                   CampaignService::Stub* stub) {
  Req req;
  if (!ParseJson(json, (req.*mutable_entity)())) return 2;
  if constexpr (!std::is_same_v<Req, gavel::v1::CreateAdvertiserRequest> &&
                !std::is_same_v<Req, gavel::v1::CreateCampaignRequest> &&
                !std::is_same_v<Req, gavel::v1::CreateAdGroupRequest> &&
                !std::is_same_v<Req, gavel::v1::CreateProductAdRequest> &&
                !std::is_same_v<Req, gavel::v1::CreateTargetRequest>) {
    for (const auto& f : SplitList(mask)) req.add_update_mask(f);
  }
  Resp resp;
  auto ctx = Context(true);
  grpc::Status status = (stub->*rpc)(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  std::cout << Json(resp) << "\n";
  return 0;
}

int Create(CampaignService::Stub* stub, const std::string& kind, const std::string& json) {
  using namespace gavel::v1;  // NOLINT: many message names below.
  switch (ParseKind(kind)) {
    case ENTITY_KIND_ADVERTISER:
      return CreateOrUpdate(&CreateAdvertiserRequest::mutable_advertiser, json, "",
                            &CampaignService::Stub::CreateAdvertiser, stub);
    case ENTITY_KIND_CAMPAIGN:
      return CreateOrUpdate(&CreateCampaignRequest::mutable_campaign, json, "",
                            &CampaignService::Stub::CreateCampaign, stub);
    case ENTITY_KIND_AD_GROUP:
      return CreateOrUpdate(&CreateAdGroupRequest::mutable_ad_group, json, "",
                            &CampaignService::Stub::CreateAdGroup, stub);
    case ENTITY_KIND_PRODUCT_AD:
      return CreateOrUpdate(&CreateProductAdRequest::mutable_product_ad, json, "",
                            &CampaignService::Stub::CreateProductAd, stub);
    case ENTITY_KIND_TARGET:
      return CreateOrUpdate(&CreateTargetRequest::mutable_target, json, "",
                            &CampaignService::Stub::CreateTarget, stub);
    default:
      return 2;
  }
}

int Update(CampaignService::Stub* stub, const std::string& kind, const std::string& json,
           const std::string& mask) {
  using namespace gavel::v1;  // NOLINT: many message names below.
  switch (ParseKind(kind)) {
    case ENTITY_KIND_ADVERTISER:
      return CreateOrUpdate(&UpdateAdvertiserRequest::mutable_advertiser, json, mask,
                            &CampaignService::Stub::UpdateAdvertiser, stub);
    case ENTITY_KIND_CAMPAIGN:
      return CreateOrUpdate(&UpdateCampaignRequest::mutable_campaign, json, mask,
                            &CampaignService::Stub::UpdateCampaign, stub);
    case ENTITY_KIND_AD_GROUP:
      return CreateOrUpdate(&UpdateAdGroupRequest::mutable_ad_group, json, mask,
                            &CampaignService::Stub::UpdateAdGroup, stub);
    case ENTITY_KIND_TARGET:
      return CreateOrUpdate(&UpdateTargetRequest::mutable_target, json, mask,
                            &CampaignService::Stub::UpdateTarget, stub);
    default:
      std::fprintf(stderr, "error: product ads cannot be updated; archive and create instead\n");
      return 2;
  }
}

int SetState(CampaignService::Stub* stub, const std::string& kind, const std::string& id,
             gavel::v1::EntityState state) {
  gavel::v1::SetStateRequest req;
  req.set_kind(ParseKind(kind));
  req.set_id(id);
  req.set_state(state);
  gavel::v1::SetStateResponse resp;
  auto ctx = Context(true);
  grpc::Status status = stub->SetState(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  std::printf("%s %s is now %s (catalog v%lld)\n", kind.c_str(), id.c_str(),
              gavel::v1::EntityState_Name(resp.state()).c_str(),
              static_cast<long long>(resp.catalog_version()));
  return 0;
}

int AuctionRules(CampaignService::Stub* stub, const std::vector<char*>& args) {
  const std::string sub = args.size() > 2 ? args[2] : "get";
  if (sub == "get") {
    gavel::v1::GetAuctionRulesResponse resp;
    auto ctx = Context(true);
    grpc::Status status =
        stub->GetAuctionRules(ctx.get(), gavel::v1::GetAuctionRulesRequest(), &resp);
    if (!status.ok()) return Fail(status);
    std::cout << Json(resp) << "\n";
    return 0;
  }
  if (sub != "update" || args.size() < 4) {
    std::fprintf(stderr, "error: usage: rules [get] | rules update JSON [MASK]\n");
    return 2;
  }
  gavel::v1::UpdateAuctionRulesRequest req;
  if (!ParseJson(args[3], req.mutable_auction_rules())) return 2;
  if (args.size() > 4) {
    for (const auto& f : SplitList(args[4])) req.add_update_mask(f);
  }
  gavel::v1::UpdateAuctionRulesResponse resp;
  auto ctx = Context(true);
  grpc::Status status = stub->UpdateAuctionRules(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  std::cout << Json(resp) << "\n";
  return 0;
}

int Health(const std::shared_ptr<grpc::Channel>& channel) {
  // grpc.health.v1.Health/Check with an empty service name, over the generic stub, so the CLI
  // needs no copy of health.proto.
  grpc::GenericStub stub(channel);
  auto ctx = Context(false);
  grpc::ByteBuffer request;  // An empty HealthCheckRequest serializes to zero bytes.
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(ctx.get(), "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  if (!status.ok()) return Fail(status);
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse { ServingStatus status = 1; }: SERVING = 1 encodes as 08 01.
  const bool serving = bytes.size() == 2 && bytes[0] == 0x08 && bytes[1] == 0x01;
  std::printf("%s\n", serving ? "SERVING" : "NOT_SERVING");
  return serving ? 0 : 1;
}

}  // namespace

std::string Ratio(bool set, double v) { return set ? absl::StrFormat("%.6f", v) : ""; }

// A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  return absl::StrCat("\"", absl::StrReplaceAll(v, {{"\"", "\"\""}}), "\"");
}

// CSV: money in micros, ratios with 6 decimals, an unset ACOS or ROAS as an empty cell. Without a
// dimension: every day of the range, then the total. With one (`key_column` names it): a row per
// (day, key), then per key its total (date "total"), then the campaign's total (empty key).
void SalesCsv(const gavel::v1::GetSalesReportResponse& resp, const std::string& key_column) {
  const bool by = !key_column.empty();
  std::printf(
      "date,%simpressions,clicks,spend_micros,orders,same_product_sales_micros,halo_sales_micros,"
      "sales_micros,acos,roas,ctr,cvr,average_cpc_micros\n",
      by ? (key_column + ",").c_str() : "");
  auto row = [by](const std::string& date, const std::string& key,
                  const gavel::v1::SalesReportRow& r) {
    std::printf("%s,%s%lld,%lld,%lld,%lld,%lld,%lld,%lld,%s,%s,%.6f,%.6f,%lld\n", date.c_str(),
                by ? (CsvField(key) + ",").c_str() : "",
                static_cast<long long>(r.impressions()), static_cast<long long>(r.clicks()),
                static_cast<long long>(r.spend_micros()), static_cast<long long>(r.orders()),
                static_cast<long long>(r.same_product_sales_micros()),
                static_cast<long long>(r.halo_sales_micros()),
                static_cast<long long>(r.sales_micros()), Ratio(r.has_acos(), r.acos()).c_str(),
                Ratio(r.has_roas(), r.roas()).c_str(), r.ctr(), r.cvr(),
                static_cast<long long>(r.average_cpc_micros()));
  };
  if (by) {
    for (const auto& d : resp.rows()) row(d.date(), d.dimension_key(), d);
    for (const auto& d : resp.key_totals()) row("total", d.dimension_key(), d);
  } else {
    for (const auto& d : resp.days()) row(d.date(), "", d);
  }
  row("total", "", resp.total());
}

int Sales(CampaignService::Stub* stub, const std::string& campaign) {
  gavel::v1::GetSalesReportRequest req;
  req.set_campaign_id(campaign);
  req.set_start_date(absl::GetFlag(FLAGS_from));
  req.set_end_date(absl::GetFlag(FLAGS_to));
  req.set_attribution_window_days(absl::GetFlag(FLAGS_window));
  const std::string by = absl::GetFlag(FLAGS_by);
  if (by == "ad_group") {
    req.set_dimension(gavel::v1::SALES_REPORT_DIMENSION_AD_GROUP);
  } else if (by == "target") {
    req.set_dimension(gavel::v1::SALES_REPORT_DIMENSION_TARGET);
  } else if (by == "placement") {
    req.set_dimension(gavel::v1::SALES_REPORT_DIMENSION_PLACEMENT);
  } else if (by == "search_term") {
    req.set_dimension(gavel::v1::SALES_REPORT_DIMENSION_SEARCH_TERM);
  } else if (!by.empty() && by != "campaign") {
    std::fprintf(stderr,
                 "--by must be ad_group, target, placement or search_term, got \"%s\"\n",
                 by.c_str());
    return 2;
  }
  const std::string key_column = by == "campaign" ? "" : by;
  gavel::v1::GetSalesReportResponse resp;
  auto ctx = Context(true);
  grpc::Status status = stub->GetSalesReport(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << Json(resp) << "\n";
    return 0;
  }
  if (absl::GetFlag(FLAGS_csv)) {
    SalesCsv(resp, key_column);
    return 0;
  }
  const bool by_key = !key_column.empty();
  std::printf("%-10s %s%11s %7s %12s %6s %12s %12s %8s %7s %7s %6s\n", "date",
              by_key ? absl::StrFormat("%-24s ", key_column).c_str() : "", "impressions",
              "clicks", "spend", "orders", "sales", "halo", "acos", "roas", "ctr", "cvr");
  auto row = [by_key](const std::string& date, const std::string& key,
                      const gavel::v1::SalesReportRow& r) {
    std::printf("%-10s %s%11lld %7lld %12s %6lld %12s %12s %8s %7s %6.2f%% %5.2f%%\n",
                date.c_str(), by_key ? absl::StrFormat("%-24s ", key).c_str() : "",
                static_cast<long long>(r.impressions()), static_cast<long long>(r.clicks()),
                Money(r.spend_micros()).c_str(), static_cast<long long>(r.orders()),
                Money(r.same_product_sales_micros()).c_str(),
                Money(r.halo_sales_micros()).c_str(),
                r.has_acos() ? absl::StrFormat("%.2f%%", 100 * r.acos()).c_str() : "-",
                r.has_roas() ? absl::StrFormat("%.2f", r.roas()).c_str() : "-", 100 * r.ctr(),
                100 * r.cvr());
  };
  if (by_key) {
    for (const auto& d : resp.rows()) row(d.date(), d.dimension_key(), d);
    for (const auto& d : resp.key_totals()) row("total", d.dimension_key(), d);
  } else {
    for (const auto& d : resp.days()) {
      if (d.impressions() || d.clicks() || d.sales_micros() || d.orders()) row(d.date(), "", d);
    }
  }
  row("total", "", resp.total());
  std::printf("attribution window: %d days\n", resp.attribution_window_days());
  return 0;
}

// An optional money cell: micros, or empty when unset.
std::string OptionalMicros(bool set, int64_t micros) { return set ? absl::StrCat(micros) : ""; }

std::string TargetText(const gavel::v1::BidSuggestion& s) {
  if (s.has_keyword()) {
    return absl::StrCat(s.keyword().text(), " (",
                        gavel::v1::MatchType_Name(s.keyword().match_type()), ")");
  }
  if (!s.product_id().empty()) return absl::StrCat("product ", s.product_id());
  return absl::StrCat("category ", s.category_id());
}

// CSV: money in micros; low/median/high and the slot minimums empty when there are too few
// observations; a slot minimum of 0 means not attainable.
int SuggestBids(CampaignService::Stub* stub, const std::string& campaign) {
  gavel::v1::GetBidSuggestionsRequest req;
  req.set_campaign_id(campaign);
  for (absl::string_view t : absl::StrSplit(absl::GetFlag(FLAGS_targets), ',', absl::SkipEmpty())) {
    req.add_target_ids(std::string(t));
  }
  gavel::v1::GetBidSuggestionsResponse resp;
  auto ctx = Context(true);
  grpc::Status status = stub->GetBidSuggestions(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << Json(resp) << "\n";
    return 0;
  }
  const bool csv = absl::GetFlag(FLAGS_csv);
  if (csv) {
    std::printf(
        "target_id,target,current_bid_micros,auctions,wins,low_micros,median_micros,high_micros,"
        "min_bid_slot1_micros,min_bid_slot2_micros,min_bid_slot3_micros\n");
  } else {
    std::printf("%-16s %-28s %10s %8s %6s %10s %10s %10s %10s %10s %10s\n", "target", "names",
                "bid", "auctions", "wins", "low", "median", "high", "slot1", "slot2", "slot3");
  }
  for (const gavel::v1::BidSuggestion& s : resp.suggestions()) {
    const bool mins = s.min_bid_to_win_slot_micros_size() == 3;
    auto slot = [&](int i) {
      if (!mins) return std::string(csv ? "" : "-");
      const int64_t m = s.min_bid_to_win_slot_micros(i);
      return csv ? absl::StrCat(m) : (m == 0 ? std::string("n/a") : Money(m));
    };
    auto money = [&](bool set, int64_t v) {
      return csv ? OptionalMicros(set, v) : (set ? Money(v) : std::string("-"));
    };
    if (csv) {
      std::string text = TargetText(s);
      absl::StrReplaceAll({{"\"", "\"\""}}, &text);
      std::printf("%s,\"%s\",%lld,%d,%d,%s,%s,%s,%s,%s,%s\n", s.target_id().c_str(), text.c_str(),
                  static_cast<long long>(s.current_bid_micros()), s.auctions(), s.wins(),
                  money(s.has_low_micros(), s.low_micros()).c_str(),
                  money(s.has_median_micros(), s.median_micros()).c_str(),
                  money(s.has_high_micros(), s.high_micros()).c_str(), slot(0).c_str(),
                  slot(1).c_str(), slot(2).c_str());
    } else {
      std::printf("%-16s %-28s %10s %8d %6d %10s %10s %10s %10s %10s %10s\n", s.target_id().c_str(),
                  TargetText(s).c_str(), Money(s.current_bid_micros()).c_str(), s.auctions(),
                  s.wins(), money(s.has_low_micros(), s.low_micros()).c_str(),
                  money(s.has_median_micros(), s.median_micros()).c_str(),
                  money(s.has_high_micros(), s.high_micros()).c_str(), slot(0).c_str(),
                  slot(1).c_str(), slot(2).c_str());
    }
  }
  if (!csv) {
    std::printf(
        "p25/p50/p75 of winning CPCs over the last %d days (1 in %d auctions sampled), clamped to "
        "[%s, %s]; none below %d observations\n",
        resp.window_days(), resp.sample_every(), Money(resp.floor_micros()).c_str(),
        Money(resp.cap_micros()).c_str(), resp.min_observations());
  }
  return 0;
}

// CSV: one row per day, oldest first; money in micros, the share with 6 decimals.
int SuggestBudget(CampaignService::Stub* stub, const std::string& campaign) {
  gavel::v1::GetBudgetSuggestionRequest req;
  req.set_campaign_id(campaign);
  req.set_days(absl::GetFlag(FLAGS_days));
  gavel::v1::GetBudgetSuggestionResponse resp;
  auto ctx = Context(true);
  grpc::Status status = stub->GetBudgetSuggestion(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << Json(resp) << "\n";
    return 0;
  }
  if (absl::GetFlag(FLAGS_csv)) {
    std::printf(
        "date,spend_micros,clicks,in_budget_auctions,out_of_budget_auctions,out_of_budget_at,"
        "in_budget_share,estimated_missed_clicks,suggested_budget_micros\n");
    for (const auto& d : resp.days()) {
      std::printf("%s,%lld,%lld,%lld,%lld,%s,%.6f,%lld,%lld\n", d.date().c_str(),
                  static_cast<long long>(d.spend_micros()), static_cast<long long>(d.clicks()),
                  static_cast<long long>(d.in_budget_auctions()),
                  static_cast<long long>(d.out_of_budget_auctions()), d.out_of_budget_at().c_str(),
                  d.in_budget_share(), static_cast<long long>(d.estimated_missed_clicks()),
                  static_cast<long long>(d.suggested_budget_micros()));
    }
    return 0;
  }
  std::printf("%-10s %12s %7s %9s %9s %-25s %9s %7s %12s\n", "date", "spend", "clicks", "in", "out",
              "out of budget at", "in budget", "missed", "suggested");
  for (const auto& d : resp.days()) {
    std::printf(
        "%-10s %12s %7lld %9lld %9lld %-25s %8.1f%% %7lld %12s\n", d.date().c_str(),
        Money(d.spend_micros()).c_str(), static_cast<long long>(d.clicks()),
        static_cast<long long>(d.in_budget_auctions()),
        static_cast<long long>(d.out_of_budget_auctions()),
        d.out_of_budget_at().empty() ? "-" : d.out_of_budget_at().c_str(),
        100 * d.in_budget_share(), static_cast<long long>(d.estimated_missed_clicks()),
        d.suggested_budget_micros() == 0 ? "-" : Money(d.suggested_budget_micros()).c_str());
  }
  std::printf("daily budget %s; suggested %s\n", Money(resp.daily_budget_micros()).c_str(),
              Money(resp.suggested_budget_micros()).c_str());
  return 0;
}

int ReportPurchases(const std::shared_ptr<grpc::Channel>& channel, const std::string& json) {
  gavel::v1::ReportPurchasesRequest req;
  if (!ParseJson(json, &req)) return 2;
  gavel::v1::ReportPurchasesResponse resp;
  auto ctx = Context(false);
  grpc::Status status = EventService::NewStub(channel)->ReportPurchases(ctx.get(), req, &resp);
  if (!status.ok()) return Fail(status);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << Json(resp) << "\n";
    return 0;
  }
  for (const auto& r : resp.results()) {
    std::printf("%s line %d: %s\n", r.order_id().c_str(), r.line(),
                gavel::v1::PurchaseOutcome_Name(r.outcome()).c_str());
  }
  return 0;
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  gavel::ListOwnFlagsInHelp();
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2 || std::string(args[1]) == "help") {
    std::fputs(kUsage, stdout);
    return args.size() < 2 ? 2 : 0;
  }
  const std::string cmd = args[1];
  auto arg = [&](size_t i) -> std::string {
    if (i >= args.size()) {
      std::fprintf(stderr, "error: %s needs more arguments\n\n%s", cmd.c_str(), kUsage);
      std::exit(2);
    }
    return args[i];
  };

  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!absl::GetFlag(FLAGS_tls_ca).empty()) {
    std::ifstream in(absl::GetFlag(FLAGS_tls_ca));
    std::stringstream ss;
    ss << in.rdbuf();
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = ss.str();
    creds = grpc::SslCredentials(opts);
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> created =
      gavel::CreateClientChannel(absl::GetFlag(FLAGS_server), creds);
  if (!created.ok()) {
    std::fprintf(stderr, "error: --server: %s\n", std::string(created.status().message()).c_str());
    return 2;
  }
  std::shared_ptr<grpc::Channel> channel = *std::move(created);
  auto admin = CampaignService::NewStub(channel);

  if (cmd == "auction") return RunAuction(channel, arg(2));
  if (cmd == "click") return ReportEvent(channel, gavel::v1::EVENT_TYPE_CLICK, arg(2));
  if (cmd == "impression") return ReportEvent(channel, gavel::v1::EVENT_TYPE_IMPRESSION, arg(2));
  if (cmd == "health") return Health(channel);
  if (cmd == "purchase") return ReportPurchases(channel, arg(2));
  if (cmd == "campaigns") return ListCampaigns(admin.get());
  auto stub = admin.get();
  if (cmd == "advertisers") {
    return List<gavel::v1::ListAdvertisersResponse>(
        [&](auto* c, const auto& r, auto* o) { return stub->ListAdvertisers(c, r, o); },
        cmd.c_str());
  }
  if (cmd == "adgroups") {
    return List<gavel::v1::ListAdGroupsResponse>(
        [&](auto* c, const auto& r, auto* o) { return stub->ListAdGroups(c, r, o); }, cmd.c_str());
  }
  if (cmd == "productads") {
    return List<gavel::v1::ListProductAdsResponse>(
        [&](auto* c, const auto& r, auto* o) { return stub->ListProductAds(c, r, o); },
        cmd.c_str());
  }
  if (cmd == "targets") {
    return List<gavel::v1::ListTargetsResponse>(
        [&](auto* c, const auto& r, auto* o) { return stub->ListTargets(c, r, o); }, cmd.c_str());
  }
  if (cmd == "create") return Create(stub, arg(2), arg(3));
  if (cmd == "update") return Update(stub, arg(2), arg(3), args.size() > 4 ? args[4] : "");
  if (cmd == "pause") return SetState(stub, arg(2), arg(3), gavel::v1::ENTITY_STATE_PAUSED);
  if (cmd == "enable") return SetState(stub, arg(2), arg(3), gavel::v1::ENTITY_STATE_ENABLED);
  if (cmd == "archive") return SetState(stub, arg(2), arg(3), gavel::v1::ENTITY_STATE_ARCHIVED);
  if (cmd == "stats") return Stats(stub, arg(2));
  if (cmd == "sales") return Sales(stub, arg(2));
  if (cmd == "suggest-bids") return SuggestBids(stub, arg(2));
  if (cmd == "suggest-budget") return SuggestBudget(stub, arg(2));
  if (cmd == "rules") return AuctionRules(stub, args);
  if (cmd == "reload") {
    gavel::v1::ReloadCatalogResponse resp;
    auto ctx = Context(true);
    grpc::Status status = stub->ReloadCatalog(ctx.get(), gavel::v1::ReloadCatalogRequest(), &resp);
    if (!status.ok()) return Fail(status);
    std::printf("catalog v%lld loaded, %lld ads\n", static_cast<long long>(resp.catalog_version()),
                static_cast<long long>(resp.ads()));
    return 0;
  }
  std::fprintf(stderr, "error: unknown command %s\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
