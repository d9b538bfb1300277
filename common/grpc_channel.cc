#include "common/grpc_channel.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gavel {
namespace {

struct HostPort {
  std::string host;  // without brackets
  std::string port;
};

absl::StatusOr<HostPort> Split(absl::string_view address) {
  HostPort out;
  absl::string_view rest;
  if (absl::ConsumePrefix(&address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("address \"[", address, "\" has no ']'"));
    }
    out.host = std::string(address.substr(0, close));
    rest = address.substr(close + 1);
    if (!absl::ConsumePrefix(&rest, ":")) rest = "";
  } else {
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\" has no port: expected host:port"));
    }
    out.host = std::string(address.substr(0, colon));
    rest = address.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "address \"", address, "\": write an IPv6 address in brackets, [", out.host, "]:", rest));
    }
  }
  int port = 0;
  if (out.host.empty() || !absl::SimpleAtoi(rest, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\": expected host:port with a port in [1, 65535]"));
  }
  out.port = std::string(rest);
  return out;
}

// The host's first IPv4 address, else its first IPv6 address, as text; `*ipv6` says which.
absl::StatusOr<std::string> Resolve(const std::string& host, bool* ipv6) {
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(host.c_str(), nullptr, &hints, &found); error != 0) {
    const std::string message =
        absl::StrCat("cannot resolve host \"", host, "\": ", gai_strerror(error));
    return error == EAI_AGAIN ? absl::UnavailableError(message)
                              : absl::InvalidArgumentError(message);
  }
  const addrinfo* pick = nullptr;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
    if (a->ai_family == AF_INET6 && pick == nullptr) pick = a;
  }
  char text[INET6_ADDRSTRLEN] = "";
  if (pick != nullptr) {
    const void* raw =
        pick->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(pick->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(pick->ai_addr)->sin6_addr);
    inet_ntop(pick->ai_family, raw, text, sizeof(text));
    *ipv6 = pick->ai_family == AF_INET6;
  }
  freeaddrinfo(found);
  if (pick == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("host \"", host, "\" has no IP address"));
  }
  return std::string(text);
}

}  // namespace

absl::StatusOr<std::string> ClientChannelTarget(absl::string_view addresses) {
  if (addresses.find(',') == absl::string_view::npos) return std::string(addresses);
  struct Resolved {
    std::string ip;
    bool ipv6 = false;
    std::string port;
  };
  std::vector<Resolved> resolved;
  bool any_ipv6 = false;
  for (absl::string_view address : absl::StrSplit(addresses, ',')) {
    address = absl::StripAsciiWhitespace(address);
    if (address.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty address in \"", addresses, "\": expected host:port,host:port"));
    }
    absl::StatusOr<HostPort> split = Split(address);
    if (!split.ok()) return split.status();
    Resolved r{.port = split->port};
    absl::StatusOr<std::string> ip = Resolve(split->host, &r.ipv6);
    if (!ip.ok()) return ip.status();
    r.ip = *std::move(ip);
    any_ipv6 = any_ipv6 || r.ipv6;
    resolved.push_back(std::move(r));
  }
  // gRPC's ipv4: and ipv6: schemes take one family each; an IPv4 address joins IPv6 ones in its
  // IPv4-mapped form (::ffff:a.b.c.d), which Linux connects over IPv4.
  std::vector<std::string> parts;
  for (const Resolved& r : resolved) {
    if (!any_ipv6) {
      parts.push_back(absl::StrCat(r.ip, ":", r.port));
    } else {
      parts.push_back(absl::StrCat("[", r.ipv6 ? "" : "::ffff:", r.ip, "]:", r.port));
    }
  }
  return absl::StrCat(any_ipv6 ? "ipv6:" : "ipv4:", absl::StrJoin(parts, ","));
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateClientChannel(
    absl::string_view addresses, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    grpc::ChannelArguments args) {
  absl::StatusOr<std::string> target = ClientChannelTarget(addresses);
  if (!target.ok()) return target.status();
  if (addresses.find(',') != absl::string_view::npos) {
    args.SetLoadBalancingPolicyName("round_robin");
    // Without it the authority would be the whole list, which no certificate names.
    const absl::string_view first =
        absl::StripAsciiWhitespace(addresses.substr(0, addresses.find(',')));
    args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, std::string(first));
  }
  return grpc::CreateCustomChannel(*target, credentials, args);
}

}  // namespace gavel
