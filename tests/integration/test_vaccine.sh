# Auto-vaccination, exec by content: a program whose process crossed the
# vaccinate threshold is refused its next exec, as is a renamed copy and a
# hard link, and nothing else; a vaccine with a 2 s TTL stops applying after
# 2 s; vaccines are enforced again right after kill -9 and a restart; revoke
# lifts one. Exec is gated only on a tmpfs of the test's own.
. "$(dirname "$0")/lib.sh"

make_test_cgroup
mount_test_tmpfs "$WORK/mnt"
cp "$HELPERS/precog_probe" "$WORK/mnt/bad"
cp /bin/true "$WORK/mnt/true"
cp /bin/echo "$WORK/mnt/short-lived"
openssl genpkey -algorithm ed25519 -out "$WORK/sign.pem" 2>/dev/null || fail "openssl genpkey"
openssl pkey -in "$WORK/sign.pem" -pubout -out "$WORK/sign.pub" 2>/dev/null || fail "openssl pkey"
EXEC_GATE="[$WORK/mnt]" write_policy "$WORK/policy.yaml" "vaccination:
  mode: enforce
  threshold: 900
  ttl: 1h
  signing_key: $WORK/sign.pem
  trusted_keys: [$WORK/sign.pub]"
start_daemon "$WORK/policy.yaml"

runs() { in_cgroup "$1" > /dev/null 2>&1; echo $?; } # exit status of an exec attempt

in_cgroup "$WORK/mnt/bad" --weird 4000 > /dev/null || fail "the probe failed"
wait_quiet
"$VIGILANTE" vaccine list --json > "$WORK/list.json"
[ "$(jq '.vaccines | length' "$WORK/list.json")" -eq 1 ] || fail "no vaccine from the crossing: $(cat "$WORK/list.json")"
[ "$(jq -r '.vaccines[0].origin' "$WORK/list.json")" = score ] || fail "the vaccine's origin is not the score"
[ "$(jq -r '.vaccines[0].sha256' "$WORK/list.json")" = "$(sha256sum "$WORK/mnt/bad" | cut -d' ' -f1)" ] ||
	fail "the vaccine does not hold the program's SHA-256"

cp "$WORK/mnt/bad" "$WORK/mnt/renamed"
ln "$WORK/mnt/bad" "$WORK/mnt/hardlink"
for f in bad renamed hardlink; do
	[ "$(runs "$WORK/mnt/$f")" -eq 126 ] || fail "exec of $f was not refused"
done
[ "$(runs "$WORK/mnt/true")" -eq 0 ] || fail "another program was refused"
note "the vaccinated program, a renamed copy and a hard link are refused; /bin/true is not"

# A 2-second TTL.
id=$("$VIGILANTE" vaccine add --exec "$WORK/mnt/short-lived" --ttl 2) || fail "vaccine add failed"
[ "$(runs "$WORK/mnt/short-lived")" -eq 126 ] || fail "a fresh vaccine was not enforced"
sleep 2.3
[ "$(runs "$WORK/mnt/short-lived")" -eq 0 ] || fail "vaccine $id still applies after its 2 s TTL"

# kill -9 and restart: enforced again before anything else.
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
cp "$WORK/mnt/bad" "$WORK/mnt/after-restart"
start_daemon "$WORK/policy.yaml"
[ "$(runs "$WORK/mnt/after-restart")" -eq 126 ] || fail "the vaccine was not enforced after a restart"

# revoke lifts it, durably; a signed export brings it back on import.
"$VIGILANTE" vaccine export --out "$WORK/bundle.json" || fail "export failed"
vid=$("$VIGILANTE" vaccine list --json | jq -r '.vaccines[0].id')
"$VIGILANTE" vaccine revoke "$vid" || fail "revoke failed"
[ "$(runs "$WORK/mnt/renamed")" -eq 0 ] || fail "a revoked vaccine still applies"
# Tampered, unsigned and foreign-key bundles are refused whole.
jq -c '.payload |= sub("sha256"; "sha257")' "$WORK/bundle.json" > "$WORK/altered.json"
jq -c 'del(.signature)' "$WORK/bundle.json" > "$WORK/unsigned.json"
jq -c '.key = "'"$(openssl rand -base64 32)"'"' "$WORK/bundle.json" > "$WORK/foreign.json"
for bad in altered:altered unsigned:unsigned foreign:"not trusted"; do
	rc=0
	"$VIGILANTE" vaccine import "$WORK/${bad%%:*}.json" 2> "$WORK/import.err" || rc=$?
	[ "$rc" -eq 1 ] && grep -q "${bad#*:}" "$WORK/import.err" || fail "the ${bad%%:*} bundle: exit $rc, $(cat "$WORK/import.err")"
done
[ "$("$VIGILANTE" vaccine list --json | jq '.vaccines | length')" -eq 0 ] || fail "a refused bundle left vaccines"
[ "$("$VIGILANTE" vaccine import "$WORK/bundle.json")" = "1 imported" ] || fail "the signed bundle did not import"
[ "$(runs "$WORK/mnt/renamed")" -eq 126 ] || fail "the imported vaccine is not enforced"
note "export/import round trip ok; altered, unsigned and foreign-key bundles refused"
stop_daemon || fail "vigilanted did not stop cleanly"
"$VIGILANTE" wal dump --json "$WORK/wal" > "$WORK/dump.jsonl"
has_event '.payload.type=="vaccine" and .payload.op=="revoke"' "$WORK/dump.jsonl" || fail "the revocation is not in the log"
has_event '.payload.type=="decision" and .payload.what=="exec" and .payload.refused==true and .payload.vaccine_id > 0' "$WORK/dump.jsonl" ||
	fail "no forensic record of an exec refused by a vaccine"
