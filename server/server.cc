#include "server/server.h"

#include <malloc.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "auth/clients.h"
#include "billing/billing.h"
#include "billing/ledger_fs.h"
#include "billing/postgres_store.h"
#include "billing/token.h"
#include "common/clock.h"
#include "convert/catalog_convert.h"
#include "convert/limits.h"
#include "convert/proto_convert.h"
#include "engine/billing_gate.h"
#include "engine/engine.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "learning/training_log.h"
#include "metrics/gavel_metrics.h"
#include "metrics/ops_page.h"
#include "metrics/registry.h"
#include "metrics/request_log.h"
#include "server/auction_service.h"
#include "server/caller_auth.h"
#include "server/campaign_service.h"
#include "server/event_service.h"
#include "server/http_endpoint.h"
#include "server/parse_errors.h"
#include "server/suggestions.h"
#include "server/training_logger.h"
#include "store/catalog_file.h"
#include "store/catalog_store.h"
#include "store/pg_catalog.h"
#include "suggest/landscape.h"
#include "targeting/ctr_model.h"

namespace gavel::server {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " ", path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Whether an advertiser has a product ad (in any state) for a product in `catalog`: what makes a
// purchase of another product a halo sale (billing/attribution.h). The (advertiser, product)
// pairs are collected on the first question, in one pass over the ads, and only for that report.
billing::AdvertisesFn AdvertisesIn(std::shared_ptr<const targeting::CatalogSnapshot> catalog) {
  using Pairs = absl::flat_hash_set<std::pair<absl::string_view, absl::string_view>>;
  auto pairs = std::make_shared<std::optional<Pairs>>();
  return [catalog, pairs](absl::string_view advertiser, absl::string_view product) {
    if (!pairs->has_value()) {
      pairs->emplace();
      for (int32_t ad = 0; ad < catalog->ad_count(); ++ad) {
        (*pairs)->emplace(catalog->advertiser_id(ad), catalog->product_id(ad));
      }
    }
    return (*pairs)->contains(std::make_pair(advertiser, product));
  };
}

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& field, const std::string& value) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(value, &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be YYYY-MM-DD, got \"", value, "\""));
  }
  return day;
}

// The windows billing keeps dedupe state for. Each must be positive and finite, and an event id
// must be remembered at least as long as its token verifies: otherwise a client's retry within the
// token's lifetime would find its event id forgotten and its token used, and be written to the
// ledger again as a token replay (for a click, counted as an invalid click) instead of answered
// DUPLICATE (docs/billing.md, "Events and idempotency").
absl::Status ValidateWindows(const billing::TokenOptions& tokens,
                             const billing::EventRules& rules) {
  const std::pair<const char*, absl::Duration> windows[] = {
      {"--click_token_ttl", tokens.ttl},
      {"--impression_token_ttl", tokens.impression_ttl},
      {"--event_id_retention", rules.event_id_retention},
      {"--impression_event_id_retention", rules.impression_event_id_retention},
      {"--repeat_click_window", rules.repeat_click_window},
  };
  for (const auto& [flag, d] : windows) {
    if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, " must be positive and finite, got ", absl::FormatDuration(d)));
    }
  }
  if (rules.event_id_retention < tokens.ttl) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--event_id_retention must be >= --click_token_ttl, got ",
        absl::FormatDuration(rules.event_id_retention), " < ", absl::FormatDuration(tokens.ttl)));
  }
  if (rules.impression_event_id_retention < tokens.impression_ttl) {
    return absl::InvalidArgumentError(
        absl::StrCat("--impression_event_id_retention must be >= --impression_token_ttl, got ",
                     absl::FormatDuration(rules.impression_event_id_retention), " < ",
                     absl::FormatDuration(tokens.impression_ttl)));
  }
  return absl::OkStatus();
}

}  // namespace

struct GavelServer::State {
  ServerConfig config;
  gavel::RealClock clock;
  // With metrics_listen: declared first, so they outlive every service that records into them.
  std::unique_ptr<metrics::Registry> registry;
  std::unique_ptr<metrics::GavelMetrics> metrics;
  metrics::RecentWindow recent;
  std::unique_ptr<metrics::RequestLog> request_log;
  std::atomic<int64_t> published_unix_nanos{0};  // when the serving snapshot was swapped in
  std::shared_ptr<const billing::Keyring> keyring;
  // The click model new snapshots are built with; replaced by ReloadModel.
  Mutex model_mu;
  std::shared_ptr<const targeting::CtrModel> model ABSL_GUARDED_BY(model_mu);
  std::shared_ptr<const targeting::CtrModel> Model() {
    MutexLock lock(&model_mu);
    return model;
  }
  void SetModel(std::shared_ptr<const targeting::CtrModel> m) {
    MutexLock lock(&model_mu);
    model = std::move(m);
  }
  std::unique_ptr<billing::Billing> billing;
  std::unique_ptr<engine::BillingGate> gate;
  // The bid landscape the engine samples into; declared before `engine`, so it outlives it.
  std::unique_ptr<suggest::LandscapeRecorder> landscape;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<store::CatalogStore> store;
  // With --store: the catalog replicas share. Declared after `store`, so it stops following (its
  // thread adopts into `store`) before `store` goes.
  std::unique_ptr<store::PostgresCatalog> shared_catalog;
  std::unique_ptr<CallerAuth> callers;
  // With --training_log_dir. Declared before the services that use them, so it goes after them.
  std::unique_ptr<learning::TrainingLog> training_log;
  std::unique_ptr<TrainingLogger> training_logger;
  std::unique_ptr<AdminAuth> auth;
  std::unique_ptr<AuctionServiceImpl> auction_service;
  std::unique_ptr<EventServiceImpl> event_service;
  std::unique_ptr<Suggestions> suggestions;
  std::unique_ptr<CampaignServiceImpl> campaign_service;
  std::unique_ptr<grpc::Server> server;
  std::string address;
  std::unique_ptr<HttpEndpoint> http;  // stopped first: its handlers read the members above
  Mutex health_mu;
  CondVar health_cv;
  bool stopping ABSL_GUARDED_BY(health_mu) = false;
  std::thread health_thread;

  ~State() {
    StopHealth();
    ReportTrainingLog();
  }

  // On stderr at exit: what the training log wrote and dropped (docs/learning.md).
  void ReportTrainingLog() {
    if (training_log == nullptr) return;
    training_log->Flush();
    const learning::TrainingLogStats stats = training_log->stats();
    std::fprintf(stderr,
                 "gavel_server: training log: %lld records written to %lld files, %lld dropped%s%s\n",
                 static_cast<long long>(stats.written), static_cast<long long>(stats.files),
                 static_cast<long long>(stats.dropped), stats.error.empty() ? "" : "; ",
                 stats.error.c_str());
  }

  // Keeps gRPC health for "gavel.v1.EventService" in step with the event store: NOT_SERVING while
  // its spend view is older than kStoreHealthy (a PostgreSQL store it cannot reach: events would
  // be answered UNAVAILABLE), SERVING otherwise. The embedded store is always SERVING.
  void WatchHealth() {
    grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
    if (health == nullptr) return;
    MutexLock lock(&health_mu);
    absl::Time sampled = absl::InfinitePast();
    while (!stopping) {
      health->SetServingStatus(kEventServiceName,
                               clock.Now() - billing->spend_view_at() <= kStoreHealthy);
      // The ad-operations page's last minute is measured from these samples.
      if (metrics != nullptr && clock.Now() - sampled >= kSampleEvery) {
        sampled = clock.Now();
        recent.Sample(sampled, *metrics);
      }
      health_cv.WaitWithTimeout(&health_mu, absl::Milliseconds(500));
    }
  }
  void StopHealth() {
    {
      MutexLock lock(&health_mu);
      stopping = true;
      health_cv.SignalAll();
    }
    if (health_thread.joinable()) health_thread.join();
  }
  static constexpr char kEventServiceName[] = "gavel.v1.EventService";
  static constexpr absl::Duration kStoreHealthy = absl::Seconds(2);
  static constexpr absl::Duration kSampleEvery = absl::Seconds(5);

  // Builds a snapshot of `catalog`, registers its budgets with billing, and swaps it in.
  absl::Status Publish(const gavel::v1::Catalog& catalog, int64_t version) {
    absl::StatusOr<auction::Rules> rules = convert::RulesFromProto(catalog.auction_rules());
    if (!rules.ok()) return rules.status();
    absl::StatusOr<std::shared_ptr<const targeting::CatalogSnapshot>> snapshot =
        BuildAtLowPriority(catalog, version);
    if (!snapshot.ok()) return snapshot.status();
    absl::Status st = billing->UpsertCampaigns(engine::BudgetsFromCatalog((*snapshot)->catalog()));
    if (!st.ok()) return st;
    engine->Publish(std::make_shared<const engine::Serving>(
        engine::Serving{.catalog = *std::move(snapshot), .rules = *std::move(rules)}));
    published_unix_nanos.store(absl::ToUnixNanos(clock.Now()), std::memory_order_relaxed);
    ReturnFreedMemory();
    return absl::OkStatus();
  }

  // Builds the serving snapshot on a thread of its own at nice kBuildNice, so a reload or an admin
  // write (seconds of CPU at 1M ads) takes the CPU that auctions leave idle rather than theirs.
  // The calling thread (a gRPC thread that also runs auctions, or the signal thread) is never
  // reniced: an unprivileged thread cannot lower its nice value back.
  absl::StatusOr<std::shared_ptr<const targeting::CatalogSnapshot>> BuildAtLowPriority(
      const gavel::v1::Catalog& catalog, int64_t version) {
    absl::StatusOr<std::shared_ptr<const targeting::CatalogSnapshot>> snapshot =
        absl::UnknownError("the snapshot was not built");
    std::shared_ptr<const targeting::CtrModel> ctr_model = Model();
    std::thread builder([&] {
      ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kBuildNice);
      snapshot = convert::CatalogFromProto(catalog, version, ctr_model);
    });
    builder.join();
    return snapshot;
  }
  static constexpr int kBuildNice = 10;

  // Hands the pages of the snapshot just replaced back to the kernel. glibc keeps freed memory in
  // its heap for reuse, so without this a 1M-ad server grew by a snapshot's worth (about 1.3 GB)
  // with each of its first reloads (docs/performance.md, "Reloads").
  static void ReturnFreedMemory() { ::malloc_trim(0); }

  // A known campaign's report range: [start_date, end_date] in its local days, defaulting to the
  // 30 days ending today. kInvalidArgument / kNotFound naming the field.
  absl::StatusOr<std::pair<absl::CivilDay, absl::CivilDay>> ReportRange(
      const engine::Serving& serving, const std::string& campaign_id, const std::string& start_date,
      const std::string& end_date) const {
    if (campaign_id.empty()) return absl::InvalidArgumentError("campaign_id is required");
    if (serving.catalog->FindCampaign(campaign_id) < 0) {
      return absl::NotFoundError(absl::StrCat("campaign \"", campaign_id, "\" not found"));
    }
    absl::CivilDay to = billing->Today(campaign_id);
    if (!end_date.empty()) {
      absl::StatusOr<absl::CivilDay> d = ParseDay("end_date", end_date);
      if (!d.ok()) return d.status();
      to = *d;
    }
    absl::CivilDay from = to - 29;
    if (!start_date.empty()) {
      absl::StatusOr<absl::CivilDay> d = ParseDay("start_date", start_date);
      if (!d.ok()) return d.status();
      from = *d;
    }
    return std::make_pair(from, to);
  }

  absl::Status Stats(const gavel::v1::GetCampaignStatsRequest& req,
                     gavel::v1::GetCampaignStatsResponse* resp) {
    std::shared_ptr<const engine::Serving> serving = engine->current();
    auto range = ReportRange(*serving, req.campaign_id(), req.start_date(), req.end_date());
    if (!range.ok()) return range.status();
    absl::StatusOr<billing::CampaignStats> stats =
        billing->Stats(req.campaign_id(), range->first, range->second);
    if (!stats.ok()) return stats.status();
    convert::StatsToProto(req.campaign_id(), *stats, resp);
    return absl::OkStatus();
  }

  absl::Status Sales(const gavel::v1::GetSalesReportRequest& req,
                     gavel::v1::GetSalesReportResponse* resp) {
    std::shared_ptr<const engine::Serving> serving = engine->current();
    auto range = ReportRange(*serving, req.campaign_id(), req.start_date(), req.end_date());
    if (!range.ok()) return range.status();
    absl::StatusOr<billing::Dimension> dimension =
        billing::DimensionFromInt(req.dimension(), "dimension");
    if (!dimension.ok()) return dimension.status();
    const int window = req.attribution_window_days() == 0 ? billing::kDefaultAttributionWindowDays
                                                          : req.attribution_window_days();
    absl::StatusOr<billing::SalesReport> report =
        billing->Sales(req.campaign_id(), range->first, range->second, window,
                       AdvertisesIn(serving->catalog), *dimension);
    if (!report.ok()) return report.status();
    convert::SalesReportToProto(req.campaign_id(), window, *report, resp);
    resp->set_dimension(req.dimension());
    return absl::OkStatus();
  }
  // Re-reads --model and serves it from a new catalog version. On any error the old model stays.
  absl::StatusOr<gavel::v1::ReloadModelResponse> ReloadModel() {
    if (config.model_path.empty()) {
      return absl::FailedPreconditionError(
          "the server was started without --model: there is no model file to reload");
    }
    absl::StatusOr<std::shared_ptr<const targeting::CtrModel>> next =
        targeting::CtrModel::LoadFile(config.model_path);
    if (!next.ok()) return next.status();
    MutexLock lock(&reload_model_mu);  // one model reload at a time: the old model is restored
    std::shared_ptr<const targeting::CtrModel> previous = Model();
    SetModel(*next);
    absl::StatusOr<int64_t> version = store->Republish();
    if (!version.ok()) {
      SetModel(std::move(previous));
      return version.status();
    }
    ReturnFreedMemory();
    gavel::v1::ReloadModelResponse resp;
    resp.set_model_version((*next)->version());
    resp.set_catalog_version(*version);
    return resp;
  }
  Mutex reload_model_mu;

  absl::StatusOr<gavel::v1::ReloadCatalogResponse> Reload() {
    absl::StatusOr<gavel::v1::Catalog> catalog = store::ReadCatalogFile(config.catalog_path);
    if (!catalog.ok()) return catalog.status();
    absl::StatusOr<int64_t> version = store->Replace(*std::move(catalog));
    if (!version.ok()) return version.status();
    ReturnFreedMemory();  // the previous master copy, freed after the new one was published
    gavel::v1::ReloadCatalogResponse resp;
    resp.set_catalog_version(*version);
    resp.set_ads(engine->current()->catalog->ad_count());
    return resp;
  }
};

GavelServer::GavelServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

GavelServer::~GavelServer() { Shutdown(); }

const std::string& GavelServer::address() const { return state_->address; }

const std::string& GavelServer::metrics_address() const {
  static const std::string kNone;
  return state_->http != nullptr ? state_->http->address() : kNone;
}

absl::StatusOr<gavel::v1::ReloadCatalogResponse> GavelServer::Reload() { return state_->Reload(); }

absl::StatusOr<size_t> GavelServer::ReloadClients() {
  if (state_->callers->insecure()) return 0;
  absl::StatusOr<std::shared_ptr<const auth::Clients>> clients =
      auth::Clients::Load(state_->config.clients_file);
  if (!clients.ok()) return clients.status();
  const size_t keys = (*clients)->key_count();
  state_->callers->Replace(*std::move(clients));
  return keys;
}

absl::StatusOr<gavel::v1::ReloadModelResponse> GavelServer::ReloadModel() {
  return state_->ReloadModel();
}

void GavelServer::Shutdown() {
  state_->StopHealth();
  if (state_->server != nullptr) {
    state_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
}

void GavelServer::Wait() {
  if (state_->server != nullptr) state_->server->Wait();
}

namespace {

// The PostgreSQL event store for --store (docs/billing.md, "PostgreSQL store").
absl::StatusOr<billing::EventStoreFactory> StoreFactory(const ServerConfig& config) {
  if (!IsPostgresConninfo(config.store)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--store must be a PostgreSQL connection string (postgresql://user@host:port/db or "
        "key=value pairs such as \"host=/run/postgresql dbname=gavel\"), got \"",
        config.store, "\""));
  }
  if (config.store_connections < 1 || config.store_connections > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("--store_connections must be in [1, 64], got ", config.store_connections));
  }
  return [conninfo = config.store,
          connections = config.store_connections](const billing::EventContext& context)
             -> absl::StatusOr<std::unique_ptr<billing::EventStore>> {
    auto s = billing::PostgresEventStore::Open({.conninfo = conninfo, .connections = connections},
                                               context);
    if (!s.ok()) return s.status();
    return std::unique_ptr<billing::EventStore>(*std::move(s));
  };
}

// An error of the --store database, named by its flag.
absl::Status StoreError(const absl::Status& st) {
  return absl::Status(st.code(), absl::StrCat("--store: ", st.message()));
}

}  // namespace

bool IsPostgresConninfo(absl::string_view store) {
  return absl::StartsWith(store, "postgresql://") || absl::StartsWith(store, "postgres://") ||
         absl::StrContains(store, '=');
}

namespace {

// The flags' combinations and ranges, before anything is opened.
absl::Status ValidateConfig(const ServerConfig& config) {
  if (config.catalog_path.empty()) return absl::InvalidArgumentError("--catalog is required");
  if (!config.store.empty() && !config.catalog_state_path.empty()) {
    return absl::InvalidArgumentError(
        "--catalog_state cannot be used with --store: the database keeps the admin writes");
  }
  if (config.ledger_dir.empty() && config.store.empty()) {
    return absl::InvalidArgumentError("--ledger_dir is required (or --store=postgresql://...)");
  }
  if (config.currency.size() != 3 || !absl::c_all_of(config.currency, absl::ascii_isupper)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--currency must be an ISO 4217 code of three capital letters, got \"",
                     config.currency, "\""));
  }
  if (config.tls_cert_path.empty() != config.tls_key_path.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (config.landscape_sample_every < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--landscape_sample_every must be >= 0, got ", config.landscape_sample_every));
  }
  if (config.max_in_flight < 1 || config.max_streams_per_connection < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_in_flight and --max_streams_per_connection must be >= 1, got ",
                     config.max_in_flight, " and ", config.max_streams_per_connection));
  }
  if (absl::Status st = ValidateWindows(config.tokens, config.event_rules); !st.ok()) return st;
  // Callers must be known unless the operator says, in so many words, that anyone may bid.
  if (config.clients_file.empty() == !config.insecure_no_client_auth) {
    return absl::InvalidArgumentError(
        config.insecure_no_client_auth
            ? "--clients_file and --insecure_no_client_auth exclude each other"
            : "AuctionService and EventService need to know their callers: give --clients_file "
              "(docs/api.md, \"The clients file\"), or --insecure_no_client_auth for a local "
              "demo where anyone who can connect may spend any advertiser's budget");
  }
  return absl::OkStatus();
}

// The callers of AuctionService and EventService, from --clients_file (or none: insecure).
absl::StatusOr<std::unique_ptr<CallerAuth>> OpenCallerAuth(const ServerConfig& config) {
  if (config.insecure_no_client_auth) return CallerAuth::Insecure();
  absl::StatusOr<std::shared_ptr<const auth::Clients>> clients =
      auth::Clients::Load(config.clients_file);
  if (!clients.ok()) return clients.status();
  return std::make_unique<CallerAuth>(*std::move(clients));
}

// Billing over the configured event store (the embedded ledger, or --store), and the engine.
absl::Status OpenBilling(GavelServer::State* s) {
  const ServerConfig& config = s->config;
  std::shared_ptr<const billing::Keyring> keyring;
  if (config.token_key_file.empty()) {
    keyring = billing::Keyring::InsecureDevDefault();
  } else {
    absl::StatusOr<std::shared_ptr<const billing::Keyring>> k =
        billing::Keyring::FromFile(config.token_key_file);
    if (!k.ok()) return k.status();
    keyring = *std::move(k);
  }
  s->keyring = keyring;
  billing::BillingConfig billing_config{.keyring = keyring,
                                        .tokens = config.tokens,
                                        .rules = config.event_rules,
                                        .ledger = {.dir = config.ledger_dir},
                                        .sales = {.currency = config.currency},
                                        .max_spend_staleness = config.max_spend_staleness};
  if (s->metrics != nullptr) {
    // The embedded ledger's fdatasync, timed (gavel_ledger_fsync_duration_seconds).
    billing_config.ledger.fs = billing::LedgerFsWithSync([m = s->metrics.get()](int fd) {
      const auto start = std::chrono::steady_clock::now();
      const int rc = ::fdatasync(fd);
      m->RecordFsync(std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count());
      return rc;
    });
  }
  if (!config.store.empty()) {
    if (config.max_spend_staleness <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--max_spend_staleness must be positive, got ",
                       absl::FormatDuration(config.max_spend_staleness)));
    }
    absl::StatusOr<billing::EventStoreFactory> store = StoreFactory(config);
    if (!store.ok()) return store.status();
    billing_config.event_store = *std::move(store);
  }
  absl::StatusOr<std::unique_ptr<billing::Billing>> billing =
      billing::Billing::Open(std::move(billing_config), &s->clock);
  if (!billing.ok()) return config.store.empty() ? billing.status() : StoreError(billing.status());
  s->billing = *std::move(billing);
  s->gate = std::make_unique<engine::BillingGate>(s->billing.get());
  s->engine = std::make_unique<engine::Engine>(s->gate.get(), &s->billing->issuer(), &s->clock);
  s->landscape = std::make_unique<suggest::LandscapeRecorder>();
  if (config.landscape_sample_every > 0) {
    s->engine->SetLandscape(s->landscape.get(), config.landscape_sample_every);
  }
  s->suggestions = std::make_unique<Suggestions>(
      s->engine.get(), s->billing.get(), s->landscape.get(), &s->clock,
      config.landscape_sample_every, suggest::LandscapeOptions{});

  return absl::OkStatus();
}

// The admin master copy over the catalog file (and --catalog_state), or over the catalog shared
// in --store, published as the first serving snapshot.
absl::Status OpenCatalog(GavelServer::State* s) {
  const ServerConfig& config = s->config;
  std::string start_path = config.catalog_path;
  if (!config.catalog_state_path.empty() &&
      ::access(config.catalog_state_path.c_str(), F_OK) == 0) {
    start_path = config.catalog_state_path;  // Admin writes from earlier runs.
  }
  absl::StatusOr<gavel::v1::Catalog> catalog = store::ReadCatalogFile(start_path);
  if (!catalog.ok()) return catalog.status();
  GavelServer::State* state = s;
  store::CatalogStore::Persister persist;
  if (!config.catalog_state_path.empty()) {
    persist = [path = config.catalog_state_path](const gavel::v1::Catalog& c) {
      return store::WriteCatalogFile(c, path);
    };
  }
  bool seed = false;
  if (!config.store.empty()) {
    // The shared catalog: the database's; --catalog seeds it once it has served here.
    auto shared = store::PostgresCatalog::Open(config.store, &s->clock);
    if (!shared.ok()) return StoreError(shared.status());
    auto stored = (*shared)->Load();
    if (!stored.ok()) return StoreError(stored.status());
    if (stored->has_value()) {
      *catalog = **std::move(stored);
      start_path = "the catalog stored in --store";
    } else {
      seed = true;
    }
    s->shared_catalog = *std::move(shared);
    persist = [shared = s->shared_catalog.get()](const gavel::v1::Catalog& c) {
      return shared->Write(c);
    };
  }
  s->store = std::make_unique<store::CatalogStore>(
      *std::move(catalog),
      [state](const gavel::v1::Catalog& c, int64_t version) { return state->Publish(c, version); },
      std::move(persist));
  absl::Status st = s->store->Init();
  if (!st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(start_path, ": ", st.message()));
  }
  if (seed) {
    absl::StatusOr<bool> seeded = s->shared_catalog->Seed(s->store->Snapshot());
    if (!seeded.ok()) return StoreError(seeded.status());
    if (!*seeded) {  // another replica seeded first: serve what it stored
      auto stored = s->shared_catalog->Load();
      if (!stored.ok()) return StoreError(stored.status());
      if (stored->has_value()) {
        auto adopted = s->store->Adopt(**std::move(stored));
        if (!adopted.ok()) return StoreError(adopted.status());
      }
    }
  }
  if (s->shared_catalog != nullptr) {
    s->shared_catalog->Follow(
        [state](gavel::v1::Catalog c) { return state->store->Adopt(std::move(c)).status(); });
  }

  return absl::OkStatus();
}

// The process-level series: build, start time, catalog, model, keys, in-flight calls.
void RegisterProcessMetrics(GavelServer::State* s) {
  metrics::Registry& r = *s->registry;
  GavelServer::State* state = s;
#ifdef NDEBUG
  const char* mode = "opt";
#else
  const char* mode = "debug";
#endif
  r.AddGauge("gavel_build_info", "Always 1; the labels describe the binary.",
             {{"compiler", __VERSION__}, {"mode", mode}})
      ->Set(1);
  r.AddGauge("process_start_time_seconds", "Start time of the process since the Unix epoch.")
      ->Set(absl::ToUnixSeconds(s->clock.Now()));
  r.AddCallbackGauge("gavel_catalog_version", "Version of the catalog snapshot being served.", {},
                     [state] {
                       auto serving = state->engine->current();
                       return serving ? static_cast<double>(serving->catalog->version()) : 0.0;
                     });
  r.AddCallbackGauge(
      "gavel_catalog_campaigns", "Campaigns in the catalog snapshot being served.", {}, [state] {
        auto serving = state->engine->current();
        return serving ? static_cast<double>(serving->catalog->catalog().campaigns.size()) : 0.0;
      });
  r.AddCallbackGauge(
      "gavel_catalog_snapshot_age_seconds",
      "Seconds since the serving catalog snapshot was swapped in (start, reload or admin write).",
      {}, [state] {
        return absl::ToDoubleSeconds(
            state->clock.Now() -
            absl::FromUnixNanos(state->published_unix_nanos.load(std::memory_order_relaxed)));
      });
  r.AddCallbackGauge(
      "gavel_spend_view_age_seconds",
      "Seconds since the event store's spend view was last known current.", {}, [state] {
        return absl::ToDoubleSeconds(state->clock.Now() - state->billing->spend_view_at());
      });
  r.AddCallbackGauge("gavel_auctions_in_flight", "RunAuction calls being served now.", {},
                     [state] { return static_cast<double>(state->auction_service->in_flight()); });
  // Read when scraped, so a ReloadModel shows at the next scrape.
  r.AddInfo("gavel_model_info", "Always 1; the CTR model being served.", [state] {
    const bool builtin = state->config.model_path.empty();
    return metrics::Labels{{"model", builtin ? "builtin" : state->config.model_path},
                           {"fnv1a", builtin ? "builtin" : state->Model()->version()}};
  });
  if (s->request_log != nullptr) {
    metrics::RequestLog* log = s->request_log.get();
    r.AddCallbackCounter("gavel_request_log_dropped_total",
                         "--request_log lines dropped because the writer's queue was full.", {},
                         [log] { return static_cast<double>(log->dropped()); });
  }
  if (s->training_log != nullptr) {
    learning::TrainingLog* log = s->training_log.get();
    for (const char* result : {"written", "dropped"}) {
      const bool written = result[0] == 'w';
      r.AddCallbackCounter("gavel_training_log_records_total",
                           "--training_log_dir records written to files, or dropped (queue full "
                           "or the writer stopped on an error).",
                           {{"result", result}}, [log, written] {
                             const learning::TrainingLogStats st = log->stats();
                             return static_cast<double>(written ? st.written : st.dropped);
                           });
    }
  }
  const std::vector<std::string> keys = s->keyring->key_ids();
  for (size_t i = 0; i < keys.size(); ++i) {
    r.AddGauge("gavel_token_key_info",
               "Always 1; one series per click-token key id (current: signs; verify: accepted).",
               {{"key_id", keys[i]}, {"role", i == 0 ? "current" : "verify"}})
        ->Set(1);
  }
}

// The HTTP port: /metrics and the ad-operations page.
absl::Status StartHttp(GavelServer::State* s) {
  GavelServer::State* state = s;
  absl::StatusOr<std::unique_ptr<HttpEndpoint>> http =
      HttpEndpoint::Start({.listen = s->config.metrics_listen,
                           .metrics = [state] { return state->registry->Render(); },
                           .page =
                               [state](const HttpEndpoint::Params& params) {
                                 const absl::Time now = state->clock.Now();
                                 metrics::OpsView view = metrics::CollectOps(
                                     *state->engine->current()->catalog, *state->billing, now,
                                     metrics::ParseOpsQuery(params));
                                 view.recent = state->recent.Last(now, *state->metrics);
                                 return metrics::RenderOpsPage(view);
                               }});
  if (!http.ok()) {
    return absl::Status(http.status().code(),
                        absl::StrCat("--metrics_listen: ", http.status().message()));
  }
  s->http = *std::move(http);
  return absl::OkStatus();
}

// The training log and its feeder, with --training_log_dir.
absl::Status OpenTrainingLog(GavelServer::State* s) {
  const ServerConfig& config = s->config;
  if (config.training_log_dir.empty()) return absl::OkStatus();
  if (config.training_log_max_file_bytes < 4096) {
    return absl::InvalidArgumentError(absl::StrCat("--training_log_max_file_bytes must be >= 4096, got ",
                                                   config.training_log_max_file_bytes));
  }
  if (config.training_log_max_file_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--training_log_max_file_age must be positive, got ",
                     absl::FormatDuration(config.training_log_max_file_age)));
  }
  absl::StatusOr<std::unique_ptr<learning::TrainingLog>> log =
      learning::TrainingLog::Open({.dir = config.training_log_dir,
                                   .max_file_bytes = config.training_log_max_file_bytes,
                                   .max_file_age = config.training_log_max_file_age});
  if (!log.ok()) {
    return absl::Status(log.status().code(),
                        absl::StrCat("--training_log_dir: ", log.status().message()));
  }
  s->training_log = *std::move(log);
  s->training_logger = std::make_unique<TrainingLogger>(s->training_log.get(),
                                                        &s->billing->issuer(), s->keyring);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GavelServer>> GavelServer::Start(const ServerConfig& config) {
  auto s = std::make_unique<State>();
  s->config = config;
  if (absl::Status st = ValidateConfig(config); !st.ok()) return st;
  if (!config.metrics_listen.empty()) {
    s->registry = std::make_unique<metrics::Registry>();
    s->metrics = std::make_unique<metrics::GavelMetrics>(s->registry.get());
  }
  if (!config.request_log.empty()) {
    absl::StatusOr<std::unique_ptr<metrics::RequestLog>> log =
        metrics::RequestLog::Open(config.request_log);
    if (!log.ok()) return log.status();
    s->request_log = *std::move(log);
  }
  s->SetModel(targeting::CtrModel::Default());
  if (!config.model_path.empty()) {
    absl::StatusOr<std::string> text = ReadFile(config.model_path, "--model");
    if (!text.ok()) return text.status();
    absl::StatusOr<std::shared_ptr<const targeting::CtrModel>> model =
        targeting::CtrModel::LoadFile(config.model_path);
    if (!model.ok()) return model.status();
    s->SetModel(*std::move(model));
  }

  if (absl::Status st = OpenBilling(s.get()); !st.ok()) return st;
  if (absl::Status st = OpenCatalog(s.get()); !st.ok()) return st;
  if (absl::Status st = OpenTrainingLog(s.get()); !st.ok()) return st;
  State* state = s.get();
  absl::StatusOr<std::unique_ptr<CallerAuth>> callers = OpenCallerAuth(config);
  if (!callers.ok()) return callers.status();
  s->callers = *std::move(callers);
  s->auth = std::make_unique<AdminAuth>(config.admin_api_key, s->callers.get());
  s->auction_service = std::make_unique<AuctionServiceImpl>(
      s->engine.get(), s->callers.get(), config.max_in_flight, s->metrics.get(),
      s->request_log.get(), s->training_logger.get());
  s->event_service = std::make_unique<EventServiceImpl>(s->billing.get(), s->callers.get(),
                                                        /*workers=*/16, /*max_queued=*/4096,
                                                        s->metrics.get(), s->training_logger.get());
  s->campaign_service = std::make_unique<CampaignServiceImpl>(
      s->auth.get(), s->store.get(),
      [state](const gavel::v1::GetCampaignStatsRequest& r, gavel::v1::GetCampaignStatsResponse* o) {
        return state->Stats(r, o);
      },
      [state](const gavel::v1::GetSalesReportRequest& r, gavel::v1::GetSalesReportResponse* o) {
        return state->Sales(r, o);
      },
      [state] { return state->Reload(); }, [state] { return state->ReloadModel(); },
      s->suggestions.get());

  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!config.tls_cert_path.empty()) {
    absl::StatusOr<std::string> cert = ReadFile(config.tls_cert_path, "--tls_cert");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(config.tls_key_path, "--tls_key");
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions opts;
    opts.pem_key_cert_pairs.push_back({*key, *cert});
    creds = grpc::SslServerCredentials(opts);
  }

  InstallParseErrorCapture();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, creds, &port);
  builder.SetMaxReceiveMessageSize(convert::kMaxMessageBytes);
  builder.SetMaxSendMessageSize(convert::kMaxMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, config.max_streams_per_connection);
  builder.experimental().SetInterceptorCreators(ParseErrorInterceptors());
  builder.RegisterService(s->auction_service.get());
  builder.RegisterService(s->event_service.get());
  builder.RegisterService(s->campaign_service.get());
  s->server = builder.BuildAndStart();
  if (s->server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  if (s->metrics != nullptr) {
    RegisterProcessMetrics(s.get());
    if (absl::Status st = StartHttp(s.get()); !st.ok()) return st;
  }
  // Health by service name, as gRPC's health protocol allows: the auction and admin services
  // serve whenever the server does; EventService follows the event store (WatchHealth).
  if (grpc::HealthCheckServiceInterface* health = s->server->GetHealthCheckService()) {
    for (const char* name : {"gavel.v1.AuctionService", "gavel.v1.CampaignService",
                             GavelServer::State::kEventServiceName}) {
      health->SetServingStatus(name, true);
    }
  }
  s->health_thread = std::thread([state] { state->WatchHealth(); });
  const std::string host = config.listen.substr(0, config.listen.rfind(':'));
  s->address = absl::StrCat(host, ":", port);
  return std::unique_ptr<GavelServer>(new GavelServer(std::move(s)));
}

}  // namespace gavel::server
