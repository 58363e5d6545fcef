#!/usr/bin/env bash
# Installs the Debian bookworm packages Switchboard needs to build, test and benchmark.
# Idempotent: installs only what is missing, so `make run` / `make test` can call it every time.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libboost1.81-dev libssl-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev libhowardhinnant-date-dev tzdata libsqlite3-dev
  libsodium-dev libspandsp-dev libsndfile1-dev libspeexdsp-dev flite espeak-ng sox
  sip-tester sipsak baresip python3 procps iproute2
  libpq-dev postgresql wrk
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages and not root; run: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
