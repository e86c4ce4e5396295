package systemtest_test

import (
	"strings"
	"testing"

	"github.com/partner-identity/api/shared/testkit/sam"
)

// stringLike is IAM's StringLike: "*" any run of characters, "?" any one.
func stringLike(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if stringLike(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && stringLike(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && stringLike(pattern[1:], s[1:])
}

// Partition keys of live items and of test-mode items, of every kind the
// sandbox's functions touch (the tables' and the events indexes').
var (
	liveKeys = []string{"USER#2f1c6b52-8d8e-4a55-9d53-3c8d2b0f4a11", "KYC#0d5e6f7a8b9c4d1e2f3a4b5c6d7e8f90",
		"OUTBOX#evt_01a250b7f3816d18e1e6065498c2a7bd", "BUDGET#p_acme#webhook-tests#492000", "PTN#p_acme", "WIPE#p_acme",
		"IDENT#p_acme#0f3c", "PARTNER#p_acme#EXT#ext-1", "p_acme#3", "p_acme#kyc.status_changed#3", "SBX#0d5e6f7a8b9c4d1e2f3a4b5c6d7e8f90"}
	testKeys = []string{"USER#7e576b52-8d8e-4a55-9d53-3c8d2b0f4a11", "KYC#7e576f7a8b9c4d1e2f3a4b5c6d7e8f90",
		"OUTBOX#evt_01a250b7f3817e57e1e6065498c2a7bd", "BUDGET#p_acme.test#webhook-tests#492000", "PTN#p_acme.test", "WIPE#p_acme.test",
		"p_acme.test#3", "p_acme.test#kyc.status_changed#3", "SBX#7e576f7a8b9c4d1e2f3a4b5c6d7e8f90"}
	// partnerRecords are what a request's key reads before its mode is
	// known: the key's item, its partner, its rate lease.
	partnerRecords = map[string]bool{"APIKEY#*": true, "PTN#*": true, "RATE#*": true}
)

// breaches are what statements allow on live items: each DynamoDB grant
// without a leading-key condition, and each pattern that matches a live
// key (but the partner's own records, when exempt).
func breaches(statements []sam.Statement, exempt map[string]bool) []string {
	var out []string
	for _, st := range statements {
		dynamo := false
		for _, a := range st.Actions {
			dynamo = dynamo || strings.HasPrefix(a, "dynamodb:")
		}
		if !dynamo {
			continue
		}
		if len(st.Patterns) == 0 {
			out = append(out, strings.Join(st.Actions, ",")+" on "+strings.Join(st.Resources, ",")+": no leading-key condition")
			continue
		}
		for _, p := range st.Patterns {
			if exempt[p] {
				continue
			}
			for _, k := range liveKeys {
				if stringLike(p, k) {
					out = append(out, strings.Join(st.Actions, ",")+" "+p+" reaches the live "+k)
				}
			}
		}
	}
	return out
}

// TestSandboxRolesReachTestItemsOnly: the roles of the sandbox's
// functions, as aws-sam-translator makes them from template.yaml, allow
// no DynamoDB call on a live item: every grant is conditioned on leading
// keys (IAM's StringLike, held to AWS's semantics here) that match the
// keys of test-mode items (their ids' test mark, the test side's ".test")
// and none of live items'; only the partner's own records (its key's item,
// its partner, its rate lease), which a request's key reads before its
// mode is known, are exempt, and the page's functions, which take no key,
// have not even those. The check catches a breach (a "KYC#*" grant).
func TestSandboxRolesReachTestItemsOnly(t *testing.T) {
	if got := breaches([]sam.Statement{{Actions: []string{"dynamodb:GetItem"}, Resources: []string{"table"}, Patterns: []string{"KYC#*"}}}, nil); len(got) != 1 {
		t.Fatalf("a KYC#* grant: %v", got)
	}
	for _, k := range testKeys {
		if !stringLike("*.test#*", k) && !stringLike("KYC#7e57*", k) && !stringLike("USER#7e57*", k) &&
			!stringLike("OUTBOX#evt_????????????7e57*", k) && !stringLike("BUDGET#*.test#*", k) && !stringLike("PTN#*.test", k) && !stringLike("WIPE#*.test", k) && !stringLike("SBX#7e57*", k) {
			t.Fatalf("no pattern matches the test key %s", k)
		}
	}
	tpl, ids := sam.Transform(t), sam.FunctionIDs(t)
	fns := map[string]map[string]bool{
		"sandbox-kyc-outcome": partnerRecords, "sandbox-simulation": partnerRecords, "sandbox-wipe-data": partnerRecords,
		"sandbox-kyc-page": nil, "sandbox-kyc-decision": nil,
	}
	for fn, exempt := range fns {
		statements, _, err := tpl.RoleStatements(ids[fn], map[string]bool{"HasSecretsKmsKey": true})
		if err != nil {
			t.Fatal(err)
		}
		if b := breaches(statements, exempt); len(b) > 0 {
			t.Errorf("%s: %s", fn, strings.Join(b, "; "))
		}
		// And each grant reaches some test-mode item.
		for _, st := range statements {
			for _, p := range st.Patterns {
				if exempt[p] {
					continue
				}
				hit := false
				for _, k := range testKeys {
					hit = hit || stringLike(p, k)
				}
				if !hit {
					t.Errorf("%s: %s reaches no test-mode item", fn, p)
				}
			}
		}
	}
}
