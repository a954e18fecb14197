# KTAP helpers for in-guest suites: each suite prints its own KTAP document on stdout.
# Exit 0 when every case passed, 1 otherwise, 4 when the whole suite does not apply (SKIP).
_n=0 _failed=0
ktap_plan() { echo "KTAP version 1"; echo "1..$1"; }
ktap_ok() { _n=$((_n + 1)); echo "ok $_n $1"; }
ktap_fail() {
  _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n $1"
  case "${2:-}" in *[![:space:]]*) echo "# $2" ;; esac
}
ktap_skip() { _n=$((_n + 1)); echo "ok $_n $1 # SKIP ${2:-}"; }
# ktap_check NAME CMD...: a case passes when CMD exits 0; its output becomes diagnostics.
ktap_check() {
  _name=$1; shift
  if _out=$("$@" 2>&1); then ktap_ok "$_name"; else ktap_fail "$_name" "$(echo "$_out" | tail -n 3 | tr '\n' ' ')"; fi
}
ktap_done() { [ "$_failed" -eq 0 ]; exit $?; }
