# Shared by hack/*: Swift on PATH, the repo as working directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH=/opt/swift/usr/bin:$PATH
fi
need_root() {
  if [ "$(id -u)" -ne 0 ]; then echo "$0: run as root (podrig makes namespaces and mounts)" >&2; exit 1; fi
}
