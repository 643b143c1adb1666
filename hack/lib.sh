# Shared by hack/*: Swift on PATH, the repo as working directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
need_root() {
  if [ "$(id -u)" -ne 0 ]; then echo "$0: run as root (podrig makes namespaces and mounts)" >&2; exit 1; fi
}
# What podrig's runs may leave on the machine, one line each, sorted: netns and links named pr-/podrig,
# podrig cgroups below the shared skeleton, the test roots' scratch, host iptables chains CNI plugins
# name. hack/test compares it before and after the suites.
podrig_leftovers() {
  { ip netns list 2>/dev/null | awk '{print "netns " $1}' | grep -E '^netns (pr-|podrig)' || true
    ip -br link 2>/dev/null | awk '{sub(/@.*/, "", $1); print "link " $1}' | grep -E '^link (pr-|podrig)' || true
    find /sys/fs/cgroup -mindepth 2 -maxdepth 7 -type d -path '*/podrig/*' 2>/dev/null \
      | grep -vE '/podrig/kubepods(/burstable|/besteffort)?$' \
      | sed -E 's|^/sys/fs/cgroup/([^/]+/)?podrig/|cgroup podrig/|' || true
    find /run/podrig-test /run/podrig-cni-test -mindepth 1 -maxdepth 1 2>/dev/null | sed 's/^/state /' || true
    iptables-save 2>/dev/null | grep -oE '^:CNI-[A-Za-z0-9_-]+' | sed 's/^:/iptables /' || true
  } | sort -u
}
# The release bin directory (hack/build's stdout). Under set -e a failing `bin=$(hack/build | tail -1)`
# ended the caller without a word; this names the failure and shows the build's errors.
release_bin() {
  local log out
  log=$(mktemp)
  if ! out=$(bash hack/build 2>"$log") || [ ! -x "$out/podrig" ]; then
    echo "$0: the release build (hack/build) failed:" >&2
    grep -E 'error' "$log" >&2 || tail -n 20 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  printf '%s\n' "$out"
}
