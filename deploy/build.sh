#!/usr/bin/env bash
# Build the Lambda function package from manylinux wheels, whatever machine this runs on:
#   deploy/build/function/              what template.yaml's CodeUri points at (sam deploy zips it)
#   deploy/build/ecs-net-audit-lambda.zip   the same as one zip, for `aws lambda update-function-code`
# and print its unzipped size against Lambda's 250 MB limit (zip + layers, unzipped).
# Usage: deploy/build.sh [PYTHON_VERSION]   (default 3.12, the template's runtime)
set -euo pipefail
cd "$(dirname "$0")"
PY_VERSION="${1:-3.12}"
OUT=build/function
LIMIT=$((250 * 1024 * 1024))

rm -rf build
mkdir -p "$OUT" build/wheel
python3 -m pip wheel --quiet --no-deps --wheel-dir build/wheel ..
python3 -m pip install --quiet --no-compile \
    --platform manylinux2014_x86_64 --implementation cp --python-version "$PY_VERSION" \
    --only-binary=:all: --target "$OUT" build/wheel/*.whl
# Nothing the function imports: test suites and caches of the dependencies.
rm -rf "$OUT"/pandas/tests "$OUT"/numpy/*/tests "$OUT"/numpy/tests "$OUT"/bin
find "$OUT" -name __pycache__ -type d -prune -exec rm -rf {} +
(cd "$OUT" && python3 -c "
import os, zipfile
with zipfile.ZipFile('../ecs-net-audit-lambda.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for root, dirs, files in os.walk('.'):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            z.write(path, os.path.relpath(path, '.'))
")
unzipped=$(find "$OUT" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
zipped=$(stat -c %s build/ecs-net-audit-lambda.zip)
echo "package: $((unzipped / 1024 / 1024)) MiB unzipped (Lambda's limit: 250 MB), $((zipped / 1024 / 1024)) MiB zipped"
if [ "$unzipped" -gt "$LIMIT" ]; then
    echo "too large for a zip package: use a container image (see README, Run it every night)" >&2
    exit 1
fi
