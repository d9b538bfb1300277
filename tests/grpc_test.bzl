"""grpc_cc_test: a cc_test that runs Debian's gRPC (a server, a client, or both).

It links //common:grpc_tsan_suppressions statically, so under --config=tsan the suppressions hook
is in the executable, where ThreadSanitizer looks for it (a shared library's copy loses to the
runtime's weak default). Debian's gRPC is not built with TSAN; see the hook's source.
"""

def grpc_cc_test(name, deps = [], **kwargs):
    native.cc_test(
        name = name,
        linkstatic = True,
        deps = deps + ["//common:grpc_tsan_suppressions"],
        **kwargs
    )
