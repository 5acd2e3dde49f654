#!/usr/bin/env bash
# Puts a pinned toxiproxy-server into the virtualenv's bin/ unless one is already on PATH.
# Order: an existing toxiproxy-server on PATH → a static build from the Go module proxy (offline
# machines reach it) → the published release binary (machines with internet and no Go).
set -euo pipefail
VERSION="${TOXIPROXY_VERSION:-v2.12.0}"
VENV_BIN="${1:-.venv/bin}"
TOOLS="${TOOLS_DIR:-$PWD/.tools}"

if [ -x "$VENV_BIN/toxiproxy-server" ]; then exit 0; fi
if existing=$(command -v toxiproxy-server 2>/dev/null); then
    echo "toxiproxy: using $existing"
    exit 0
fi
mkdir -p "$TOOLS/bin"
if [ ! -x "$TOOLS/bin/toxiproxy-server" ]; then
    if command -v go >/dev/null 2>&1; then
        echo "toxiproxy: building $VERSION from the Go module proxy (static, CGO_ENABLED=0)"
        GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$TOOLS/bin" \
            go install -ldflags "-X github.com/Shopify/toxiproxy/v2.Version=$VERSION" \
            "github.com/Shopify/toxiproxy/v2/cmd/server@$VERSION"
        mv "$TOOLS/bin/server" "$TOOLS/bin/toxiproxy-server"
    else
        echo "toxiproxy: downloading release $VERSION"
        curl -fsSL -o "$TOOLS/bin/toxiproxy-server" \
            "https://github.com/Shopify/toxiproxy/releases/download/$VERSION/toxiproxy-server-linux-amd64"
        chmod +x "$TOOLS/bin/toxiproxy-server"
    fi
fi
ln -sf "$TOOLS/bin/toxiproxy-server" "$VENV_BIN/toxiproxy-server"
echo "toxiproxy: $("$VENV_BIN/toxiproxy-server" -version 2>&1 | head -1)"
