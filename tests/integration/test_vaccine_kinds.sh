# Auto-vaccination, the kinds beyond exec by content:
#  - exec by argv: `rm -rf` of the root of a scratch tree (the root as rm
#    sees it: chroot in a private mount namespace) is refused at the exec
#    gate and the tree stays, also when a script's "#!/bin/rm -rf" line
#    makes it, also when another thread rewrites argv during execve; a
#    non-recursive rm of one file and a recursive
#    rm of a non-root directory go through; revoked, the same rm -rf does
#    delete (so the refusal was the vaccine's);
#  - file access: the vaccinated program (and a copy) may not open the file,
#    it may open another file, another program may open that file;
#  - connect: the vaccinated program (and a copy exec'd later) may not reach
#    the address and port (EPERM, from the kernel), it may reach another
#    port, another program may reach that port;
#  - a 2-second TTL stops a file and a connect vaccine after 2 s;
#  - syscall vaccines compile into a seccomp filter (`show --seccomp`);
#  - a quarantine kill vaccinates against the killed program;
#  - every kind is listed, replayed after kill -9, exported and imported.
# Exec and open are gated only on a tmpfs of the test's own, connect only in
# the test's cgroup; rm runs only inside the chroot on that tmpfs.
. "$(dirname "$0")/lib.sh"

make_test_cgroup
mount_test_tmpfs "$WORK/mnt"
M=$WORK/mnt
openssl genpkey -algorithm ed25519 -out "$WORK/sign.pem" 2>/dev/null || fail "openssl genpkey"
openssl pkey -in "$WORK/sign.pem" -pubout -out "$WORK/sign.pub" 2>/dev/null || fail "openssl pkey"
EXEC_GATE="[$M]" write_policy "$WORK/policy.yaml" "vaccination:
  mode: enforce
  threshold: 1000000
  ttl: 1h
  signing_key: $WORK/sign.pem
  trusted_keys: [$WORK/sign.pub]
quarantine:
  mode: enforce
  threshold: 1000000
  action: hold
  dir: $WORK/quarantine"
start_daemon "$WORK/policy.yaml"

# A scratch root on the test tmpfs: rm and what it needs to run.
ROOT=$M/root
mkdir -p "$ROOT/bin" "$ROOT/etc" "$ROOT/data"
cp /bin/rm "$ROOT/bin/rm"
for lib in $(ldd /bin/rm | grep -o '/[^ ]*'); do
	mkdir -p "$ROOT$(dirname "$lib")" && cp "$lib" "$ROOT$lib"
done
echo keep > "$ROOT/etc/keep"
echo victim > "$ROOT/victim"
echo x > "$ROOT/data/x"
in_root() { in_cgroup unshare -m --propagation private chroot "$ROOT" "$@" > /dev/null 2>&1; echo $?; }

# 1. Exec by argv.
argv_id=$("$VIGILANTE" vaccine add --argv rm-root) || fail "vaccine add --argv rm-root failed"
for args in "-rf --no-preserve-root /" "-fr /etc" "-R /etc/" "-r -f //etc/.." "--recursive /bin" "/etc -rf"; do
	# shellcheck disable=SC2086
	rc=$(in_root /bin/rm $args)
	[ "$rc" -eq 126 ] || fail "rm $args in the scratch root: exit $rc, not refused (126)"
done
# A script whose "#!" line makes the recursive delete: the kernel's argv is
# "/bin/rm -rf /bin/wipe /etc", not the "/bin/wipe /etc" execve was given.
printf '#!/bin/rm -rf\n' > "$ROOT/bin/wipe"
chmod +x "$ROOT/bin/wipe"
[ "$(in_root /bin/wipe /etc)" -eq 126 ] || fail "a script with #!/bin/rm -rf was not refused"
[ -f "$ROOT/etc/keep" ] && [ -f "$ROOT/victim" ] && [ -x "$ROOT/bin/rm" ] && [ -f "$ROOT/bin/wipe" ] ||
	fail "a refused rm deleted something"
[ "$(in_root /bin/rm /victim)" -eq 0 ] && [ ! -e "$ROOT/victim" ] || fail "rm of one file was not allowed"
[ "$(in_root /bin/rm -rf /data)" -eq 0 ] && [ ! -e "$ROOT/data" ] || fail "rm -rf of a non-root directory was not allowed"
"$VIGILANTE" vaccine revoke "$argv_id" || fail "revoke of the argv vaccine failed"
[ "$(in_root /bin/rm -rf /etc)" -eq 0 ] && [ ! -e "$ROOT/etc" ] || fail "without the vaccine, rm -rf /etc did not delete the scratch /etc"
argv_id=$("$VIGILANTE" vaccine add --argv rm-root) || fail "vaccine add --argv rm-root (again) failed"
note "rm -rf of the (scratch) root and top-level directories refused, also through a #! script; rm of a file, rm -rf of /data allowed"

# 1b. A second thread rewrites the operand between execve entry and the
# kernel's copy of argv ("$M/othr" -> "$M/prot", a protected root here):
# whatever the timing, the protected tree stays. The gate refuses what it
# saw; an exec whose argv changed after the gate's decision is killed by the
# kernel before its first instruction; a rewrite after the copy is harmless.
cp /bin/rm "$M/rm"
race_id=$("$VIGILANTE" vaccine add --argv recursive-delete-of --program rm --root "$M/prot") ||
	fail "vaccine add --argv recursive-delete-of failed"
killed=0 refused=0 completed=0
for i in $(seq 30); do
	mkdir -p "$M/prot" "$M/othr" && echo x > "$M/prot/f" && echo x > "$M/othr/f"
	rc=0
	in_cgroup "$HELPERS/argv_race" "$M/rm" "$M/othr" "$M/prot" $(((i % 15) * 10000)) 2> /dev/null || rc=$?
	[ -f "$M/prot/f" ] || fail "attempt $i (exit $rc): the protected tree was deleted"
	case $rc in
	137) killed=$((killed + 1)) ;;
	126) refused=$((refused + 1)) ;;
	0) completed=$((completed + 1)) ;;
	*) fail "attempt $i: unexpected exit $rc" ;;
	esac
done
wait_quiet
[ "$killed" -eq 0 ] || grep -q '"reason":"argv_rewritten"' "$WORK/events.jsonl" ||
	fail "$killed execs killed without a decision record"
"$VIGILANTE" vaccine revoke "$race_id" || fail "revoke $race_id failed"
note "argv rewritten during execve, 30 attempts: $refused refused by the gate, $killed killed by the kernel, $completed harmless; the protected tree stayed"

# 2. File access.
cp /bin/cat "$M/cat"
cp /bin/cat "$M/cat-copy"
cp /bin/tail "$M/tail"
echo secret > "$M/secret"
echo other > "$M/other"
opens() { in_cgroup "$1" "$2" > /dev/null 2>&1; echo $?; } # opens PROGRAM FILE
file_id=$("$VIGILANTE" vaccine add --file "$M/secret" --program "$M/cat") || fail "vaccine add --file failed"
[ "$(opens "$M/cat" "$M/secret")" -ne 0 ] || fail "the vaccinated program opened the file"
[ "$(opens "$M/cat-copy" "$M/secret")" -ne 0 ] || fail "a copy of the vaccinated program opened the file"
[ "$(opens "$M/cat" "$M/other")" -eq 0 ] || fail "the vaccinated program could not open another file"
[ "$(opens "$M/tail" "$M/secret")" -eq 0 ] || fail "another program could not open the file"
note "file vaccine $file_id: cat (and a copy) refused $M/secret; cat may open another file, tail may open it"
# The file replaced by a new one (write, then rename over it): still refused,
# once the daemon has seen the directory change (the loop gives it the time).
echo "new secret" > "$M/secret.new"
mv "$M/secret.new" "$M/secret"
for _ in $(seq 50); do
	[ "$(opens "$M/cat" "$M/secret")" -ne 0 ] && break
	sleep 0.1
done
[ "$(opens "$M/cat" "$M/secret")" -ne 0 ] || fail "the vaccinated program opened the replaced file"
[ "$(opens "$M/tail" "$M/secret")" -eq 0 ] || fail "another program could not open the replaced file"

# 3. Connect. Nothing listens: a refused connect fails with EPERM (the
# kernel's gate), an allowed one with ECONNREFUSED.
cp /bin/bash "$M/bash"
connects() { # connects PROGRAM PORT: "refused by vigilante" or "allowed"
	in_cgroup "$1" -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2> "$WORK/connect.err"
	if grep -q "Operation not permitted" "$WORK/connect.err"; then echo "refused by vigilante"; else echo allowed; fi
}
port=$((20000 + RANDOM % 20000))
conn_id=$("$VIGILANTE" vaccine add --connect "127.0.0.1:$port" --program "$M/bash") || fail "vaccine add --connect failed"
[ "$(connects "$M/bash" "$port")" = "refused by vigilante" ] || fail "the vaccinated program reached 127.0.0.1:$port: $(cat "$WORK/connect.err")"
[ "$(connects "$M/bash" $((port + 1)))" = allowed ] || fail "the vaccinated program could not reach another port: $(cat "$WORK/connect.err")"
[ "$(connects /bin/bash "$port")" = allowed ] || fail "another program (the host's bash) could not reach the port: $(cat "$WORK/connect.err")"
cp "$M/bash" "$M/bash-copy"
[ "$(connects "$M/bash-copy" "$port")" = "refused by vigilante" ] || fail "a copy of the vaccinated program reached the port"
note "connect vaccine $conn_id: bash (and a copy) refused 127.0.0.1:$port; another port and another program allowed"

# 4. A 2-second TTL, for a file and a connect vaccine.
echo short > "$M/short-lived"
"$VIGILANTE" vaccine add --file "$M/short-lived" --program "$M/cat" --ttl 2 > /dev/null || fail "vaccine add --ttl 2 (file) failed"
"$VIGILANTE" vaccine add --connect "127.0.0.1:$((port + 2))" --program "$M/bash" --ttl 2 > /dev/null || fail "vaccine add --ttl 2 (connect) failed"
[ "$(opens "$M/cat" "$M/short-lived")" -ne 0 ] || fail "a fresh file vaccine was not enforced"
[ "$(connects "$M/bash" $((port + 2)))" = "refused by vigilante" ] || fail "a fresh connect vaccine was not enforced"
sleep 2.2
[ "$(opens "$M/cat" "$M/short-lived")" -eq 0 ] || fail "the file vaccine still applies after its 2 s TTL"
[ "$(connects "$M/bash" $((port + 2)))" = allowed ] || fail "the connect vaccine still applies after its 2 s TTL"
note "file and connect vaccines with a 2 s TTL stop applying after 2 s"

# 5. Syscall vaccines: a seccomp filter for the program.
sys_id=$("$VIGILANTE" vaccine add --syscall ptrace --program "$M/cat") || fail "vaccine add --syscall failed"
"$VIGILANTE" vaccine show "$sys_id" --seccomp > "$WORK/filter.pfc" || fail "vaccine show --seccomp failed"
grep -q "ERRNO" "$WORK/filter.pfc" || fail "the seccomp filter denies nothing: $(cat "$WORK/filter.pfc")"
rc=0; "$VIGILANTE" vaccine add --syscall no_such_call --program "$M/cat" 2> "$WORK/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "no_such_call" "$WORK/err" || fail "an unknown syscall: exit $rc, $(cat "$WORK/err")"
rc=0; "$VIGILANTE" vaccine add --connect "300.1.1.1:80" --program "$M/cat" 2> "$WORK/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "300.1.1.1" "$WORK/err" || fail "a bad address: exit $rc, $(cat "$WORK/err")"

# 6. A quarantine kill vaccinates against the killed program.
cp /bin/sleep "$M/sleeper"
(exec sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 60' sh "$TEST_CGROUP" "$M/sleeper") &
sleeper=$!
STARTED_PIDS+=("$sleeper")
sleep 0.3
"$VIGILANTE" quarantine freeze "$sleeper" > /dev/null || fail "quarantine freeze failed"
qid=$("$VIGILANTE" quarantine list --json | jq -r ".quarantines[] | select(.pid==$sleeper) | .id")
"$VIGILANTE" quarantine kill "$qid" > /dev/null || fail "quarantine kill failed"
wait "$sleeper" 2>/dev/null
"$VIGILANTE" vaccine list --json > "$WORK/list.json"
jq -e --arg q "$qid" --arg sha "$(sha256sum "$M/sleeper" | cut -d' ' -f1)" \
	'.vaccines[] | select(.kind=="exec_sha256" and .origin=="quarantine" and .evidence.quarantine==$q and .sha256==$sha)' \
	"$WORK/list.json" > /dev/null || fail "no vaccine from the quarantine kill: $(cat "$WORK/list.json")"
[ "$(in_cgroup "$M/sleeper" 0 > /dev/null 2>&1; echo $?)" -eq 126 ] || fail "the killed program may still run"
note "quarantine kill $qid vaccinated against its program"

# 7. Every kind listed, replayed after kill -9, carried by export/import.
kinds='[.vaccines[].kind] | unique | join(",")'
want="connect,exec_argv,exec_sha256,file_open,syscall"
[ "$(jq -r "$kinds" "$WORK/list.json")" = "$want" ] || fail "list does not show every kind: $(jq -r "$kinds" "$WORK/list.json")"
count=$(jq '.vaccines | length' "$WORK/list.json")
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
start_daemon "$WORK/policy.yaml"
"$VIGILANTE" vaccine list --json > "$WORK/replayed.json"
[ "$(jq '.vaccines | length' "$WORK/replayed.json")" -eq "$count" ] ||
	fail "not every vaccine was replayed: $(jq -c '[.vaccines[] | {id, kind, expires}]' "$WORK/list.json") before, $(jq -c '[.vaccines[] | {id, kind, expires}]' "$WORK/replayed.json") after"
mkdir -p "$ROOT/etc" && echo keep > "$ROOT/etc/keep"
[ "$(in_root /bin/rm -rf /etc)" -eq 126 ] && [ -f "$ROOT/etc/keep" ] || fail "the argv vaccine is not enforced after a restart"
[ "$(opens "$M/cat" "$M/secret")" -ne 0 ] || fail "the file vaccine is not enforced after a restart"
[ "$(connects "$M/bash" "$port")" = "refused by vigilante" ] || fail "the connect vaccine is not enforced after a restart"
"$VIGILANTE" vaccine export --out "$WORK/bundle.json" || fail "export failed"
for id in $("$VIGILANTE" vaccine list --json | jq -r '.vaccines[].id'); do
	"$VIGILANTE" vaccine revoke "$id" || fail "revoke $id failed"
done
[ "$(opens "$M/cat" "$M/secret")" -eq 0 ] || fail "a revoked file vaccine still applies"
[ "$(connects "$M/bash" "$port")" = allowed ] || fail "a revoked connect vaccine still applies"
[ "$("$VIGILANTE" vaccine import "$WORK/bundle.json")" = "$count imported" ] || fail "the bundle did not import every vaccine"
[ "$("$VIGILANTE" vaccine list --json | jq -r "$kinds")" = "$want" ] || fail "import did not carry every kind"
[ "$(opens "$M/cat" "$M/secret")" -ne 0 ] || fail "the imported file vaccine is not enforced"
note "every kind listed, replayed after kill -9, exported and imported"
stop_daemon || fail "vigilanted did not stop cleanly"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event '.payload.type=="decision" and .payload.what=="open" and .payload.refused==true and .payload.vaccine_id > 0' "$WORK/dump.jsonl" ||
	fail "no forensic record of an open refused by a vaccine"
has_event '.payload.what=="connect" and .payload.refused==true and .payload.vaccine_id > 0' "$WORK/dump.jsonl" ||
	fail "no forensic record of a connect refused by a vaccine"
