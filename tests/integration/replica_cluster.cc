#include "tests/integration/replica_cluster.h"

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace gavel::testing {

std::string WriteTmpFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << contents;
  return path;
}

std::unique_ptr<grpc::ClientContext> ReplicaContext(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  ctx->AddMetadata("x-gavel-api-key", kReplicaAdminKey);
  return ctx;
}

absl::StatusOr<std::unique_ptr<ReplicaCluster>> ReplicaCluster::Start(
    const std::string& store, ReplicaClusterOptions options) {
  std::unique_ptr<ReplicaCluster> c(new ReplicaCluster());
  c->args_ = {
      absl::StrCat("--catalog=", options.catalog),
      absl::StrCat("--admin_api_key_file=", WriteTmpFile("replica_admin_key", kReplicaAdminKey)),
      absl::StrCat("--token_key_file=",
                   WriteTmpFile("replica_token_keys", "k1 0123456789abcdef0123456789abcdef\n")),
      absl::StrCat("--store=", store), "--nohuge_pages"};
  c->args_.insert(c->args_.end(), options.extra_args.begin(), options.extra_args.end());
  c->replicas_.resize(options.replicas);
  {
    MutexLock lock(&c->mu_);
    c->channels_.resize(options.replicas);
  }
  for (int i = 0; i < options.replicas; ++i) {
    absl::Status st = c->Restart(i);
    if (!st.ok()) return st;
  }
  return c;
}

ReplicaCluster::~ReplicaCluster() = default;  // ServerProcess kills its child

std::shared_ptr<grpc::Channel> ReplicaCluster::channel(int i) const {
  MutexLock lock(&mu_);
  return channels_[i];
}

void ReplicaCluster::Kill(int i) {
  {
    MutexLock lock(&mu_);
    channels_[i] = nullptr;
  }
  if (replicas_[i] != nullptr) replicas_[i]->Kill(SIGKILL);
  replicas_[i] = nullptr;
}

absl::Status ReplicaCluster::Restart(int i) {
  auto r = ServerProcess::Start("server/gavel_server", args_);
  if (!r.ok()) {
    return absl::Status(r.status().code(), absl::StrCat("replica ", i, ": ", r.status().message()));
  }
  replicas_[i] = *std::move(r);
  auto ch = grpc::CreateChannel(replicas_[i]->address(), grpc::InsecureChannelCredentials());
  MutexLock lock(&mu_);
  channels_[i] = std::move(ch);
  return absl::OkStatus();
}

std::string ReplicaCluster::Output(int i) {
  return replicas_[i] == nullptr ? "(down)" : replicas_[i]->Output();
}

}  // namespace gavel::testing
