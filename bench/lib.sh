# Shared by the bench scripts, sourced after they cd to the repository root.
# bench_requires BUILD PROGRAM...: the benchmark runs as root and the
# programs it runs (paths under BUILD) are built; otherwise it says what is
# missing and how to build it, before it creates anything.
bench_requires() {
	local build=$1 missing=() p
	shift
	if [ "$(id -u)" -ne 0 ]; then
		echo "$(basename "$0"): needs root" >&2
		exit 1
	fi
	for p in vigilanted vigilante "$@"; do
		[ -x "$build/$p" ] || missing+=("$build/$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "$(basename "$0"): not built: ${missing[*]} (make bench-bins builds them; make bench builds and runs every benchmark)" >&2
	exit 1
}
