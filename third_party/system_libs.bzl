"""Exposes Debian's system libraries to Bazel through pkg-config.

`system_libs(name = "sys")` creates `@sys` with one `cc_library` per group below. Each carries the
linker flags and preprocessor defines pkg-config reports. Most headers live in /usr/include, which
the compiler searches already; a group whose pkg-config names another include directory (libpq's
/usr/include/postgresql) gets that directory linked into `@sys` and added to its `includes`, so
Bazel knows the headers. Nothing is downloaded.
"""

_GROUPS = {
    "absl": [
        "absl_base",
        "absl_cord",
        "absl_flags",
        "absl_flags_parse",
        "absl_flags_usage",
        "absl_flat_hash_map",
        "absl_flat_hash_set",
        "absl_hash",
        "absl_random_bit_gen_ref",
        "absl_random_distributions",
        "absl_random_random",
        "absl_status",
        "absl_statusor",
        "absl_str_format",
        "absl_strings",
        "absl_synchronization",
        "absl_time",
        "absl_time_zone",
    ],
    "protobuf": ["protobuf"],
    "grpc": ["grpc++"],
    "openssl": ["libcrypto"],
    # CRC-32 for the billing ledger's record checksums.
    "zlib": ["zlib"],
    # XXH3-128: stable 128-bit hashes of event ids for the compact dedupe state.
    "xxhash": ["libxxhash"],
    "gtest": ["gmock", "gtest"],
    "gtest_main": ["gmock_main"],
    "benchmark": ["benchmark"],
    # PostgreSQL's C client library, under pg/ (the shared store of issue 12).
    "pq": ["libpq"],
    # cpp-httplib: the metrics and ad-operations HTTP port (server/http_endpoint).
    "httplib": ["cpp-httplib"],
    # ICU: NFKC case folding, the accent-folding transform and word breaking (targeting/normalize).
    "icu": ["icu-uc", "icu-i18n"],
    # Snowball stemmers (libstemmer-dev ships no .pc file: linked through _EXTRA_LINKOPTS).
    "stemmer": [],
}

# Libraries Debian ships without a .pc file of their own.
_EXTRA_LINKOPTS = {
    # Server reflection registers itself from a static initialiser, so it must not be dropped.
    "grpc": ["-Wl,--no-as-needed", "-lgrpc++_reflection", "-Wl,--as-needed"],
    "benchmark": ["-lbenchmark_main", "-lpthread"],
    "stemmer": ["-lstemmer"],
}

_DEPS = {
    "grpc": [":protobuf", ":absl"],
    "gtest_main": [":gtest"],
}

def _pkg_config(ctx, flag, modules):
    if not modules:
        return []
    result = ctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed (run ./setup.sh to install the packages): %s" %
             (flag, " ".join(modules), result.stderr))
    return [f for f in result.stdout.strip().split(" ") if f]

def _system_libs_impl(ctx):
    out = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, modules in _GROUPS.items():
        libs = _pkg_config(ctx, "--libs", modules) + _EXTRA_LINKOPTS.get(name, [])
        cflags = _pkg_config(ctx, "--cflags", modules)
        defines = [f[2:] for f in cflags if f.startswith("-D")]
        includes = []
        for i, d in enumerate([f[2:] for f in cflags if f.startswith("-I")]):
            if d.rstrip("/") == "/usr/include":
                continue
            link = "include/%s/%d" % (name, i)
            ctx.symlink(d, link)
            includes.append(link)
        out.append("cc_library(")
        out.append('    name = "%s",' % name)
        if includes:
            out.append("    hdrs = glob(%s)," % repr([d + "/**/*.h" for d in includes]))
            out.append("    includes = %s," % repr(includes))
        out.append("    linkopts = %s," % repr(libs))
        out.append("    defines = %s," % repr(defines))
        out.append("    deps = %s," % repr(_DEPS.get(name, [])))
        out.append(")")
        out.append("")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD", "\n".join(out))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
