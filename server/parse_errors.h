// Turns a request that protobuf cannot parse into INVALID_ARGUMENT naming the field.
//
// gRPC 1.51's callback API answers a request whose bytes do not parse (most often a proto3 string
// field holding invalid UTF-8, such as a shopper's query) with UNIMPLEMENTED and no message. This
// server interceptor sees the failed parse and rewrites that status to INVALID_ARGUMENT, with the
// field protobuf named in its parse error, e.g.
//   "gavel.v1.RunAuctionRequest.query must be valid UTF-8".
//
//   InstallParseErrorCapture();  // once, before the server starts
//   builder.experimental().SetInterceptorCreators(ParseErrorInterceptors());
//
// Thread-safe. InstallParseErrorCapture replaces protobuf's process-wide log handler with one that
// still prints every message to stderr.
#ifndef GAVEL_SERVER_PARSE_ERRORS_H_
#define GAVEL_SERVER_PARSE_ERRORS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"

namespace gavel::server {

void InstallParseErrorCapture();

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
ParseErrorInterceptors();

// The message for a failed parse, given the protobuf error logged on this thread (may be empty).
std::string ParseErrorMessage(absl::string_view protobuf_error);

}  // namespace gavel::server

#endif  // GAVEL_SERVER_PARSE_ERRORS_H_
