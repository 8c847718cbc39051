#!/usr/bin/env bash
# publish.sh - trimmed Native AOT builds of the edgecl CLI for Linux edge devices.
#
#   ./publish.sh [--rid linux-x64|linux-arm64|all] [--profile full|device] [--cuda]
#                [--ort-native DIR] [--out DIR] [--no-smoke]
#
#   --rid RID         what to build (default: all = linux-x64 and linux-arm64)
#   --profile P       full (default): everything, eval's plots included (the laptop);
#                     device: no plotting library (ScottPlot/SkiaSharp/HarfBuzz), for devices
#   --cuda            linux-x64 against Microsoft.ML.OnnxRuntime.Gpu.Linux: ships the CUDA and
#                     TensorRT provider libraries next to edgecl (needs CUDA 13 + cuDNN 9 to use; edgecl doctor checks)
#   --ort-native DIR  build against Microsoft.ML.OnnxRuntime.Managed only and ship
#                     DIR/libonnxruntime.so* + DIR/libonnxruntime_providers_*.so next to
#                     the binary (a self-built ONNX Runtime, e.g. Jetson CUDA/TensorRT)
#   --out DIR         output root (default: artifacts/publish); the app lands in DIR/<rid>/
#                     (DIR/<rid>-device/, DIR/linux-x64-cuda/), split debug symbols in
#                     DIR/symbols/<that name>/, build logs in DIR/logs/
#   --no-smoke        build and check only; do not run the binaries
#
# The publish fails on ANY warning in the build log (IL2xxx trim, IL3xxx AOT, or other).
# linux-arm64 is cross-compiled on an x86-64 host with clang + lld and smoke-tested under
# qemu-user (ops/publish/smoke.sh). Missing build tools are installed with apt-get when run
# as root (as ops/setup.sh does); otherwise the exact apt-get line is printed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT="$ROOT/src/EdgeCL.Cli/EdgeCL.Cli.csproj"
SMOKE="$ROOT/ops/publish/smoke.sh"
APP=edgecl

die()  { echo "publish.sh: error: $*" >&2; exit 1; }
say()  { echo "publish.sh: $*"; }
usage() { sed -n '4,19p' "$ROOT/publish.sh" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

# --- arguments ---------------------------------------------------------------
RID_ARG=all
ORT_NATIVE=
PROFILE=full
CUDA=0
OUT="$ROOT/artifacts/publish"
SMOKE_ON=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rid)        [ $# -ge 2 ] || die "--rid needs a value"; RID_ARG=$2; shift 2 ;;
    --rid=*)      RID_ARG=${1#*=}; shift ;;
    --ort-native) [ $# -ge 2 ] || die "--ort-native needs a directory"; ORT_NATIVE=$2; shift 2 ;;
    --ort-native=*) ORT_NATIVE=${1#*=}; shift ;;
    --profile)    [ $# -ge 2 ] || die "--profile needs full or device"; PROFILE=$2; shift 2 ;;
    --profile=*)  PROFILE=${1#*=}; shift ;;
    --cuda)       CUDA=1; shift ;;
    --out)        [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift 2 ;;
    --out=*)      OUT=${1#*=}; shift ;;
    --no-smoke)   SMOKE_ON=0; shift ;;
    -h|--help)    usage 0 ;;
    *)            echo "publish.sh: error: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
done
case "$RID_ARG" in
  all) RIDS=(linux-x64 linux-arm64) ;;
  linux-x64|linux-arm64) RIDS=("$RID_ARG") ;;
  *) die "unsupported --rid '$RID_ARG' (linux-x64, linux-arm64 or all)" ;;
esac
case "$PROFILE" in full|device) ;; *) die "unsupported --profile '$PROFILE' (full or device)" ;; esac
if [ "$CUDA" = 1 ]; then
  [ -z "$ORT_NATIVE" ] || die "--cuda and --ort-native both pick the ONNX Runtime library; pass one of them"
  case "$RID_ARG" in
    all|linux-x64) RIDS=(linux-x64) ;;
    *) die "--cuda builds linux-x64 only (NuGet's Gpu.Linux package); for a Jetson pass --ort-native with a self-built ONNX Runtime" ;;
  esac
fi
mkdir -p "$OUT" || die "cannot create output folder $OUT"
OUT=$(cd "$OUT" && pwd)
if [ -n "$ORT_NATIVE" ]; then
  [ -d "$ORT_NATIVE" ] || die "--ort-native $ORT_NATIVE: not a directory"
  ORT_NATIVE=$(cd "$ORT_NATIVE" && pwd)
  [ -e "$ORT_NATIVE/libonnxruntime.so" ] || compgen -G "$ORT_NATIVE/libonnxruntime.so.*" >/dev/null \
    || die "--ort-native $ORT_NATIVE: no libonnxruntime.so* in it"
fi

# --- prerequisites -----------------------------------------------------------
# Debian packages per build; installed with apt-get when run as root (like ops/setup.sh), else the exact line is printed.
HOST_ARCH=$(uname -m)
command -v dotnet >/dev/null 2>&1 || die "dotnet not found (install the .NET 10 SDK)"
missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }
command -v dpkg-query >/dev/null 2>&1 || die "not a Debian/Ubuntu host (no dpkg-query); install clang, lld, binutils and, for linux-arm64, an aarch64 cross toolchain and qemu-user by hand"
need_pkg clang; need_pkg binutils
for rid in "${RIDS[@]}"; do
  case "$rid:$HOST_ARCH" in
    linux-x64:x86_64|linux-arm64:aarch64) ;;
    linux-arm64:x86_64)
      need_pkg lld; need_pkg gcc-aarch64-linux-gnu; need_pkg libc6-dev-arm64-cross
      if [ "$SMOKE_ON" = 1 ]; then need_pkg qemu-user-static; need_pkg libssl3:arm64; need_pkg libstdc++6:arm64; fi ;;
    *) die "cannot build $rid on a $HOST_ARCH host (supported: x86-64 host for both RIDs, aarch64 host for linux-arm64)" ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  add_arch=
  if printf '%s\n' "${missing[@]}" | grep -q ':arm64$' && ! dpkg --print-foreign-architectures | grep -qx arm64; then add_arch=1; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "publish.sh: error: missing Debian packages: ${missing[*]}; run: ${add_arch:+sudo dpkg --add-architecture arm64 && }sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  [ -z "$add_arch" ] || dpkg --add-architecture arm64
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi

# ONNX Runtime version the managed binding was built for (central package management).
ORT_MANAGED_VERSION=$(sed -n 's/.*Include="Microsoft\.ML\.OnnxRuntime\.Managed" *Version="\([^"]*\)".*/\1/p' \
  "$ROOT/Directory.Packages.props" | head -n 1)
[ -n "$ORT_MANAGED_VERSION" ] || die "cannot read the Microsoft.ML.OnnxRuntime.Managed version from Directory.Packages.props"

# --- helpers -------------------------------------------------------------------
elf_machine() { readelf -h "$1" 2>/dev/null | sed -n 's/^ *Machine: *//p'; }
expect_machine() {  # FILE RID
  local m; m=$(elf_machine "$1")
  case "$2:$m" in
    linux-x64:*X86-64*|linux-arm64:*AArch64*) ;;
    *) die "$(basename "$1") is '${m:-not ELF}', not a $2 binary" ;;
  esac
}
# highest symbol version with PREFIX (GLIBC / GLIBCXX) the file needs, e.g. GLIBC_2.34
max_symver() { objdump -T "$1" 2>/dev/null | grep -oE "\b$2_[0-9]+(\.[0-9]+)*\b" | sort -uV | tail -n 1 || true; }
# ONNX Runtime exports its C API under the symbol version VERS_<version>.
ort_version() { objdump -T "$1" 2>/dev/null | grep -oE '\bVERS_[0-9]+\.[0-9]+\.[0-9]+\b' | head -n 1 | sed 's/^VERS_//' || true; }
ver_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" = "$1" ]; }  # A >= B
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

# A self-built ONNX Runtime: check architecture and version before spending minutes on AOT.
if [ -n "$ORT_NATIVE" ]; then
  ort_lib=$(readlink -f "$ORT_NATIVE/libonnxruntime.so" 2>/dev/null || true)
  [ -f "$ort_lib" ] || ort_lib=$( (ls "$ORT_NATIVE"/libonnxruntime.so.* 2>/dev/null || true) | sort -V | tail -n 1)
  ort_machine=$(elf_machine "$ort_lib")
  case "$ort_machine" in
    *AArch64*) ort_rid=linux-arm64 ;;
    *X86-64*)  ort_rid=linux-x64 ;;
    *) die "--ort-native: $ort_lib is not an x86-64 or AArch64 ELF library" ;;
  esac
  for rid in "${RIDS[@]}"; do
    [ "$rid" = "$ort_rid" ] || die "--ort-native: $(basename "$ort_lib") is $ort_rid, cannot ship it in $rid (pass --rid $ort_rid)"
  done
  ort_native_ver=$(ort_version "$ort_lib")
  if [ -n "$ort_native_ver" ] && ! ver_ge "$ort_native_ver" "$ORT_MANAGED_VERSION"; then
    die "--ort-native: $(basename "$ort_lib") is ONNX Runtime $ort_native_ver, older than the managed binding $ORT_MANAGED_VERSION (native must be >= managed)"
  fi
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

STAGE=
trap '[ -z "$STAGE" ] || rm -rf "$STAGE"' EXIT
declare -A R_BIN R_DIR R_GLIBC R_ORT_GLIBC R_TIME R_SMOKE R_NAME

publish_one() {
  local rid=$1
  local name=$rid
  [ "$CUDA" = 0 ] || name=$rid-cuda
  [ "$PROFILE" = full ] || name=$name-$PROFILE
  local dest="$OUT/$name" stage="$OUT/.$name.staging" symbols="$OUT/symbols/$name"
  local log="$OUT/logs/publish-$name.log"
  local variant=nuget; [ -z "$ORT_NATIVE" ] || variant=native; [ "$CUDA" = 0 ] || variant=cuda
  variant=$variant-$PROFILE
  local t0=$SECONDS
  mkdir -p "$OUT/logs"
  rm -rf "$stage"; STAGE=$stage

  local args=(publish "$PROJECT" -c Release -r "$rid" -o "$stage"
    --artifacts-path "$ROOT/artifacts/build/publish-$variant"
    -p:PublishAot=true -p:InvariantGlobalization=true
    -tl:off -v:minimal -clp:NoSummary -nologo)
  if [ "$rid" = linux-arm64 ] && [ "$HOST_ARCH" = x86_64 ]; then
    # Cross-compile: clang --target=aarch64-linux-gnu finds the Debian cross toolchain by
    # itself. No SysRoot: Debian's cross libc.so linker script names absolute paths.
    args+=(-p:CppCompilerAndLinker=clang -p:LinkerFlavor=lld -p:ObjCopyName=aarch64-linux-gnu-objcopy)
  fi
  [ -z "$ORT_NATIVE" ] || args+=(-p:EdgeClNativeOrt=true)
  [ "$CUDA" = 0 ] || args+=(-p:EdgeClCuda=true)
  [ "$PROFILE" = full ] || args+=(-p:EdgeClPlots=false)

  say "[$rid] dotnet ${args[*]}"
  local rc=0
  dotnet "${args[@]}" >"$log" 2>&1 || rc=$?
  # Any warning fails the publish (trim/AOT analysis included); the summary line is excluded.
  local warns
  warns=$(grep -iE 'warning' "$log" | grep -vE '^[[:space:]]*[0-9]+ Warning\(s\)' | sort -u || true)
  if [ "$rc" != 0 ]; then
    grep -iE '(error|warning)' "$log" | sort -u >&2 || tail -n 30 "$log" >&2
    die "[$rid] dotnet publish failed (exit $rc); full log: $log"
  fi
  if [ -n "$warns" ]; then
    printf '%s\n' "$warns" >&2
    die "[$rid] the build log has $(printf '%s\n' "$warns" | wc -l) warning line(s) (treated as errors); full log: $log"
  fi
  [ -x "$stage/$APP" ] || die "[$rid] publish produced no $APP executable in $stage"

  # Linux-only output: drop ONNX Runtime's Windows DLLs and managed .pdb files and XML docs; keep the
  # split native debug symbols (.dbg) in a separate folder.
  find "$stage" -type f \( -iname '*.dll' -o -iname '*.pdb' -o -iname '*.lib' -o -iname '*.xml' \) -delete
  # Iot.Device.Bindings depends on System.IO.Ports, whose native shim is copied though no serial port code survives
  # trimming (edgecl uses only the binding's SSD1306 and WS2812B drivers).
  rm -f "$stage/libSystem.IO.Ports.Native.so"
  rm -rf "$symbols"; mkdir -p "$symbols"
  find "$stage" -type f -name '*.dbg' -exec mv -t "$symbols" {} +

  if [ -n "$ORT_NATIVE" ]; then
    rm -f "$stage"/libonnxruntime*.so*
    local f n=0
    for f in "$ORT_NATIVE"/libonnxruntime.so* "$ORT_NATIVE"/libonnxruntime_providers_*.so; do
      [ -e "$f" ] || [ -L "$f" ] || continue
      cp -P "$f" "$stage/"; n=$((n + 1))
    done
    [ -e "$stage/libonnxruntime.so" ] \
      || die "[$rid] --ort-native: libonnxruntime.so missing (or a dangling link) after copying from $ORT_NATIVE"
    say "[$rid] copied $n ONNX Runtime file(s) from $ORT_NATIVE"
  fi
  [ -e "$stage/libonnxruntime.so" ] || die "[$rid] libonnxruntime.so is not in the publish output"
  if [ "$CUDA" = 1 ]; then
    local p
    for p in shared cuda tensorrt; do
      [ -f "$stage/libonnxruntime_providers_$p.so" ] || die "[$rid] --cuda: libonnxruntime_providers_$p.so is not in the publish output"
    done
    say "[$rid] CUDA/TensorRT provider libraries ship next to $APP; they need (ldd): $(for p in cuda tensorrt; do readelf -d "$stage/libonnxruntime_providers_$p.so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'; done | grep -vE '^(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|ld-linux.*|libonnxruntime_providers_shared)\.so' | sort -u | tr '\n' ' ')"
  fi
  if [ "$PROFILE" = device ] && compgen -G "$stage/lib*Skia*" >/dev/null; then
    die "[$rid] --profile device: a plotting library is in the output ($(cd "$stage" && ls lib*Skia* lib*HarfBuzz* 2>/dev/null | tr '\n' ' '))"
  fi

  expect_machine "$stage/$APP" "$rid"
  local lib
  for lib in "$stage"/*.so "$stage"/*.so.*; do
    if [ -f "$lib" ] && [ ! -L "$lib" ]; then expect_machine "$lib" "$rid"; fi
  done

  # ONNX Runtime version check: native must be >= managed binding (ideally equal).
  local native_ver; native_ver=$(ort_version "$stage/libonnxruntime.so")
  if [ -z "$native_ver" ]; then
    say "[$rid] WARNING: cannot tell the native ONNX Runtime version (no VERS_x.y.z symbols); it must be >= $ORT_MANAGED_VERSION"
  elif ! ver_ge "$native_ver" "$ORT_MANAGED_VERSION"; then
    die "[$rid] native ONNX Runtime $native_ver is older than the managed binding $ORT_MANAGED_VERSION (native must be >= managed; rebuild ONNX Runtime $ORT_MANAGED_VERSION)"
  elif [ "$native_ver" != "$ORT_MANAGED_VERSION" ]; then
    say "[$rid] WARNING: native ONNX Runtime $native_ver != managed binding $ORT_MANAGED_VERSION (works while native is newer; equal is the tested setup)"
  else
    say "[$rid] ONNX Runtime native $native_ver = managed $ORT_MANAGED_VERSION"
  fi

  rm -rf "$dest"; mv "$stage" "$dest"; STAGE=
  R_TIME[$rid]=$((SECONDS - t0)); R_NAME[$rid]=$name

  local bin_bytes dir_bytes
  bin_bytes=$(stat -c %s "$dest/$APP")
  dir_bytes=$(du -sb "$dest" | cut -f1)
  R_BIN[$rid]="$bin_bytes B ($(mib "$bin_bytes"))"
  R_DIR[$rid]="$dir_bytes B ($(mib "$dir_bytes"))"
  R_GLIBC[$rid]=$(max_symver "$dest/$APP" GLIBC)
  local ort_glibc ort_cxx
  ort_glibc=$(max_symver "$dest/libonnxruntime.so" GLIBC); ort_cxx=$(max_symver "$dest/libonnxruntime.so" GLIBCXX)
  R_ORT_GLIBC[$rid]="${ort_glibc:-none}${ort_cxx:+, $ort_cxx}"
  say "[$rid] published in ${R_TIME[$rid]} s -> $dest"
  find "$dest" -mindepth 1 -maxdepth 1 \( -type l -printf 'publish.sh:    %10s  %f -> %l\n' \) \
    -o -printf 'publish.sh:    %10s  %f\n' | sort -k3
  say "[$rid] binary $APP: ${R_BIN[$rid]}; folder: ${R_DIR[$rid]}; symbols: $symbols"
  say "[$rid] glibc floor: $APP ${R_GLIBC[$rid]:-none}; libonnxruntime.so ${R_ORT_GLIBC[$rid]}"

  R_SMOKE[$rid]=skipped
  [ "$SMOKE_ON" = 1 ] || return 0
  local run=()
  if [ "$rid" = linux-arm64 ] && [ "$HOST_ARCH" = x86_64 ]; then
    if [ -e /lib/ld-linux-aarch64.so.1 ]; then run=(qemu-aarch64-static -cpu cortex-a72); else run=(qemu-aarch64-static -cpu cortex-a72 -L /usr/aarch64-linux-gnu); fi
  fi
  say "[$rid] ${run[*]:+${run[*]} }$APP --version"
  local v; v=$(cd "$dest" && timeout 120 "${run[@]}" "./$APP" --version 2>&1) \
    || die "[$rid] '$APP --version' failed: $v"
  say "[$rid]    $v"
  say "[$rid] smoke test: ops/publish/smoke.sh $dest/$APP"
  local src=0
  bash "$SMOKE" "$dest/$APP" || src=$?
  case "$src" in
    0) R_SMOKE[$rid]=passed ;;
    3) R_SMOKE[$rid]="--version only (no ARM /proc/cpuinfo for qemu: not root or unshare refused)" ;;
    *) die "[$rid] smoke test failed (exit $src)" ;;
  esac
}

T_ALL=$SECONDS
for rid in "${RIDS[@]}"; do publish_one "$rid"; done

echo
say "summary (total $((SECONDS - T_ALL)) s${ORT_NATIVE:+, ONNX Runtime from $ORT_NATIVE})"
for rid in "${RIDS[@]}"; do
  printf 'publish.sh:   %-12s %s %s | folder %s | glibc %s (ORT %s) | %s s | smoke %s\n' \
    "${R_NAME[$rid]}" "$APP" "${R_BIN[$rid]}" "${R_DIR[$rid]}" "${R_GLIBC[$rid]:-none}" "${R_ORT_GLIBC[$rid]}" \
    "${R_TIME[$rid]}" "${R_SMOKE[$rid]}"
done
