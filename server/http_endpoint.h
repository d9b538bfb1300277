// The --metrics_listen HTTP port: GET /metrics (Prometheus text format) and GET / (the
// ad-operations page), served by cpp-httplib on its own threads, apart from gRPC's, so nothing on
// this port can slow an auction down. Anything else answers 404; other methods 405.
//
//   auto http = HttpEndpoint::Start({.listen = "127.0.0.1:9464",
//                                    .metrics = [&] { return registry.Render(); },
//                                    .page = [&](const HttpEndpoint::Params& p) { return ...; }});
//   // (*http)->address() is "127.0.0.1:9464"; the destructor stops the server.
//
// Limits (docs/api.md, "Metrics and the ad-operations page"): a request must arrive within 5 s
// (read timeout, so a slowloris client only holds one worker that long), request lines and header
// lines over 8 KiB are refused (cpp-httplib's compiled limits), bodies over 64 KiB are refused.
// Start fails with kInvalidArgument for a listen address without a port, kUnavailable when it
// cannot bind. Thread-safe; the handlers run on the endpoint's threads, concurrently.
#ifndef GAVEL_SERVER_HTTP_ENDPOINT_H_
#define GAVEL_SERVER_HTTP_ENDPOINT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace gavel::server {

class HttpEndpoint {
 public:
  using Params = std::multimap<std::string, std::string>;  // the URL's query parameters
  struct Options {
    std::string listen;  // host:port; port 0 picks a free one
    std::function<std::string()> metrics;
    std::function<std::string(const Params&)> page;  // HTML
  };
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(Options options);
  ~HttpEndpoint();

  // The bound address, e.g. "127.0.0.1:9464".
  const std::string& address() const { return address_; }

  struct Impl;

 private:
  explicit HttpEndpoint(std::unique_ptr<Impl> impl, std::string address);
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace gavel::server

#endif  // GAVEL_SERVER_HTTP_ENDPOINT_H_
