#include "server/http_endpoint.h"

#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace gavel::server {

struct HttpEndpoint::Impl {
  Options options;
  httplib::Server http;
  std::thread thread;
};

namespace {

constexpr int kReadTimeoutSeconds = 5;
constexpr int kWriteTimeoutSeconds = 10;
constexpr size_t kMaxBodyBytes = 64 << 10;

void Route(HttpEndpoint::Impl* impl) {
  httplib::Server& http = impl->http;
  http.Get("/metrics", [impl](const httplib::Request&, httplib::Response& res) {
    res.set_content(impl->options.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/", [impl](const httplib::Request& req, httplib::Response& res) {
    HttpEndpoint::Params params(req.params.begin(), req.params.end());
    res.set_header("Cache-Control", "no-store");
    res.set_content(impl->options.page(params), "text/html; charset=utf-8");
  });
  const auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content("only GET\n", "text/plain");
  };
  http.Post(".*", not_allowed);
  http.Put(".*", not_allowed);
  http.Delete(".*", not_allowed);
  http.Patch(".*", not_allowed);
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("not found: try /metrics or /\n", "text/plain");
  });
}

}  // namespace

HttpEndpoint::HttpEndpoint(std::unique_ptr<Impl> impl, std::string address)
    : impl_(std::move(impl)), address_(std::move(address)) {}

HttpEndpoint::~HttpEndpoint() {
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(Options options) {
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen must be HOST:PORT with a port in [0, 65535], got \"",
                     options.listen, "\""));
  }
  std::string host = options.listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->http.set_read_timeout(kReadTimeoutSeconds, 0);
  impl->http.set_write_timeout(kWriteTimeoutSeconds, 0);
  impl->http.set_payload_max_length(kMaxBodyBytes);
  Route(impl.get());
  const int bound = port == 0 ? impl->http.bind_to_any_port(host)
                              : (impl->http.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", impl->options.listen));
  }
  std::string address = absl::StrCat(impl->options.listen.substr(0, colon), ":", bound);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http.listen_after_bind(); });
  return std::unique_ptr<HttpEndpoint>(new HttpEndpoint(std::move(impl), std::move(address)));
}

}  // namespace gavel::server
