#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Make a fresh Debian 12 machine ready to build, test and demo xtcp: install
# what is missing with apt-get and mount bpffs. Safe to run twice.
set -eu

pkgs=(make gcc clang llvm libclang-rt-14-dev libbpf-dev libxdp-dev bpftool libelf-dev zlib1g-dev
      iproute2 iputils-ping ethtool python3 hping3 curl util-linux
      wrk gnuplot-nox nftables man-db nginx-light python3-scapy haproxy)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing ${missing[*]}; run as root to install" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$(id -u)" -eq 0 ] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
	echo "deps: mounted bpffs on /sys/fs/bpf"
fi
echo "deps: ready"
