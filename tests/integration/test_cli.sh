# The CLI's contract: --help everywhere, documented exit codes, clear errors.
. "$(dirname "$0")/lib.sh"

for cmd in "" status events ps note policy wal model record "model train" "model eval" "model info" "model score" "wal verify" "wal dump" "policy check" honeypot "honeypot whois" "honeypot log" run flag vaccine "vaccine show"; do
	# shellcheck disable=SC2086
	"$VIGILANTE" $cmd --help > "$WORK/help.txt" || fail "vigilante $cmd --help exited $?"
	grep -qE 'Usage|SYNOPSIS' "$WORK/help.txt" || fail "vigilante $cmd --help has no usage"
done
"$VIGILANTED" --help | grep -q Usage || fail "vigilanted --help"

rc=0; "$VIGILANTE" no-such-command 2> "$WORK/err" || rc=$?
[ "$rc" -eq 2 ] || fail "unknown command exit $rc, expected 2"
grep -q "unknown command 'no-such-command'" "$WORK/err" || fail "unknown command message"

rc=0; VIGILANTE_SOCKET=$WORK/none.sock "$VIGILANTE" status 2> "$WORK/err" || rc=$?
[ "$rc" -eq 3 ] || fail "status without a daemon exit $rc, expected 3"
grep -q "$WORK/none.sock" "$WORK/err" || fail "status without a daemon does not name the socket"

rc=0; "$VIGILANTED" --policy "$WORK/missing.yaml" 2> "$WORK/err" || rc=$?
[ "$rc" -eq 1 ] || fail "vigilanted with a missing policy exit $rc, expected 1"
grep -q "missing.yaml" "$WORK/err" || fail "vigilanted does not name the missing policy"

# policy check: valid default, and a bad file named with line and column.
"$VIGILANTE" policy default > "$WORK/default.yaml" || fail "policy default"
"$VIGILANTE" policy check "$WORK/default.yaml" > /dev/null || fail "the default policy does not check"
printf 'version: 1\nscope:\n  kind: galaxy\n' > "$WORK/bad.yaml"
rc=0; "$VIGILANTE" policy check "$WORK/bad.yaml" 2> "$WORK/err" || rc=$?
[ "$rc" -eq 1 ] || fail "policy check of a bad file exit $rc"
grep -q "$WORK/bad.yaml:3:9" "$WORK/err" || fail "policy check error lacks FILE:3:9: $(cat "$WORK/err")"

# wal verify on a directory that does not exist.
rc=0; "$VIGILANTE" wal verify "$WORK/nonexistent" 2> "$WORK/err" || rc=$?
[ "$rc" -ne 0 ] || fail "wal verify of a missing directory succeeded"

# honeypot whois: a secret of the ledger is named (read from stdin here),
# another is not (exit 1), a missing SECRET is a usage error.
mkdir -m 0700 "$WORK/decoys"
cat > "$WORK/decoys/ledger.json" <<'EOF'
{"decoys": [{"kind": "shadow", "stands_for": "/etc/shadow", "file": "/d/shadow-1",
  "planted": false, "host": "web-01", "skipped_passwd_lines": 0,
  "secrets": [{"type": "password", "user": "root", "value": "dragon42"}]}]}
EOF
printf 'version: 1\nhoneypot:\n  decoy_dir: %s\n' "$WORK/decoys" > "$WORK/honeypot.yaml"
echo dragon42 | "$VIGILANTE" honeypot whois - --policy "$WORK/honeypot.yaml" > "$WORK/out" ||
	fail "honeypot whois of a ledger password exited $?"
grep -q 'password of root in the shadow decoy for /etc/shadow' "$WORK/out" ||
	fail "honeypot whois does not name the decoy: $(cat "$WORK/out")"
rc=0; "$VIGILANTE" honeypot whois dragon43 --policy "$WORK/honeypot.yaml" > /dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "honeypot whois of an unknown secret exit $rc, expected 1"
rc=0; "$VIGILANTE" honeypot whois 2> /dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "honeypot whois without a SECRET exit $rc, expected 2"

# run, flag, honeypot log: bad input is a clear error, never a crash.
rc=0; "$VIGILANTE" run 2> "$WORK/err" || rc=$?
[ "$rc" -eq 125 ] || fail "run without a command exit $rc, expected 125"
grep -q "no command" "$WORK/err" || fail "run without a command: $(cat "$WORK/err")"
rc=0; VIGILANTE_SOCKET=$WORK/none.sock "$VIGILANTE" run -- true 2> "$WORK/err" || rc=$?
[ "$rc" -eq 125 ] || fail "run without a daemon exit $rc, expected 125"
grep -q "$WORK/none.sock" "$WORK/err" || fail "run without a daemon does not name the socket"
rc=0; "$VIGILANTE" flag 12x 2> "$WORK/err" || rc=$?
[ "$rc" -eq 2 ] || fail "flag of a non-number exit $rc, expected 2"
grep -q "'12x' is not a process id" "$WORK/err" || fail "flag of a non-number: $(cat "$WORK/err")"
rc=0; "$VIGILANTE" honeypot log --pid -3 2> "$WORK/err" || rc=$?
[ "$rc" -eq 2 ] || fail "honeypot log --pid -3 exit $rc, expected 2"
# A bad option or operand is one line naming what and where help is, exit 2.
for args in "ps --bogus:unknown option '--bogus' (see 'vigilante ps --help')" \
	"model eval -Z:unknown option '-Z' (see 'vigilante model eval --help')" \
	"events --limit:option '--limit' needs a value (see 'vigilante events --help')" \
	"wal verify --json:unknown option '--json' (see 'vigilante wal verify --help')" \
	"ps extra:unexpected argument 'extra' (see 'vigilante ps --help')" \
	"model score:no trace file given (see 'vigilante model score --help')"; do
	rc=0; eval "\"$VIGILANTE\" ${args%%:*}" 2> "$WORK/err" || rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l < "$WORK/err")" -eq 1 ] && grep -qF "${args#*:}" "$WORK/err" ||
		fail "vigilante ${args%%:*}: exit $rc, expected 2 and one line saying ${args#*:}: $(cat "$WORK/err")"
done
rc=0; "$VIGILANTED" --policy 2> "$WORK/err" || rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$WORK/err")" -eq 1 ] &&
	grep -qF "option '--policy' needs a value (see 'vigilanted --help')" "$WORK/err" ||
	fail "vigilanted --policy: exit $rc, expected 2 and one line: $(cat "$WORK/err")"
# Numbers on the command line: empty, out of range or with other characters
# is a usage error naming the word, before any daemon is asked.
for args in "events --limit=" "events --limit=99999999999999999999" "status --sample=" \
	"status --sample=10001" "learn --duration=" "vaccine revoke 4294967296" "flag 7x" \
	"quarantine freeze ''" "honeypot log --pid="; do
	rc=0; eval "VIGILANTE_SOCKET=$WORK/none.sock \"$VIGILANTE\" $args" 2> "$WORK/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "vigilante $args: exit $rc, expected 2 (usage): $(cat "$WORK/err")"
done
mkdir "$WORK/badwal"
printf 'not a segment' > "$WORK/badwal/wal-0000000000000001.seg"
rc=0; "$VIGILANTE" honeypot log --wal "$WORK/badwal" > /dev/null 2> "$WORK/err" || rc=$?
[ "$rc" -eq 1 ] || fail "honeypot log of a corrupt log exit $rc, expected 1"
grep -q "badwal" "$WORK/err" || fail "honeypot log of a corrupt log does not name it: $(cat "$WORK/err")"

# model eval --json stays JSON when no attack trace alarms (no median: null,
# not NaN), and an empty trace file is named in a warning, not taken silently.
mkdir -p "$WORK/evn" "$WORK/eva/Quiet_1"
printf '0 1 2 3\n' > "$WORK/evn/a.txt"
: > "$WORK/evn/empty.txt"
printf '0 1 2 3\n' > "$WORK/eva/Quiet_1/b.txt"
"$VIGILANTE" model eval --abi x86_64 --normal "$WORK/evn" --attack "$WORK/eva" --json \
	> "$WORK/eval.json" 2> "$WORK/err" || fail "model eval of tiny traces failed: $(cat "$WORK/err")"
[ "$(jq .earliness.alarmed_traces "$WORK/eval.json")" -eq 0 ] || fail "the tiny attack trace alarmed"
grep -q '"median_fraction":null' "$WORK/eval.json" || fail "no-alarm median is not null: $(cat "$WORK/eval.json")"
! grep -qiE 'nan|inf' "$WORK/eval.json" || fail "model eval --json printed a non-JSON number"
grep -q "$WORK/evn/empty.txt: holds no system call" "$WORK/err" || fail "an empty trace is not named: $(cat "$WORK/err")"

# policy check loads the files the policy names, as vigilanted would: a
# missing or truncated model, or profiles that are not profiles, fail it.
head -c 100 src/score/default.model > "$WORK/short.model"
printf 'not profiles' > "$WORK/bad.profiles"
for case in "model: $WORK/missing.model|missing.model" "model: $WORK/short.model|truncated" \
	"profiles: $WORK/bad.profiles|precognition.profiles: $WORK/bad.profiles"; do
	printf 'version: 1\nprecognition:\n  %s\n' "${case%%|*}" > "$WORK/named.yaml"
	rc=0; "$VIGILANTE" policy check "$WORK/named.yaml" > /dev/null 2> "$WORK/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "policy check with ${case%%|*} exit $rc, expected 1"
	grep -q "${case#*|}" "$WORK/err" || fail "policy check with ${case%%|*} does not say why: $(cat "$WORK/err")"
done
printf 'version: 1\nprecognition:\n  model: %s\n' "$(pwd)/src/score/default.model" > "$WORK/named.yaml"
"$VIGILANTE" policy check "$WORK/named.yaml" > /dev/null || fail "policy check refused the built-in model's file"
