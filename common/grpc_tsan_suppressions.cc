// ThreadSanitizer suppressions for C++ tests that run Debian's gRPC in-process. TSAN reads this
// hook at start-up, so `bazel test --config=tsan` needs no extra flags. Debian's gRPC is not built
// with TSAN: its internal synchronisation (epoll, its own mutexes over Abseil) is invisible, and
// TSAN reports races inside it. Only reports with a gRPC, gpr or Abseil frame are suppressed;
// races among our own threads in our own code are still reported. Keep in step with
// grpc_tsan.supp, the same list for the binaries that sh_tests run.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libgrpc.so\n"
         "race:libgrpc++.so\n"
         "race:libgpr.so\n"
         "race:libupb.so\n"
         "race:libabsl_\n"
         // gRPC's inline call code (compiled into our binaries) handing status and error details
         // to and from gRPC's own threads: the hand-off is inside the uninstrumented library.
         "race:grpc::internal::CallOp\n"
         // Finishing a callback call from another thread than the one gRPC ran the handler on:
         // the call object's hand-off between gRPC's threads is invisible to TSAN.
         "race:ServerCallbackUnaryImpl::Finish\n"
         "called_from_lib:libgrpc.so\n"
         "called_from_lib:libgpr.so\n";
}
