#!/bin/sh
echo "bazel coverage is not supported in Gavel's offline build" >&2
exit 1
