// gavel_loadgen: drives a Gavel server (or bench/echo_server) with realistic RunAuction traffic
// and reports throughput, errors by gRPC status code and latency percentiles. See docs/loadgen.md.
//
//   gavel_loadgen --target=127.0.0.1:50051 --concurrency=64 --duration=10s
//   gavel_loadgen --target=127.0.0.1:50051 --rate=20000 --catalog=catalog.json --json
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/client_key.h"
#include "common/flags_help.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/runner.h"
#include "tools/loadgen/sampler.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "Server address, host:port; or several comma-separated (replicas), each worker spreading "
          "its calls over them round robin.");
ABSL_FLAG(std::string, service, "auction",
          "auction: sample a fresh request per call; echo: sample one request and resend it (the "
          "client's own ceiling, no sampling cost).");
ABSL_FLAG(int32_t, concurrency, 1, "Closed loop: calls kept in flight.");
ABSL_FLAG(double, rate, 0,
          "Open loop when > 0: calls per second on a fixed schedule, latency timed from each "
          "call's intended send time.");
ABSL_FLAG(int32_t, max_outstanding, 1000,
          "Open loop: due calls are counted as not sent while this many are in flight.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measured time.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "Unmeasured time before the measurement.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5), "Per-call deadline.");
ABSL_FLAG(int32_t, threads, 2, "Client threads, each with its own connection.");
ABSL_FLAG(uint64_t, seed, 1, "Seed for queries, placements, devices, segments and shoppers.");
ABSL_FLAG(std::string, queries, "",
          "Query file: one query per line, optionally followed by a TAB and a weight.");
ABSL_FLAG(std::string, catalog, "",
          "Catalog JSON (gavel.v1.Catalog): queries are its keyword texts, Zipf-weighted by how "
          "many targets use them, and product/category pages use its ids.");
ABSL_FLAG(std::string, dump_queries, "",
          "Write the query set and page ids (from --catalog or --queries) to this file as a query "
          "file and exit: parse a large catalog once, then run with --queries.");
ABSL_FLAG(double, zipf, 1.0, "Zipf exponent for catalog-derived queries.");
ABSL_FLAG(int32_t, slots, 4, "Slots per auction.");
ABSL_FLAG(double, impression_rate, 0, "Per winner, the chance of reporting its impression.");
ABSL_FLAG(double, click_rate, 0, "Per winner, the chance of reporting a click.");
ABSL_FLAG(bool, json, false,
          "Print the report as one JSON object on stdout (text goes to stderr).");
ABSL_FLAG(bool, progress, true, "Print a progress line per second on stderr.");
ABSL_FLAG(std::string, client_key_file, "",
          "File holding the client key sent with every call (default: $GAVEL_CLIENT_KEY; none "
          "for a server run with --insecure_no_client_auth).");

namespace gavel::loadgen {
namespace {

// Used when neither --queries nor --catalog is given: a small head-heavy retail query mix.
constexpr char kDefaultQueries[] =
    "running shoes\t30\nwireless earbuds\t20\ncoffee maker\t15\nyoga mat\t10\n"
    "usb c cable\t10\nkids rain boots\t6\nstainless steel water bottle\t5\ndog food\t5\n"
    "laptop stand\t4\nbluetooth speaker\t4\nwool socks\t3\ncast iron skillet\t3\n"
    "led desk lamp\t2\nphone case\t2\nbaby wipes\t2\ntrail running shoes women\t1\n"
    "noise cancelling headphones over ear\t1\norganic green tea\t1\n";

// Set by the first SIGINT or SIGTERM: the run stops early and still reports. A second signal
// kills the process as usual (the handler restores the default action).
std::atomic<bool> interrupted{false};

extern "C" void OnInterrupt(int signal_number) {
  interrupted.store(true);
  std::signal(signal_number, SIG_DFL);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

int Main() {
  RequestMix mix;
  mix.slots = absl::GetFlag(FLAGS_slots);
  absl::StatusOr<QuerySet> queries = absl::InvalidArgumentError("no queries");
  const std::string catalog_path = absl::GetFlag(FLAGS_catalog);
  const std::string queries_path = absl::GetFlag(FLAGS_queries);
  if (!catalog_path.empty()) {
    absl::StatusOr<gavel::v1::Catalog> catalog = ReadCatalogJson(catalog_path);
    if (!catalog.ok()) {
      std::fprintf(stderr, "gavel_loadgen: %s\n", catalog.status().ToString().c_str());
      return 2;
    }
    AddCatalogIds(*catalog, 10'000, &mix);
    if (queries_path.empty()) queries = QuerySet::FromCatalog(*catalog, absl::GetFlag(FLAGS_zipf));
  }
  if (!queries_path.empty()) {
    absl::StatusOr<std::string> text = ReadFile(queries_path);
    queries = text.ok() ? QuerySet::FromQueryFileText(*text, &mix) : text.status();
  } else if (catalog_path.empty()) {
    queries = QuerySet::FromQueryFileText(kDefaultQueries);
  }
  if (!queries.ok()) {
    std::fprintf(stderr, "gavel_loadgen: %s\n", queries.status().ToString().c_str());
    return 2;
  }
  if (const std::string dump = absl::GetFlag(FLAGS_dump_queries); !dump.empty()) {
    std::ofstream out(dump, std::ios::binary | std::ios::trunc);
    out << ToQueryFileText(*queries, mix);
    out.close();
    if (!out) {
      std::fprintf(stderr, "gavel_loadgen: cannot write %s\n", dump.c_str());
      return 1;
    }
    std::fprintf(stderr, "gavel_loadgen: wrote %zu queries, %zu products, %zu categories to %s\n",
                 queries->size(), mix.product_ids.size(), mix.category_ids.size(), dump.c_str());
    return 0;
  }
  RequestSampler sampler(&*queries, mix);
  absl::StatusOr<std::string> client_key =
      gavel::ReadClientKey(absl::GetFlag(FLAGS_client_key_file));
  if (!client_key.ok()) {
    std::fprintf(stderr, "gavel_loadgen: %s\n", client_key.status().ToString().c_str());
    return 2;
  }

  LoadConfig config{
      .target = absl::GetFlag(FLAGS_target),
      .concurrency = absl::GetFlag(FLAGS_concurrency),
      .rate = absl::GetFlag(FLAGS_rate),
      .max_outstanding = absl::GetFlag(FLAGS_max_outstanding),
      .warmup = absl::GetFlag(FLAGS_warmup),
      .duration = absl::GetFlag(FLAGS_duration),
      .timeout = absl::GetFlag(FLAGS_timeout),
      .threads = absl::GetFlag(FLAGS_threads),
      .seed = absl::GetFlag(FLAGS_seed),
      .service = absl::GetFlag(FLAGS_service),
      .impression_rate = absl::GetFlag(FLAGS_impression_rate),
      .click_rate = absl::GetFlag(FLAGS_click_rate),
      .progress = absl::GetFlag(FLAGS_progress),
      .client_key = *client_key,
      .interrupt = &interrupted,
  };
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  absl::StatusOr<LoadReport> report = RunLoad(config, sampler);
  if (!report.ok()) {
    std::fprintf(stderr, "gavel_loadgen: %s\n", report.status().ToString().c_str());
    return report.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (absl::GetFlag(FLAGS_json)) {
    std::fputs(FormatText(*report).c_str(), stderr);
    std::fputs(FormatJson(*report).c_str(), stdout);
  } else {
    std::fputs(FormatText(*report).c_str(), stdout);
  }
  return 0;
}

}  // namespace
}  // namespace gavel::loadgen

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Drives a Gavel AuctionService with RunAuction (and ReportEvents) traffic.\n"
      "  gavel_loadgen --target=127.0.0.1:50051 --concurrency=64 --duration=10s\n"
      "  gavel_loadgen --target=127.0.0.1:50051 --rate=20000 --catalog=catalog.json --json");
  gavel::ListOwnFlagsInHelp();
  absl::ParseCommandLine(argc, argv);
  // gRPC locks absl::Mutex on every call, and Debian's Abseil keeps deadlock-detection graphs for
  // them: ~3% of the client's CPU in a profile at 64 in flight. The client's own CPU is taken
  // from the machine the server runs on, so it is kept as small as it can be.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return gavel::loadgen::Main();
}
