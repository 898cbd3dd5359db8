#!/usr/bin/env bash
# Installs, from Debian's archive only, whatever the build, the tests and the
# benchmarks need and this machine lacks. Safe to run again: it asks apt-get
# only when a package is missing.
set -euo pipefail

packages=(
	make gcc clang llvm pkg-config bpftool linux-libc-dev
	libbpf-dev libelf-dev zlib1g-dev
	libyaml-dev libjson-c-dev libssl-dev libisal-dev libsystemd-dev
	libseccomp-dev libyara-dev libcap-dev libcairo2-dev xz-utils
	libcmocka-dev libcrypt-dev clang-format libclang-rt-dev
	gdb util-linux procps iproute2 jq openssl btrfs-progs
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root (apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
