#!/usr/bin/env bash
# Schema change safety: compares the committed schema.graphql with the one of
# the previous commit (graphql-inspector diff) and fails on a breaking change,
# unless the HEAD commit message has a line `Breaking-change: <why>`.
#
#   e2e/schema-check.sh                         # run from anywhere in the repository
#   e2e/schema-check.sh --old A.graphql --new B.graphql [--message TEXT]
#
# With --old/--new the two files are compared and --message stands in for the
# commit message. Without a previous commit, or a previous commit without
# schema.graphql (a first commit, a shallow clone), there is nothing to
# compare and the check passes. Exits 0 (safe or acknowledged), 1 (breaking,
# or a schema that does not parse), 2 (bad usage or missing tools).
set -euo pipefail

E2E="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INSPECTOR="$E2E/node_modules/.bin/graphql-inspector"
old="" new="" message="" message_given=0

while [ $# -gt 0 ]; do
  case "$1" in
    --old) old="$2"; shift 2 ;;
    --new) new="$2"; shift 2 ;;
    --message) message="$2"; message_given=1; shift 2 ;;
    *) echo "usage: $0 [--old FILE --new FILE] [--message TEXT]" >&2; exit 2 ;;
  esac
done

if [ ! -x "$INSPECTOR" ]; then
  echo "schema-check: graphql-inspector is missing; run \`make e2e-deps\`" >&2
  exit 2
fi

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

if [ -z "$old" ] && [ -z "$new" ]; then
  root="$(git rev-parse --show-toplevel)"
  new="$root/schema.graphql"
  if ! git -C "$root" rev-parse --verify --quiet HEAD~1 >/dev/null; then
    echo "schema-check: no previous commit; nothing to compare"
    exit 0
  fi
  if ! git -C "$root" show HEAD~1:schema.graphql >"$workdir/previous.graphql" 2>/dev/null; then
    echo "schema-check: the previous commit has no schema.graphql; nothing to compare"
    exit 0
  fi
  old="$workdir/previous.graphql"
  # The committed schema, not whatever the working tree holds.
  if git -C "$root" show HEAD:schema.graphql >"$workdir/current.graphql" 2>/dev/null; then
    new="$workdir/current.graphql"
  fi
  [ "$message_given" = 1 ] || message="$(git -C "$root" log -1 --format=%B)"
elif [ -z "$old" ] || [ -z "$new" ]; then
  echo "schema-check: give both --old and --new" >&2
  exit 2
fi

status=0
"$INSPECTOR" diff "$old" "$new" >"$workdir/diff.txt" 2>&1 || status=$?
cat "$workdir/diff.txt"
if [ "$status" = 0 ]; then
  exit 0
fi
if ! grep -Eq 'Detected [0-9]+ breaking changes?' "$workdir/diff.txt"; then
  echo "schema-check: graphql-inspector failed (see above)" >&2
  exit 1
fi
reason="$(printf '%s\n' "$message" | sed -n 's/^Breaking-change:[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*$/\1/p' | head -n 1)"
if [ -n "$reason" ]; then
  echo "schema-check: breaking change acknowledged: $reason"
  exit 0
fi
echo "schema-check: breaking change. Keep the old names working, or say why in the" >&2
echo "commit message with a line \`Breaking-change: <why>\`." >&2
exit 1
