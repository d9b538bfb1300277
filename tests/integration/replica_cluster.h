// Several real gavel_server replicas sharing one PostgreSQL (docs/billing.md, "PostgreSQL store"),
// for tests that kill, restart and race them.
//
//   auto pg = PgServer::Create();                                  // tests/pg/pg_server.h
//   auto cluster = ReplicaCluster::Start((*pg)->conninfo(), {.catalog = path});
//   auto stub = gavel::v1::EventService::NewStub(cluster->channel(1));
//   ASSERT_TRUE(cluster->KillAndRestart(0).ok());                  // kill -9, start again
//
// Every replica gets the same admin key (kReplicaAdminKey) and token key file, so any replica
// verifies the tokens another signed, and --nohuge_pages (no re-exec). A restarted replica listens
// on a new port: ask channel(i) again after a restart.
//
// channel() may be called from any thread, also while a replica restarts; the other methods from
// one thread at a time.
#ifndef GAVEL_TESTS_INTEGRATION_REPLICA_CLUSTER_H_
#define GAVEL_TESTS_INTEGRATION_REPLICA_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/sync.h"
#include "grpcpp/grpcpp.h"
#include "tests/integration/server_process.h"

namespace gavel::testing {

inline constexpr char kReplicaAdminKey[] = "replica-cluster-admin-key";

struct ReplicaClusterOptions {
  int replicas = 3;
  std::string catalog;  // --catalog: seeds an empty database; required
  std::vector<std::string> extra_args;
};

class ReplicaCluster {
 public:
  // Starts options.replicas replicas on `store` (a libpq connection string), one after another.
  // Errors as ServerProcess::Start, with the replica's output.
  static absl::StatusOr<std::unique_ptr<ReplicaCluster>> Start(const std::string& store,
                                                               ReplicaClusterOptions options);
  ~ReplicaCluster();  // kills every replica still running

  int size() const { return static_cast<int>(replicas_.size()); }
  // A channel to replica `i`, or nullptr while it is down (between Kill and Restart).
  std::shared_ptr<grpc::Channel> channel(int i) const;

  // SIGKILLs replica `i` and waits for it to exit; channel(i) is nullptr from then on.
  void Kill(int i);
  // Starts replica `i` again (after Kill) on a new port.
  absl::Status Restart(int i);
  // Everything replica `i` printed (the current process), for failure messages.
  std::string Output(int i);

 private:
  ReplicaCluster() = default;

  std::vector<std::string> args_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;  // null while down
  mutable Mutex mu_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
};

// A context with a deadline `seconds` away that carries the admin key.
std::unique_ptr<grpc::ClientContext> ReplicaContext(int seconds = 10);

// Writes `contents` to $TEST_TMPDIR/`name`; returns the path.
std::string WriteTmpFile(const std::string& name, const std::string& contents);

}  // namespace gavel::testing

#endif  // GAVEL_TESTS_INTEGRATION_REPLICA_CLUSTER_H_
