#!/usr/bin/env bash
# Gives a machine without a GPU a WebGPU adapter: Mesa's lavapipe, a Vulkan driver that
# runs on the CPU, which Dawn (inside the `webgpu` npm package) accepts from Mesa 24 on.
# Debian bookworm's own Mesa is 22.3 and Dawn rejects it, so on bookworm the driver comes
# from bookworm-backports. Needs root and apt; running it twice is harmless.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "install-lavapipe: run as root (apt-get is needed)" >&2
  exit 1
fi

mesa_major() {
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed -E 's/^([0-9]+:)?([0-9]+).*/\2/'
}

if [ "$(mesa_major || true)" -ge 24 ] 2>/dev/null && dpkg-query -W libvulkan1 >/dev/null 2>&1; then
  echo "lavapipe already installed: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
  exit 0
fi

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
target=()
if [ "$codename" = bookworm ]; then
  list=/etc/apt/sources.list.d/bookworm-backports.sources
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # Use the same mirror the machine already uses for bookworm.
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || { echo "install-lavapipe: cannot find the apt mirror" >&2; exit 1; }
    cat > "$list" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  target=(-t bookworm-backports)
fi

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${target[@]}" mesa-vulkan-drivers libvulkan1 >/dev/null
echo "installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
