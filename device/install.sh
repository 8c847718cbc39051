#!/usr/bin/env bash
# Installs EdgeCL onto a device (or into a staging root for images and tests):
#   /opt/edgecl/            the published folder (edgecl + native libraries)
#   /opt/edgecl/models/     every backbone whose files match the sha256 entries of its backbone.json
#   /etc/edgecl/device.json the config (an existing one is never overwritten)
#   /var/lib/edgecl/        the state folder, owned by the edgecl system user
#   /etc/systemd/system/    edgecl.service (+ edgecl-mic / edgecl-camera when the config reads their FIFO)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
root=""
from="$repo/artifacts/publish/linux-arm64"
models="$repo/models"
config=""
systemctl_enabled=1

usage() {
  cat <<USAGE
Usage: device/install.sh [--from DIR] [--models DIR] [--config FILE] [--root DIR] [--no-systemctl]

  --from DIR       published folder holding the edgecl binary (default: artifacts/publish/linux-arm64, from ./publish.sh --rid linux-arm64)
  --models DIR     models folder (default: the repository's models/); each backbone is verified against its backbone.json
  --config FILE    device config to install as /etc/edgecl/device.json (kept if one exists); examples in device/configs/
  --root DIR       install under DIR instead of / (image builds, tests); users are created only if DIR/etc/passwd exists
  --no-systemctl   install the units but do not enable or start them
USAGE
}

die() { echo "install.sh: $*" >&2; exit 1; }
note() { echo "install.sh: $*"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) [[ $# -ge 2 ]] || die "--from needs a folder"; from="$2"; shift 2 ;;
    --models) [[ $# -ge 2 ]] || die "--models needs a folder"; models="$2"; shift 2 ;;
    --config) [[ $# -ge 2 ]] || die "--config needs a file"; config="$2"; shift 2 ;;
    --root) [[ $# -ge 2 ]] || die "--root needs a folder"; root="${2%/}"; shift 2 ;;
    --no-systemctl) systemctl_enabled=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

[[ -f "$from/edgecl" ]] || die "no edgecl binary in '$from'; run ./publish.sh --rid linux-arm64 first or pass --from DIR"
[[ -z "$config" || -f "$config" ]] || die "config '$config' does not exist; see device/configs/ for examples"
[[ -d "$models" ]] || die "models folder '$models' does not exist; pass --models DIR"
if [[ -z "$root" && $EUID -ne 0 ]]; then
  die "installing into / needs root; run with sudo, or use --root DIR to stage"
fi
command -v sha256sum >/dev/null || die "sha256sum is missing (coreutils)"
command -v jq >/dev/null || command -v python3 >/dev/null || die "reading backbone.json needs jq or python3; install one (apt install jq)"

# --- binary -----------------------------------------------------------------------------------------------------
opt="$root/opt/edgecl"
install -d -m 0755 "$opt"
# Copy the published folder as it is (binary, libonnxruntime.so, ...), leaving models/ to the verified step below.
(cd "$from" && find . -mindepth 1 -maxdepth 1 ! -name models -exec cp -a {} "$opt/" \;)
chmod 0755 "$opt/edgecl"
note "installed $(du -sh "$opt" | cut -f1) from $from to $opt"

# --- models -----------------------------------------------------------------------------------------------------
manifest_files() {  # prints "sha256 path" per files entry of a backbone.json
  if command -v jq >/dev/null; then
    jq -r '.files[]? | "\(.sha256) \(.path)"' "$1"
  else
    python3 -c 'import json,sys; [print(f["sha256"], f["path"]) for f in json.load(open(sys.argv[1])).get("files", [])]' "$1"
  fi
}

installed_models=()
for manifest in "$models"/*/backbone.json; do
  [[ -f "$manifest" ]] || continue
  src="$(dirname "$manifest")"
  name="$(basename "$src")"
  entries="$(manifest_files "$manifest")" || die "$manifest is not valid JSON; fix it or remove that model"
  missing=""
  while read -r sum path; do
    [[ -n "$path" ]] || continue
    if [[ ! -f "$src/$path" ]]; then missing="$path"; break; fi
    actual="$(sha256sum "$src/$path" | cut -d' ' -f1)"
    [[ "$actual" == "$sum" ]] || die "model $name: $path has sha256 $actual but backbone.json says $sum; re-fetch it (models/$name/fetch.sh) or re-export it"
  done <<< "$entries"
  if [[ -n "$missing" ]]; then
    note "skipping model $name: $missing is missing (run models/$name/fetch.sh on a machine that can fetch it)"
    continue
  fi
  dest="$root/opt/edgecl/models/$name"
  install -d -m 0755 "$dest"
  install -m 0644 "$manifest" "$dest/backbone.json"
  [[ -f "$src/MODEL_CARD.md" ]] && install -m 0644 "$src/MODEL_CARD.md" "$dest/"
  while read -r _ path; do
    [[ -n "$path" ]] || continue
    install -d -m 0755 "$(dirname "$dest/$path")"
    install -m 0644 "$src/$path" "$dest/$path"
  done <<< "$entries"
  # Models used beside the backbone but not in its manifest (silero_vad.onnx next to speech) go along unverified.
  for extra in "$src"/*.onnx; do
    [[ -f "$extra" && ! -f "$dest/$(basename "$extra")" ]] || continue
    install -m 0644 "$extra" "$dest/"
    note "model $name: $(basename "$extra") is not in backbone.json, copied without a checksum"
  done
  installed_models+=("$name")
done
[[ ${#installed_models[@]} -gt 0 ]] || note "no model installed; the agent needs the backbone its config names"
[[ ${#installed_models[@]} -eq 0 ]] || note "models verified and installed: ${installed_models[*]}"

# --- config -----------------------------------------------------------------------------------------------------
etc="$root/etc/edgecl"
install -d -m 0755 "$etc"
if [[ -f "$etc/device.json" ]]; then
  note "keeping the existing $etc/device.json"
elif [[ -n "$config" ]]; then
  install -m 0640 "$config" "$etc/device.json"
  note "installed $config as $etc/device.json"
else
  note "no config installed; copy one of device/configs/*.json to $etc/device.json and edit it"
fi

# --- user and state folder --------------------------------------------------------------------------------------
groups=()
if [[ -z "$root" || -f "$root/etc/passwd" ]]; then
  for group in gpio audio video; do
    if [[ -z "$root" ]] && getent group "$group" >/dev/null; then groups+=("$group");
    elif [[ -n "$root" ]] && grep -q "^$group:" "$root/etc/group" 2>/dev/null; then groups+=("$group"); fi
  done
  root_args=()
  [[ -z "$root" ]] || root_args=(--root "$root")
  if ! grep -q '^edgecl:' "$root/etc/passwd"; then
    useradd "${root_args[@]}" --system --user-group --home-dir /var/lib/edgecl --no-create-home --shell /usr/sbin/nologin edgecl
    note "created the system user edgecl"
  fi
  if [[ ${#groups[@]} -gt 0 ]]; then
    usermod "${root_args[@]}" -a -G "$(IFS=,; echo "${groups[*]}")" edgecl
    note "edgecl is in the groups: ${groups[*]}"
  fi
else
  note "no $root/etc/passwd: not creating the edgecl user in the staging root (the image build must)"
fi
install -d -m 0750 "$root/var/lib/edgecl"
if grep -q '^edgecl:' "$root/etc/passwd" 2>/dev/null; then
  chown -R "$(grep '^edgecl:' "$root/etc/passwd" | cut -d: -f3,4)" "$root/var/lib/edgecl"
fi

# --- systemd units ----------------------------------------------------------------------------------------------
units="$root/etc/systemd/system"
install -d -m 0755 "$units" "$units/edgecl.service.d"
install -m 0644 "$here/edgecl.service" "$here/edgecl-mic.service" "$here/edgecl-camera.service" "$units/"
# Only groups that exist: systemd refuses to start a unit whose SupplementaryGroups names a missing group.
{
  echo "# Written by device/install.sh: the supplementary groups this system has."
  echo "[Service]"
  echo "SupplementaryGroups="
  [[ ${#groups[@]} -eq 0 ]] || echo "SupplementaryGroups=${groups[*]}"
} > "$units/edgecl.service.d/10-groups.conf"

to_enable=(edgecl.service)
live_config="$etc/device.json"
if [[ -f "$live_config" ]]; then
  grep -q '/run/edgecl-mic/mic.fifo' "$live_config" && to_enable+=(edgecl-mic.service)
  grep -q '/run/edgecl-camera/frames.fifo' "$live_config" && to_enable+=(edgecl-camera.service)
fi
if [[ $systemctl_enabled -eq 0 ]]; then
  note "units installed in $units; enable them with: systemctl daemon-reload && systemctl enable --now ${to_enable[*]}"
elif [[ -n "$root" ]]; then
  systemctl --root="$root" enable "${to_enable[@]}"
  note "enabled in $root: ${to_enable[*]}"
else
  systemctl daemon-reload
  systemctl enable --now "${to_enable[@]}"
  note "enabled and started: ${to_enable[*]} (journalctl -u edgecl -f)"
fi
note "done"
