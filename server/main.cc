// gavel_server: the sponsored-products auction and billing server. See README.md.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/flags_help.h"
#include "pg/connection.h"
#include "pg/gavel_migrations.h"
#include "pg/migrate.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve on (port 0 = any free port)");
ABSL_FLAG(std::string, catalog, "",
          "catalog file: a gavel.v1.Catalog as JSON, or protobuf binary when the name ends in "
          ".binpb or .pb (required)");
ABSL_FLAG(
    std::string, catalog_state, "",
    "file where admin writes are kept durably (binary when it ends in .binpb or .pb, else JSON); "
    "served instead of --catalog when it exists "
    "(ReloadCatalog and SIGHUP replace it with --catalog); empty = admin writes in memory only");
ABSL_FLAG(std::string, model, "", "CTR model file (default: the built-in model)");
ABSL_FLAG(std::string, training_log_dir, "",
          "Directory (must exist) for the training log of impressions and clicks "
          "(docs/learning.md); empty = no log");
ABSL_FLAG(int64_t, training_log_max_file_bytes, int64_t{64} << 20,
          "Start a new training log file at this size (>= 4096)");
ABSL_FLAG(absl::Duration, training_log_max_file_age, absl::Hours(1),
          "Start a new training log file when the current one is this old");
ABSL_FLAG(std::string, admin_api_key_file, "",
          "file holding the operator's admin API key (sees and edits everything); advertisers' "
          "admin keys are `admin` lines of --clients_file");
ABSL_FLAG(std::string, clients_file, "",
          "who may call AuctionService and EventService: client keys (as SHA-256 digests) and "
          "grants, one statement per line (docs/api.md, \"The clients file\"); re-read on "
          "SIGUSR1 (and SIGHUP). Required unless --insecure_no_client_auth");
ABSL_FLAG(bool, insecure_no_client_auth, false,
          "serve AuctionService and EventService to anyone who can connect, with every grant: "
          "for a demo on 127.0.0.1 only (./run.sh); anyone reaching the port can spend any "
          "advertiser's budget");
ABSL_FLAG(std::string, token_key_file, "",
          "click-token signing keys, `key_id hex_secret` per line, current first (default: an "
          "insecure public dev key)");
ABSL_FLAG(std::string, ledger_dir, "",
          "directory of the embedded spend ledger (required unless --store is set)");
ABSL_FLAG(std::string, store, "",
          "a PostgreSQL connection string (postgresql://user@host:port/db or libpq key=value "
          "pairs) to keep events, spend and statistics in a database that several replicas "
          "share; empty: the embedded ledger in --ledger_dir");
ABSL_FLAG(int32_t, store_connections, 1,
          "with --store: PostgreSQL transactions for event batches in flight at once (1-64); "
          "waiting batches merge into the next transaction");
ABSL_FLAG(absl::Duration, max_spend_staleness, absl::Seconds(60),
          "with --store: campaigns sit out of auctions (SPEND_UNKNOWN) once the database has been "
          "unreachable this long");
ABSL_FLAG(std::string, currency, "USD",
          "the marketplace currency (ISO 4217): ReportPurchases refuses lines in any other");
ABSL_FLAG(bool, migrate_only, false,
          "with --store: apply the database schema migrations, print how many, and exit");
ABSL_FLAG(bool, huge_pages, true,
          "ask glibc's malloc for transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, "
          "set by re-executing once at start unless already set): large catalogs load faster");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain; with --tls_key enables TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert");
ABSL_FLAG(int32_t, max_in_flight, 512, "auctions in flight beyond which new ones are shed");
ABSL_FLAG(int32_t, landscape_sample_every, 100,
          "1 in this many auctions per serving thread feeds the bid and budget suggestions "
          "(docs/api.md, \"Suggestions\"); 0 = none");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port of an HTTP port serving /metrics (Prometheus text format) and / (the "
          "ad-operations page); port 0 = any free port; empty (default) = no metrics. Bind it to "
          "127.0.0.1 unless a firewall or proxy guards it: it has no authentication");
ABSL_FLAG(std::string, request_log, "",
          "file to append one JSON line per successful auction to (request id, auction id, "
          "latency, winners and prices), for debugging; empty (default) = none");
ABSL_FLAG(int32_t, max_streams_per_connection, 1024,
          "calls one client connection may have open at once (HTTP/2 MAX_CONCURRENT_STREAMS); "
          "further calls wait in the client, so no connection can queue without bound here");
// The windows the dedupe and click-window state is sized by (docs/billing.md, "Memory"). Shorter
// windows bound memory at a lower level; a soak test shortens them to reach that level in minutes.
ABSL_FLAG(absl::Duration, click_token_ttl, absl::Hours(24),
          "how long a click token verifies after its auction");
ABSL_FLAG(absl::Duration, impression_token_ttl, absl::Hours(1),
          "how long an impression token verifies after its auction");
ABSL_FLAG(absl::Duration, event_id_retention, absl::Hours(48),
          "how long a click's client_event_id is remembered for DUPLICATE; >= --click_token_ttl");
ABSL_FLAG(absl::Duration, impression_event_id_retention, absl::Hours(1),
          "how long an impression's client_event_id is remembered; >= --impression_token_ttl");
ABSL_FLAG(absl::Duration, repeat_click_window, absl::Hours(1),
          "a user's second charged click on the same ad within this window is REPEAT_CLICK");

namespace {

// glibc's malloc reads its tunables only when a process starts, so the server re-executes itself
// once with transparent huge pages asked for (docs/performance.md, "Start-up"). Building a 1M-ad
// snapshot allocates about 2 GB of fresh memory; with 4 KiB pages, the page faults were a third of
// start-up on this machine. Returns only if nothing needs doing or the exec failed.
void ReexecWithHugePages(char** argv) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb") != nullptr) return;
  const std::string value = tunables != nullptr && *tunables != '\0'
                                ? std::string(tunables) + ":glibc.malloc.hugetlb=1"
                                : std::string("glibc.malloc.hugetlb=1");
  if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  ::execv("/proc/self/exe", argv);
}

// --migrate_only: the schema, without serving (for a deploy step before replicas start).
int MigrateOnly(const std::string& store) {
  if (!gavel::server::IsPostgresConninfo(store)) {
    std::fprintf(stderr, "gavel_server: --migrate_only needs --store=postgresql://...\n");
    return 2;
  }
  auto conn = gavel::pg::Connection::Open(store);
  if (!conn.ok()) {
    std::fprintf(stderr, "gavel_server: --store: %s\n",
                 std::string(conn.status().message()).c_str());
    return 1;
  }
  auto applied = gavel::pg::Migrate(**conn, gavel::pg::GavelMigrations());
  if (!applied.ok()) {
    std::fprintf(stderr, "gavel_server: --store: %s\n",
                 std::string(applied.status().message()).c_str());
    return 1;
  }
  std::printf("applied %d migration(s); schema at version %d\n", *applied,
              static_cast<int>(gavel::pg::GavelMigrations().size()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gavel_server --catalog=FILE (--ledger_dir=DIR | --store=postgresql://...) [flags]");
  gavel::ListOwnFlagsInHelp();
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_huge_pages)) ReexecWithHugePages(argv);
  // Debian's Abseil tracks every mutex gRPC takes for deadlock detection, about 6% of a server's
  // CPU (measured on the echo server); gRPC itself is the only user of absl::Mutex here.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Signals are handled by one thread with sigwait; block them everywhere else first, before gRPC
  // starts its threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  gavel::server::ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.catalog_path = absl::GetFlag(FLAGS_catalog);
  config.catalog_state_path = absl::GetFlag(FLAGS_catalog_state);
  config.model_path = absl::GetFlag(FLAGS_model);
  config.training_log_dir = absl::GetFlag(FLAGS_training_log_dir);
  config.training_log_max_file_bytes = absl::GetFlag(FLAGS_training_log_max_file_bytes);
  config.training_log_max_file_age = absl::GetFlag(FLAGS_training_log_max_file_age);
  config.token_key_file = absl::GetFlag(FLAGS_token_key_file);
  config.ledger_dir = absl::GetFlag(FLAGS_ledger_dir);
  config.store = absl::GetFlag(FLAGS_store);
  config.store_connections = absl::GetFlag(FLAGS_store_connections);
  config.max_spend_staleness = absl::GetFlag(FLAGS_max_spend_staleness);
  config.currency = absl::GetFlag(FLAGS_currency);
  if (absl::GetFlag(FLAGS_migrate_only)) return MigrateOnly(config.store);
  config.tls_cert_path = absl::GetFlag(FLAGS_tls_cert);
  config.tls_key_path = absl::GetFlag(FLAGS_tls_key);
  config.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  config.landscape_sample_every = absl::GetFlag(FLAGS_landscape_sample_every);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.request_log = absl::GetFlag(FLAGS_request_log);
  config.max_streams_per_connection = absl::GetFlag(FLAGS_max_streams_per_connection);
  config.tokens.ttl = absl::GetFlag(FLAGS_click_token_ttl);
  config.tokens.impression_ttl = absl::GetFlag(FLAGS_impression_token_ttl);
  config.event_rules.event_id_retention = absl::GetFlag(FLAGS_event_id_retention);
  config.event_rules.impression_event_id_retention =
      absl::GetFlag(FLAGS_impression_event_id_retention);
  config.event_rules.repeat_click_window = absl::GetFlag(FLAGS_repeat_click_window);
  if (!absl::GetFlag(FLAGS_admin_api_key_file).empty()) {
    std::ifstream in(absl::GetFlag(FLAGS_admin_api_key_file));
    if (!in) {
      std::fprintf(stderr, "gavel_server: cannot read --admin_api_key_file=%s\n",
                   absl::GetFlag(FLAGS_admin_api_key_file).c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    config.admin_api_key = std::string(absl::StripAsciiWhitespace(ss.str()));
  }
  config.clients_file = absl::GetFlag(FLAGS_clients_file);
  config.insecure_no_client_auth = absl::GetFlag(FLAGS_insecure_no_client_auth);
  if (config.insecure_no_client_auth) {
    std::fprintf(stderr,
                 "gavel_server: WARNING: --insecure_no_client_auth: anyone who can connect to %s "
                 "may run auctions and report clicks as any client, for any advertiser. Use it "
                 "only on 127.0.0.1; give --clients_file otherwise.\n",
                 config.listen.c_str());
  }
  if (config.token_key_file.empty()) {
    std::fprintf(stderr,
                 "gavel_server: WARNING: no --token_key_file; signing click tokens with the public "
                 "dev key, so anyone can forge them. Never use this in production.\n");
  }

  auto server = gavel::server::GavelServer::Start(config);
  if (!server.ok()) {
    // A damaged ledger says so by name, so an operator knows not to just delete and restart.
    const bool data_loss = server.status().code() == absl::StatusCode::kDataLoss;
    std::fprintf(stderr, "gavel_server: %s%s\n", data_loss ? "DATA_LOSS: " : "",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  if (!(*server)->metrics_address().empty()) {
    std::printf("metrics and ad-operations page on http://%s/\n",
                (*server)->metrics_address().c_str());
  }
  std::printf("listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);

  std::thread signal_thread([&] {
    while (true) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig == SIGHUP || sig == SIGUSR1) {
        // SIGUSR1 rotates keys without SIGHUP's catalog reload, which discards admin writes.
        auto keys = (*server)->ReloadClients();
        if (!keys.ok()) {
          std::fprintf(stderr,
                       "gavel_server: clients reload failed, still serving the old "
                       "clients file: %s\n",
                       std::string(keys.status().message()).c_str());
        } else if (!config.clients_file.empty()) {
          std::fprintf(stderr, "gavel_server: reloaded %s (%zu keys)\n",
                       config.clients_file.c_str(), *keys);
        }
        if (sig == SIGUSR1) continue;
        if (!config.model_path.empty()) {
          auto model = (*server)->ReloadModel();
          if (model.ok()) {
            std::fprintf(stderr, "gavel_server: reloaded model %s (catalog v%lld)\n",
                         model->model_version().c_str(),
                         static_cast<long long>(model->catalog_version()));
          } else {
            std::fprintf(stderr, "gavel_server: model reload failed, still serving the old model: %s\n",
                         std::string(model.status().message()).c_str());
          }
        }
        auto reloaded = (*server)->Reload();
        if (reloaded.ok()) {
          std::fprintf(stderr, "gavel_server: reloaded catalog v%lld (%lld ads)\n",
                       static_cast<long long>(reloaded->catalog_version()),
                       static_cast<long long>(reloaded->ads()));
        } else {
          std::fprintf(stderr, "gavel_server: reload failed, still serving the old catalog: %s\n",
                       std::string(reloaded.status().message()).c_str());
        }
        continue;
      }
      std::fprintf(stderr, "gavel_server: shutting down\n");
      (*server)->Shutdown();
      return;
    }
  });
  (*server)->Wait();
  signal_thread.join();
  return 0;
}
