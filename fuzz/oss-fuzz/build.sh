#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for crashdiff. Honours $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE
# $OUT (and $SRC/$WORK when set). Produces $OUT/crashdiff_fuzzer, its .options, .dict and seed-corpus zip.
#
# Distro protobuf is built against libstdc++: OSS-Fuzz's -stdlib=libc++ would leave undefined references,
# so it is removed from the flags here. MSan therefore is not supported (project.yaml).
ROOT="${CRASHDIFF_ROOT:-}"
if [ -z "$ROOT" ]; then
  if [ -n "${SRC:-}" ] && [ -f "$SRC/crashdiff/CMakeLists.txt" ]; then ROOT="$SRC/crashdiff"
  else ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"; fi
fi
: "${OUT:?set OUT}" "${CXX:=clang++}" "${CC:=clang}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
CXXFLAGS="${CXXFLAGS:-} "; CXXFLAGS="${CXXFLAGS//-stdlib=libc++ / }"
# Coverage scope (fuzz/README.md): SanitizerCoverage only in the models (fuzz/coverage_allowlist.txt); with
# libFuzzer's flags, also without indirect-call and comparison tracing -- the same scope as ./crashdiff's builds.
CXXFLAGS+=" -fsanitize-coverage-allowlist=$ROOT/fuzz/coverage_allowlist.txt"
if [[ "$CXXFLAGS" == *-fsanitize=fuzzer-no-link* ]]; then CXXFLAGS+=" -fno-sanitize-coverage=indirect-calls,trace-cmp"; fi
BUILD_DIR="${WORK:-/tmp}/crashdiff-ossfuzz-build"
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)

export LIB_FUZZING_ENGINE
cmake -S "$ROOT" -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCRASHDIFF_FUZZERS=ON -DCRASHDIFF_TESTS=OFF -DCRASHDIFF_BENCH=OFF -DProtobuf_USE_STATIC_LIBS=ON \
  -DCRASHDIFF_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$BUILD_DIR" --target crashdiff_fuzzer -j "$(nproc)"

mkdir -p "$OUT"
cp "$BUILD_DIR/fuzz/crashdiff_fuzzer" "$OUT/"
cp "$ROOT/fuzz/crashdiff_fuzzer.options" "$OUT/"
cp "$ROOT/corpus/dict/scenario.dict" "$OUT/"
rm -f "$OUT/crashdiff_fuzzer_seed_corpus.zip"
# Seeds are text-format scenarios (the harness reads text as well as binary); names get their family directory
# as a prefix, since zip -j would otherwise clash on seeds of the same name in two families.
STAGE="$(mktemp -d)"
(cd "$ROOT/corpus/seeds" && find . -name '*.textproto' | sort | while read -r f; do
  name="${f#./}"; cp "$f" "$STAGE/${name//\//_}"; done)
if [ -n "$(ls "$STAGE")" ]; then (cd "$STAGE" && zip -q "$OUT/crashdiff_fuzzer_seed_corpus.zip" ./*.textproto); fi
rm -rf "$STAGE"
