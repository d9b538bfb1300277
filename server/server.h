// gavel_server assembled: loads the catalog file, opens billing (ledger, budgets, tokens), builds
// the engine, and serves AuctionService, EventService, CampaignService, health checking and
// reflection on one gRPC server.
//
//   absl::StatusOr<std::unique_ptr<GavelServer>> server = GavelServer::Start(config);
//   if (!server.ok()) { std::cerr << server.status(); return 1; }
//   (*server)->Wait();
//
// Start fails, naming the file and field, on a bad catalog, model or key file; on a ledger that
// cannot be opened; or when the address cannot be bound. Thread-safe.
#ifndef GAVEL_SERVER_SERVER_H_
#define GAVEL_SERVER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "billing/billing.h"
#include "gavel/v1/campaigns.pb.h"

namespace gavel::server {

struct ServerConfig {
  std::string listen = "127.0.0.1:50051";  // host:port; port 0 picks a free one
  std::string catalog_path;                // required: a gavel.v1.Catalog as JSON
  // Where admin writes are kept durably. When the file exists at start-up it is served instead of
  // catalog_path; ReloadCatalog and SIGHUP replace it with catalog_path's contents. Empty: admin
  // writes live in memory only.
  std::string catalog_state_path;
  std::string model_path;                   // CTR model file; empty = the built-in default
  std::string admin_api_key;                // the operator's; empty: advertiser keys only
  // Who may call AuctionService and EventService (docs/api.md, "The clients file"). Exactly one of
  // the two must be given, or Start fails with INVALID_ARGUMENT: serving without client keys is a
  // choice the operator makes explicitly.
  std::string clients_file;
  bool insecure_no_client_auth = false;
  std::string tls_cert_path, tls_key_path;  // both or neither (PEM)
  std::string token_key_file;               // empty = the insecure, public dev key
  std::string ledger_dir;                   // required without `store`
  // Where event outcomes, spend and statistics are kept: empty for the embedded ledger in
  // ledger_dir, or a PostgreSQL connection string (postgresql://... or key=value pairs) shared
  // by every replica (docs/billing.md, "PostgreSQL store").
  std::string store;
  int store_connections = 1;  // PostgreSQL transactions for event batches in flight at once
  // With `store`: campaigns sit out of auctions (SPEND_UNKNOWN) once the replica has not heard
  // from the database for this long.
  absl::Duration max_spend_staleness = absl::Seconds(60);
  int max_in_flight = 512;  // auctions beyond this are shed
  // 1 in this many live catalog auctions per serving thread feeds the bid landscape behind
  // GetBidSuggestions and GetBudgetSuggestion (docs/api.md, "Suggestions"); 0 = none (suggestions
  // then have no auctions behind them). Start fails with kInvalidArgument below 0.
  int landscape_sample_every = 100;
  // host:port of the HTTP port serving /metrics (Prometheus) and / (the ad-operations page); port
  // 0 picks a free one. Empty: no metrics are recorded and no HTTP port is opened.
  std::string metrics_listen;
  // A file that gets one JSON line per successful auction (docs/api.md, "Request log"); empty: none.
  std::string request_log;
  // HTTP/2 streams (calls) one client connection may have open at once; more wait in the client.
  // Bounds what a connection can queue inside the server (docs/api.md, "Limits").
  int max_streams_per_connection = 1024;
  // Token lifetimes and the invalid-click and dedupe windows (docs/billing.md, "Memory": the
  // dedupe state is sized by these). Start fails with kInvalidArgument unless every duration is
  // positive and each event-id retention is at least its token's lifetime.
  billing::TokenOptions tokens;
  billing::EventRules event_rules;
  // The marketplace currency (ISO 4217): purchase lines in any other are refused.
  std::string currency = "USD";
  // Where the training log goes (docs/learning.md, "Training log"); empty = no log. The directory
  // must exist. A file is closed and a new one started at this size or age.
  std::string training_log_dir;
  int64_t training_log_max_file_bytes = int64_t{64} << 20;
  absl::Duration training_log_max_file_age = absl::Hours(1);
};

// Whether --store holds a PostgreSQL connection string (a postgresql:// or postgres:// URI, or
// libpq key=value pairs).
bool IsPostgresConninfo(absl::string_view store);

class GavelServer {
 public:
  static absl::StatusOr<std::unique_ptr<GavelServer>> Start(const ServerConfig& config);
  ~GavelServer();

  // The bound address, e.g. "127.0.0.1:43117".
  const std::string& address() const;
  // The bound metrics address, e.g. "127.0.0.1:9464"; empty without metrics_listen.
  const std::string& metrics_address() const;
  // Re-reads the catalog file and swaps it in; the old version keeps serving on failure.
  absl::StatusOr<gavel::v1::ReloadCatalogResponse> Reload();
  // Re-reads --clients_file and serves it from the next call on; the old one keeps serving on
  // failure (the file's error is returned). Returns the number of keys (0 in insecure mode).
  absl::StatusOr<size_t> ReloadClients();
  // Re-reads the --model file and serves it from a new catalog version; the old model keeps
  // serving on failure (FAILED_PRECONDITION without --model, the file's error otherwise).
  absl::StatusOr<gavel::v1::ReloadModelResponse> ReloadModel();
  // Stops accepting calls, finishes those in flight (up to `grace`), and returns.
  void Shutdown();
  // Blocks until Shutdown.
  void Wait();

  struct State;

 private:
  explicit GavelServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_SERVER_H_
