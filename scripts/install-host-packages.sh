#!/usr/bin/env bash
# Installs the host programs the tests need and pip cannot provide, from Debian's packages:
#   debootstrap  builds the offline Docker base image (scripts/build-base-image.sh)
#   chromium     drives the HTML report in a real browser (tests marked `browser`)
# Usage: scripts/install-host-packages.sh [debootstrap] [chromium]   (default: both)
#
# Idempotent and quick: a program already on PATH costs one lookup. As root it runs
# `apt-get update` once and `apt-get install -y` for what is missing; otherwise it names the
# command to run and exits 1 when CI is set (a CI machine must have everything), 0 on a
# developer's machine, where the tests that need the program skip and say why.
set -euo pipefail

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(debootstrap chromium)

missing=()
for program in "${wanted[@]}"; do
    case "$program" in
        debootstrap | chromium) ;;
        *) echo "host packages: unknown program '$program' (debootstrap, chromium)" >&2; exit 2 ;;
    esac
    # debootstrap lives in /usr/sbin, which a non-root PATH may lack
    if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$program" ]; then
        missing+=("$program")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "host packages: ${wanted[*]} present"
    exit 0
fi

command="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "host packages: ${missing[*]} missing; as root run: $command" >&2
    case "${CI:-}" in "" | 0 | false | no) exit 0 ;; *) exit 1 ;; esac
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "host packages: ${missing[*]} missing and there is no apt-get; install them with" \
        "this system's package manager" >&2
    exit 1
fi
echo "host packages: installing ${missing[*]} ($command)"
export DEBIAN_FRONTEND=noninteractive
# other apt users on the machine hold the lock for a while; wait for it rather than fail
apt=(apt-get -q -o DPkg::Lock::Timeout=600)
log=$(mktemp /tmp/chaosnet-apt.XXXXXX)
trap 'rm -f "$log"' EXIT
if ! { "${apt[@]}" update && "${apt[@]}" install -y "${missing[@]}"; } >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "host packages: apt-get failed; run by hand: $command" >&2
    exit 1
fi
for program in "${missing[@]}"; do
    if ! command -v "$program" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$program" ]; then
        echo "host packages: apt-get succeeded but '$program' is still not found" >&2
        exit 1
    fi
done
echo "host packages: ${missing[*]} installed"
