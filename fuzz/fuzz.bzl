"""libFuzzer targets that build in the plain configuration (`bazel test //...`, no --config).

A fuzzer is only as good as its coverage feedback, so the code under test must be compiled with
clang's coverage instrumentation and sanitizers too, not only the harness. `gavel_fuzz_test` does
that with a configuration transition: the harness and everything it depends on from this
workspace are rebuilt with -fsanitize=fuzzer-no-link,address,undefined (system libraries from
Debian are not; ASan still sees their heap through its malloc). Sanitizer flags already on the
command line (--config=asan, --config=tsan) are replaced, since ThreadSanitizer cannot be combined
with AddressSanitizer. The runtime is libclang_rt.fuzzer from libclang-rt-14-dev (setup.sh).

    gavel_fuzz_test(
        name = "token_fuzzer",
        srcs = ["token_fuzzer.cc"],
        deps = ["//billing:token"],
    )

gives :token_fuzzer (the instrumented fuzzer, `bazel run` it or see run.sh) and
:token_fuzzer_smoke, a test that runs it for a few seconds over corpus/token_fuzzer/.
"""

_FUZZ_COPTS = [
    "-fsanitize=fuzzer-no-link,address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
    "-O1",
    "-g",
]

_FUZZ_LINKOPTS = [
    "-fsanitize=fuzzer,address,undefined",
    "-fsanitize-link-c++-runtime",
]

def _not_sanitizer(flag):
    return not (flag.startswith("-fsanitize") or flag.startswith("-fno-sanitize") or
                flag == "-DGAVEL_TSAN")

def _fuzz_transition_impl(settings, attr):
    copts = [f for f in settings["//command_line_option:copt"] if _not_sanitizer(f)]
    linkopts = [f for f in settings["//command_line_option:linkopt"] if _not_sanitizer(f)]
    return {
        "//command_line_option:copt": copts + _FUZZ_COPTS,
        "//command_line_option:linkopt": linkopts + _FUZZ_LINKOPTS,
        "//command_line_option:strip": "never",
    }

_fuzz_transition = transition(
    implementation = _fuzz_transition_impl,
    inputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
    outputs = [
        "//command_line_option:copt",
        "//command_line_option:linkopt",
        "//command_line_option:strip",
    ],
)

def _fuzz_binary_impl(ctx):
    binary = ctx.attr.binary
    if type(binary) == "list":
        binary = binary[0]
    info = binary[DefaultInfo]
    exe = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = exe, target_file = info.files_to_run.executable, is_executable = True)
    return [DefaultInfo(executable = exe, runfiles = ctx.runfiles(files = [exe]).merge(info.default_runfiles))]

_fuzz_binary = rule(
    implementation = _fuzz_binary_impl,
    attrs = {
        "binary": attr.label(cfg = _fuzz_transition, executable = True, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    executable = True,
)

def gavel_fuzz_test(name, srcs, deps, smoke_seconds = 3):
    """A libFuzzer target `name` and its smoke test `name`_smoke over corpus/`name`/."""
    native.cc_binary(
        name = name + "_uninstrumented",
        srcs = srcs,
        deps = deps,
        # Has no main() of its own: only linkable with the fuzzer's flags, i.e. through :name.
        tags = ["manual"],
        visibility = ["//visibility:private"],
    )
    _fuzz_binary(
        name = name,
        binary = ":" + name + "_uninstrumented",
    )
    native.filegroup(
        name = name + "_corpus",
        srcs = native.glob(["corpus/" + name + "/*"]),
    )
    native.sh_test(
        name = name + "_smoke",
        size = "small",
        srcs = ["smoke_test.sh"],
        args = [
            "$(rootpath :%s)" % name,
            native.package_name() + "/corpus/" + name,
            str(smoke_seconds),
        ],
        data = [
            ":" + name,
            ":" + name + "_corpus",
        ],
    )
