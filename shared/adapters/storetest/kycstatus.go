package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// runKYCStatus runs the part of the suite on providers' results:
// ChangeKYCStatus, UserKYC and an approved user's new session. contents
// prints the whole store, to show that a refused change wrote nothing.
func runKYCStatus(t *testing.T, newStore func(t *testing.T) domain.Store, contents func(t *testing.T, s domain.Store) string) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	at := now.Add(10 * time.Minute).Add(368 * time.Millisecond)

	// open gives user id (created if new) a pending session sid created at created.
	open := func(t *testing.T, s domain.Store, id, sid string, created time.Time) domain.KYCSession {
		t.Helper()
		if _, err := s.GetUser(ctx, id); errors.Is(err, domain.ErrNotFound) {
			u, g := fixture(id, "p1", "ext-"+id, now)
			if _, err := s.CreateUser(ctx, u, g, anEvent()); err != nil {
				t.Fatal(err)
			}
		}
		sess := domain.KYCSession{ID: sid, UserID: id, PartnerID: "p1", Country: "MX", TemplateID: "basic-kyc-level",
			Provider: domain.ProviderSumsub, Status: domain.KYCPending, CreatedAt: created, UpdatedAt: created,
			ExpiresAt: created.Add(24 * time.Hour), RetainUntil: created.Add(31 * 24 * time.Hour)}
		if rej, err := s.OpenKYCSession(ctx, sess, created, anEvent()); rej != nil || err != nil {
			t.Fatalf("open %s: %+v %v", sid, rej, err)
		}
		return sess
	}
	change := func(sid, uid, from string, fromAt time.Time, to string, at time.Time, latest bool) domain.KYCStatusChange {
		return domain.KYCStatusChange{SessionID: sid, UserID: uid, From: from, FromAt: fromAt, To: to, At: at, Latest: latest, Now: now.Add(time.Hour)}
	}
	// written tells whether ev was stored.
	written := func(t *testing.T, s domain.Store, ev domain.OutboxEvent) bool {
		t.Helper()
		_, err := s.OutboxStatus(ctx, ev.Key())
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	t.Run("a change moves the session and the user and writes its event", func(t *testing.T) {
		s := newStore(t)
		open(t, s, "c1", "cs1", now)
		ev := anEvent()
		if err := s.ChangeKYCStatus(ctx, change("cs1", "c1", domain.KYCPending, time.Time{}, domain.KYCInReview, at, true), &ev); err != nil {
			t.Fatal(err)
		}
		sess, _ := s.GetKYCSession(ctx, "cs1")
		if sess.Status != domain.KYCInReview || !sess.StatusAt.Equal(at) || !sess.UpdatedAt.Equal(now.Add(time.Hour)) || sess.Provider != domain.ProviderSumsub {
			t.Fatalf("session after change: %+v", sess)
		}
		u, _ := s.GetUser(ctx, "c1")
		if u.KYCStatus != domain.KYCInReview || !u.UpdatedAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("user after change: %+v", u)
		}
		if !written(t, s, ev) {
			t.Fatal("the change's event was not written")
		}
		// From IN_REVIEW as read (with its time) to APPROVED.
		ev2 := anEvent()
		if err := s.ChangeKYCStatus(ctx, change("cs1", "c1", domain.KYCInReview, at, domain.KYCApproved, at.Add(time.Second), true), &ev2); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.GetUser(ctx, "c1"); u.KYCStatus != domain.KYCApproved {
			t.Fatalf("user %s", u.KYCStatus)
		}
	})

	t.Run("a session with a result never expires", func(t *testing.T) {
		s := newStore(t)
		open(t, s, "c2", "cs2", now.Add(-48*time.Hour)) // past its expiry
		ev := anEvent()
		if err := s.ChangeKYCStatus(ctx, change("cs2", "c2", domain.KYCPending, time.Time{}, domain.KYCActionRequired, at, true), &ev); err != nil {
			t.Fatal(err)
		}
		if refs, err := expiredNow(ctx, s, now); err != nil || len(refs) != 0 {
			t.Fatalf("a session with a result is still listed for expiry: %v %v", refs, err)
		}
		if got, err := s.ExpireKYCSessions(ctx, []domain.Expiry{{ID: "cs2", Event: anEvent()}}, now); err != nil || len(got) != 0 {
			t.Fatalf("expired %v %v", got, err)
		}
		sess, _ := s.GetKYCSession(ctx, "cs2")
		if sess.EffectiveStatus(now) != domain.KYCActionRequired {
			t.Fatalf("effective status %s", sess.EffectiveStatus(now))
		}
	})

	t.Run("a change on a session not as read writes nothing", func(t *testing.T) {
		s := newStore(t)
		open(t, s, "c3", "cs3", now)
		ev := anEvent()
		if err := s.ChangeKYCStatus(ctx, change("cs3", "c3", domain.KYCPending, time.Time{}, domain.KYCInReview, at, true), &ev); err != nil {
			t.Fatal(err)
		}
		snapshot := contents(t, s)
		cases := []struct {
			name string
			c    domain.KYCStatusChange
			want error
		}{
			{"status read is not the status", change("cs3", "c3", domain.KYCPending, time.Time{}, domain.KYCApproved, at.Add(time.Hour), true), domain.E(domain.Stale, domain.ReasonStaleSession)},
			{"time read is not the time", change("cs3", "c3", domain.KYCInReview, at.Add(-time.Second), domain.KYCApproved, at.Add(time.Hour), true), domain.E(domain.Stale, domain.ReasonStaleSession)},
			{"no time read, one set", change("cs3", "c3", domain.KYCInReview, time.Time{}, domain.KYCApproved, at.Add(time.Hour), true), domain.E(domain.Stale, domain.ReasonStaleSession)},
			{"another user's session", change("cs3", "c-other", domain.KYCInReview, at, domain.KYCApproved, at.Add(time.Hour), false), domain.ErrNotFound},
			{"no such session", change("cs-missing", "c3", domain.KYCPending, time.Time{}, domain.KYCApproved, at, true), domain.ErrNotFound},
		}
		for _, c := range cases {
			ev := anEvent()
			if err := s.ChangeKYCStatus(ctx, c.c, &ev); !errors.Is(err, c.want) {
				t.Fatalf("%s: %v, want %v", c.name, err, c.want)
			}
			if written(t, s, ev) {
				t.Fatalf("%s wrote its event", c.name)
			}
			if got := contents(t, s); got != snapshot {
				t.Fatalf("%s changed the store:\n%s\nwas\n%s", c.name, got, snapshot)
			}
		}
	})

	t.Run("only the latest session moves the user", func(t *testing.T) {
		s := newStore(t)
		old := open(t, s, "c4", "cs4a", now)
		open(t, s, "c4", "cs4b", now.Add(time.Minute))
		snapshot := contents(t, s)
		ev := anEvent()
		// Read as latest, but it is not (any more): stale, nothing written.
		if err := s.ChangeKYCStatus(ctx, change(old.ID, "c4", domain.KYCPending, time.Time{}, domain.KYCRejected, at, true), &ev); !errors.Is(err, domain.E(domain.Stale, domain.ReasonStaleSession)) {
			t.Fatalf("latest read wrongly: %v", err)
		}
		if got := contents(t, s); got != snapshot {
			t.Fatalf("a stale change wrote:\n%s", got)
		}
		if err := s.ChangeKYCStatus(ctx, change(old.ID, "c4", domain.KYCPending, time.Time{}, domain.KYCRejected, at, false), &ev); err != nil {
			t.Fatal(err)
		}
		if sess, _ := s.GetKYCSession(ctx, old.ID); sess.Status != domain.KYCRejected {
			t.Fatalf("older session %s", sess.Status)
		}
		if u, _ := s.GetUser(ctx, "c4"); u.KYCStatus != domain.KYCPending || u.KYCSessionID != "cs4b" {
			t.Fatalf("the user followed an older session: %+v", u)
		}
	})

	t.Run("a result not newer than the user's last, on any session, writes nothing", func(t *testing.T) {
		s := newStore(t)
		older := open(t, s, "c12", "cs12a", now)
		open(t, s, "c12", "cs12b", now.Add(time.Minute))
		ev := anEvent()
		// A result on the older session records its time on the user.
		if err := s.ChangeKYCStatus(ctx, change(older.ID, "c12", domain.KYCPending, time.Time{}, domain.KYCRejected, at, false), &ev); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.GetUser(ctx, "c12"); !u.KYCResultAt.Equal(at) {
			t.Fatalf("the user's last result time %v, want %v", u.KYCResultAt, at)
		}
		snapshot := contents(t, s)
		for _, when := range []time.Time{at.Add(-time.Millisecond), at} {
			ev := anEvent()
			err := s.ChangeKYCStatus(ctx, change("cs12b", "c12", domain.KYCPending, time.Time{}, domain.KYCApproved, when, true), &ev)
			if !errors.Is(err, domain.E(domain.Stale, domain.ReasonStaleSession)) {
				t.Fatalf("a result at %v after one at %v: %v", when, at, err)
			}
			if written(t, s, ev) || contents(t, s) != snapshot {
				t.Fatalf("a result at %v wrote", when)
			}
		}
		ev = anEvent()
		later := at.Add(time.Nanosecond)
		if err := s.ChangeKYCStatus(ctx, change("cs12b", "c12", domain.KYCPending, time.Time{}, domain.KYCApproved, later, true), &ev); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.GetUser(ctx, "c12"); u.KYCStatus != domain.KYCApproved || !u.KYCResultAt.Equal(later) {
			t.Fatalf("after a newer result: %+v", u)
		}
	})

	t.Run("the applicant a result names is recorded once", func(t *testing.T) {
		s := newStore(t)
		open(t, s, "c13", "cs13", now)
		c := change("cs13", "c13", domain.KYCPending, time.Time{}, domain.KYCInReview, at, true)
		c.ApplicantID = "applicant-1"
		if err := s.ChangeKYCStatus(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		if sess, _ := s.GetKYCSession(ctx, "cs13"); sess.ApplicantID != "applicant-1" {
			t.Fatalf("applicant %q", sess.ApplicantID)
		}
		if _, list, _ := s.UserKYC(ctx, "c13", 5); len(list) != 1 || list[0].ApplicantID != "applicant-1" {
			t.Fatalf("listed %+v", list)
		}
		// A change naming none leaves it.
		if err := s.ChangeKYCStatus(ctx, change("cs13", "c13", domain.KYCInReview, at, domain.KYCApproved, at.Add(time.Second), true), nil); err != nil {
			t.Fatal(err)
		}
		if sess, _ := s.GetKYCSession(ctx, "cs13"); sess.ApplicantID != "applicant-1" {
			t.Fatalf("applicant %q after a change naming none", sess.ApplicantID)
		}
	})

	t.Run("a change without an event writes none", func(t *testing.T) {
		s := newStore(t)
		open(t, s, "c5", "cs5", now)
		ev := anEvent()
		if err := s.ChangeKYCStatus(ctx, change("cs5", "c5", domain.KYCPending, time.Time{}, domain.KYCInReview, at, true), &ev); err != nil {
			t.Fatal(err)
		}
		// A newer callback with the same status: only its time is recorded.
		snapshot := contents(t, s)
		if err := s.ChangeKYCStatus(ctx, change("cs5", "c5", domain.KYCInReview, at, domain.KYCInReview, at.Add(time.Minute), false), nil); err != nil {
			t.Fatal(err)
		}
		if sess, _ := s.GetKYCSession(ctx, "cs5"); !sess.StatusAt.Equal(at.Add(time.Minute)) {
			t.Fatalf("statusAt %v", sess.StatusAt)
		}
		if strings.Count(snapshot, "evt-") == 0 {
			t.Fatalf("the contents show no event ids:\n%s", snapshot)
		}
		if got := contents(t, s); strings.Count(got, "evt-") != strings.Count(snapshot, "evt-") {
			t.Fatalf("a change without an event wrote one:\n%s\nwas\n%s", got, snapshot)
		}
	})

	t.Run("an erased user's session changes nowhere", func(t *testing.T) {
		s := newStore(t)
		open(t, s, "c6", "cs6", now)
		sess, _ := s.GetKYCSession(ctx, "cs6")
		if err := s.EraseUser(ctx, "p1", "c6", anEvent(), now); err != nil {
			t.Fatal(err)
		}
		snapshot := contents(t, s)
		ev := anEvent()
		if err := s.ChangeKYCStatus(ctx, change(sess.ID, "c6", domain.KYCPending, time.Time{}, domain.KYCApproved, at, true), &ev); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("erased user: %v", err)
		}
		if got := contents(t, s); got != snapshot {
			t.Fatalf("a change of an erased user wrote:\n%s", got)
		}
	})

	t.Run("an approved user opens no new session", func(t *testing.T) {
		s := newStore(t)
		open(t, s, "c7", "cs7", now)
		ev := anEvent()
		if err := s.ChangeKYCStatus(ctx, change("cs7", "c7", domain.KYCPending, time.Time{}, domain.KYCApproved, at, true), &ev); err != nil {
			t.Fatal(err)
		}
		snapshot := contents(t, s)
		sess := domain.KYCSession{ID: "cs7b", UserID: "c7", PartnerID: "p1", Country: "MX", TemplateID: "t", Provider: domain.ProviderHosted,
			Status: domain.KYCPending, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
		rej, err := s.OpenKYCSession(ctx, sess, now, anEvent())
		if err != nil || rej == nil || rej.KYCStatus != domain.KYCApproved {
			t.Fatalf("approved user: %+v %v", rej, err)
		}
		if got := contents(t, s); got != snapshot {
			t.Fatalf("a refused open wrote:\n%s", got)
		}
	})

	t.Run("user KYC lists the newest sessions first, bounded", func(t *testing.T) {
		s := newStore(t)
		var want []string
		for i := 0; i < 7; i++ {
			sid := fmt.Sprintf("cl%d", (i*5)%7) // ids out of creation order
			open(t, s, "c8", sid, now.Add(time.Duration(i)*time.Minute))
			want = append([]string{sid}, want...)
		}
		open(t, s, "c9", "other", now.Add(time.Hour)) // another user's
		u, list, err := s.UserKYC(ctx, "c8", 5)
		if err != nil || u.ID != "c8" || u.KYCSessionID != want[0] {
			t.Fatalf("user %+v %v", u, err)
		}
		var got []string
		for _, sess := range list {
			got = append(got, sess.ID)
			if sess.UserID != "c8" || sess.Provider != domain.ProviderSumsub || sess.Country != "MX" || sess.UpdatedAt.IsZero() {
				t.Fatalf("session %+v", sess)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want[:5]) {
			t.Fatalf("sessions %v, want %v", got, want[:5])
		}
		if _, list, err := s.UserKYC(ctx, "c8", 20); err != nil || len(list) != 7 {
			t.Fatalf("all: %d %v", len(list), err)
		}
		if _, err := s.GetUser(ctx, "c10"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatal("c10 exists")
		}
		if _, _, err := s.UserKYC(ctx, "c10", 5); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		u2, g2 := fixture("c11", "p1", "ext-c11", now)
		if _, err := s.CreateUser(ctx, u2, g2, anEvent()); err != nil {
			t.Fatal(err)
		}
		if u, list, err := s.UserKYC(ctx, "c11", 5); err != nil || u.KYCStatus != domain.KYCNotStarted || len(list) != 0 {
			t.Fatalf("user without sessions: %+v %v %v", u, list, err)
		}
		if err := s.EraseUser(ctx, "p1", "c8", anEvent(), now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.UserKYC(ctx, "c8", 5); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("erased user: %v", err)
		}
	})
}
