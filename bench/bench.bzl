"""gavel_benchmark: a Google Benchmark binary plus a smoke test that runs every case once, briefly.

The smoke test keeps benchmarks compiling and crash-free in `bazel test //...` without timing
anything; real measurements are run by hand with `bazel run -c opt //bench:NAME`.
"""

def gavel_benchmark(name, srcs, deps = [], data = [], smoke_args = [], **kwargs):
    native.cc_binary(
        name = name,
        srcs = srcs,
        deps = deps + ["@sys//:benchmark"],
        data = data,
        **kwargs
    )
    native.sh_test(
        name = name + "_smoke",
        size = "medium",
        srcs = ["//bench:smoke.sh"],
        args = ["$(location :%s)" % name] + smoke_args,
        data = [":" + name] + data,
    )
