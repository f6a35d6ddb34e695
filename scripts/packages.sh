# Debian 12 packages this project needs, sourced by scripts/test and
# scripts/run-collectd. Add a package to the list of the step that needs it.

# Building the plugin.
P2POOL_BUILD_PACKAGES=(
  autoconf automake libtool pkg-config gcc libc6-dev make
  collectd-core collectd-dev
  libcurl4-openssl-dev libwebsockets-dev libjson-c-dev libhiredis-dev
)

# Running collectd with write_prometheus, whose libraries collectd-core only
# suggests, and the bundled replay observer of the demo.
P2POOL_RUN_PACKAGES=(
  libprotobuf-c1 libmicrohttpd12
  python3 python3-websockets curl
)

# The whole test suite: the two lists above, the unit and end-to-end test
# tools, and the static checkers.
P2POOL_TEST_PACKAGES=(
  "${P2POOL_BUILD_PACKAGES[@]}"
  "${P2POOL_RUN_PACKAGES[@]}"
  libcmocka-dev valgrind
  redis-server python3-pytest openssl
  clang-format clang-tidy cppcheck
  prometheus nix-bin python3-yaml
)

# Prints the packages of the arguments that are not installed.
p2pool_missing_packages() {
  local package
  for package in "$@"; do
    if [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]; then
      printf '%s\n' "$package"
    fi
  done
}

# Installs the packages of the arguments that are missing, with apt-get as
# root or through sudo. Returns non-zero when that is impossible or fails.
p2pool_install_packages() {
  local missing
  mapfile -t missing < <(p2pool_missing_packages "$@")
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi

  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "Missing Debian packages: ${missing[*]}" >&2
      echo "Run this script as root, or install them with apt-get." >&2
      return 1
    fi
    sudo=(sudo)
  fi

  echo "Installing Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}
