package domain

import (
	"context"
	"strings"
	"time"
)

// Test mode (the sandbox). Every partner has a live side, its own id, and
// a test side, a partner of its own whose id is the live one's with
// TestSuffix: its test keys, test webhook endpoints and secrets, budgets,
// and every user, session, link and event its test keys make. Everything
// the store keeps is the partner id's, so test data and live data never
// meet: a test key reads, links, erases and lists only test objects, and
// a live key only live ones. TestSuffix holds a '.', which no partner id
// may (partners.ValidID), so no live partner's id is a test side's.
const TestSuffix = ".test"

// Livemode tells whether partnerID is a live partner (not a test side):
// the livemode of every object and event of it.
func Livemode(partnerID string) bool { return !strings.HasSuffix(partnerID, TestSuffix) }

// TestPartnerOf is the id of the test side of partner id (id itself when
// it is one).
func TestPartnerOf(id string) string {
	if !Livemode(id) {
		return id
	}
	return id + TestSuffix
}

// LivePartnerOf is the id of the live partner whose side id is (id itself
// when it is live): the id a partner knows itself by in either mode.
func LivePartnerOf(id string) string { return strings.TrimSuffix(id, TestSuffix) }

// ProviderSandbox is the KYC provider of every test-mode session: the
// sandbox's page and API decide it (no provider hears of test data).
const ProviderSandbox = "sandbox"

// TestDataRetention is how long test-mode data is kept after it is
// written (DynamoDB TTL) unless its partner wipes it sooner.
const TestDataRetention = 30 * 24 * time.Hour

// TestSessionRetention is how long a test-mode KYC session is kept: a week
// short of TestDataRetention, for the store keeps a session's reference
// under its user a week longer than the session (an erasure finds every
// session through them), and the reference too goes within
// TestDataRetention.
const TestSessionRetention = TestDataRetention - 7*24*time.Hour

// ReasonTestModeOnly is a sandbox operation asked in live mode, or about a
// live object (Forbidden): the sandbox acts on test data only.
const ReasonTestModeOnly = Reason("test_mode_only")

// WipeRequest is a test side's request that its test data be deleted (the
// sandbox's wipe), as of RequestedAt (to the second).
type WipeRequest struct {
	PartnerID   string
	RequestedAt time.Time
}

// Wipes are the requests to delete a test side's data, which the cleanup
// carries out: a request is one item per test side (asking again while
// one waits moves it to the later time), listed without a scan.
type Wipes interface {
	// RequestWipe records test side partnerID's request as of at
	// (Invalid for a live partner: live data is never wiped).
	RequestWipe(ctx context.Context, partnerID string, at time.Time) error
	// Wipes lists up to limit requests.
	Wipes(ctx context.Context, limit int) ([]WipeRequest, error)
	// FinishWipe removes r, unless a later request replaced it.
	FinishWipe(ctx context.Context, r WipeRequest) error
}

// ErrLiveWipe is a wipe asked of a live partner.
var ErrLiveWipe = E(Invalid, ReasonTestModeOnly)

// TestIDMark starts the random part of the id of everything a test side
// makes: "7e57" ("test" in hex) leads a test-mode user's id (a UUID), a
// test-mode session's id, and the random part of a test-mode event's id
// (after its 12 hex digits of time). No live id holds it there, so that
// IAM tells test items from live ones by their keys alone: the sandbox's
// functions may write only keys that hold it (template.yaml; their policy
// test).
const TestIDMark = "7e57"

// MarkRandom marks the random bytes b (at least 2) of a new id: test
// mode's mark for a test side's (live false), and never the mark for a
// live one's.
func MarkRandom(b []byte, live bool) {
	switch {
	case !live:
		b[0], b[1] = 0x7e, 0x57
	case b[0] == 0x7e && b[1] == 0x57:
		b[1] ^= 0x01
	}
}

// TestMarked tells whether the id of a user or a session holds the test
// mark (ids of another shape never do).
func TestMarked(id string) bool { return strings.HasPrefix(id, TestIDMark) }

// TestMarkedEvent tells whether event id ("evt_", 12 hex digits of time,
// 20 random) holds the test mark.
func TestMarkedEvent(id string) bool { return len(id) >= 20 && id[16:20] == TestIDMark }

// ScheduledOutcome is a sandbox outcome asked with a delay: the cleanup's
// first run at or after DueAt (to the second) decides the session.
type ScheduledOutcome struct {
	PartnerID, SessionID, Outcome string
	DueAt                         time.Time
}

// SandboxSchedule keeps the sandbox's delayed outcomes: one per session
// (a later one replaces it), listed by due time without a scan.
type SandboxSchedule interface {
	ScheduleSandboxOutcome(ctx context.Context, o ScheduledOutcome) error
	// DueSandboxOutcomes lists up to limit outcomes due at now.
	DueSandboxOutcomes(ctx context.Context, now time.Time, limit int) ([]ScheduledOutcome, error)
	// DoneSandboxOutcome removes o, unless another replaced it.
	DoneSandboxOutcome(ctx context.Context, o ScheduledOutcome) error
}
