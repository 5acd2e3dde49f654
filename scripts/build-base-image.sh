#!/usr/bin/env bash
# Builds chaosnet/base:bookworm (Debian bookworm minbase + Python 3.11) without any registry:
# debootstrap a root filesystem from the machine's own Debian mirror and `docker import` it.
# The mirror comes from apt's sources (URIs: line), or MIRROR=...; nothing is hard-coded.
# Skips the work when the image already exists (FORCE=1 rebuilds). Needs root; installs
# debootstrap with scripts/install-host-packages.sh when it is missing.
set -euo pipefail
IMAGE="${BASE_IMAGE:-chaosnet/base:bookworm}"
SUITE="${SUITE:-bookworm}"

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "base image: $IMAGE already present"
    exit 0
fi
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v debootstrap >/dev/null 2>&1; then
    # a fresh machine lacks it: install it (as root), or name the command that does
    "$(dirname "$0")/install-host-packages.sh" debootstrap
    command -v debootstrap >/dev/null 2>&1 || {
        echo "base image: debootstrap is missing; as root run:" \
            "apt-get update && apt-get install -y debootstrap" >&2
        exit 1
    }
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "base image: debootstrap needs root; run: sudo $0" >&2
    exit 1
fi
if [ -z "${MIRROR:-}" ]; then
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        MIRROR=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
        [ -n "$MIRROR" ] && break
    done
fi
if [ -z "${MIRROR:-}" ] && [ -f /etc/apt/sources.list ]; then
    MIRROR=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
fi
if [ -z "${MIRROR:-}" ]; then
    echo "base image: no Debian mirror found in apt sources; set MIRROR=http://..." >&2
    exit 1
fi

ROOTFS=$(mktemp -d /tmp/chaosnet-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS" "$ROOTFS.log"' EXIT
echo "base image: debootstrap $SUITE from $MIRROR"
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
    "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || { tail -20 "$ROOTFS.log" >&2; exit 1; }
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
echo "base image: importing as $IMAGE"
tar -C "$ROOTFS" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'LABEL chaosnet=1' \
    --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
echo "base image: $IMAGE ready"
