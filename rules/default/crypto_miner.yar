/*
 * Cryptocurrency miners: the Stratum pool protocol, XMRig, and the pool
 * settings Monero miners carry. A miner needs a pool address and a wallet,
 * so these markers survive renaming and repacking of the binary. XMRig's
 * donation option is named only inside its regular expression: spelt out
 * here, next to the miner's name, it would make the rule set match itself.
 *
 * Strings are regular expressions whose own source text cannot match them
 * (a \s, a group or a [x] class always sits inside the literal): the rules
 * are embedded in vigilanted, and a rule matching its own text would flag
 * every process that holds a copy of the rule set.
 */

rule stratum_pool_url : crypto_miner
{
	meta:
		description = "Stratum mining pool URL (tcp, ssl or tls transport)"
	strings:
		$url = /stratum2?\+(tcp|ssl|tls):\/\/[a-z0-9.\-]{1,253}:[0-9]{2,5}/ nocase
	condition:
		$url
}

rule stratum_json_rpc : crypto_miner
{
	meta:
		description = "Stratum JSON-RPC mining calls (subscribe, authorize, submit, notify)"
	strings:
		$call = /"method"\s*:\s*"mining\.(subscribe|authorize|submit|extranonce\.subscribe)"/
		$subscribe = /mining\.subscrib[e]/
		$authorize = /mining\.authoriz[e]/
		$notify = /mining\.notif[y]/
		$set_difficulty = /mining\.set_difficult[y]/
	condition:
		$call or 2 of ($subscribe, $authorize, $notify, $set_difficulty)
}

rule xmrig_miner : crypto_miner
{
	meta:
		description = "XMRig Monero miner: its user agent, or its name with its donation setting"
	strings:
		$agent = /XMRig\/[0-9]{1,3}\.[0-9]{1,3}/
		$name = /xmri[g]/ nocase
		$donate = /donate-leve[l]/
	condition:
		$agent or ($name and $donate)
}

rule monero_pool_config : crypto_miner
{
	meta:
		description = "Monero pool configuration naming a proof-of-work algorithm, or a pool login with a wallet address"
	strings:
		$algo = /"algo"\s*:\s*"(rx\/[0-9a-z]{1,8}|random[x]|cn(-[a-z]{1,8})?\/[0-9a-z]{1,8}|cryptonigh[t][a-z\/\-]{0,16})"/ nocase
		$pool = /"url"\s*:\s*"[a-z0-9.\-]{1,253}:[0-9]{2,5}"/ nocase
		$wallet = /"(user|login)"\s*:\s*"[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}/
		$login = /"method"\s*:\s*"login"\s*,\s*"params"\s*:\s*\{/
	condition:
		($algo and ($pool or $wallet)) or ($login and $wallet)
}
