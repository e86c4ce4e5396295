package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/domain"
)

// runKYC runs the KYC session part of the suite. complete marks a session
// APPROVED behind the store's back while it stays in the pending index, as
// a provider's completion racing the cleanup would look.
func runKYC(t *testing.T, newStore func(t *testing.T) domain.Store, complete func(t *testing.T, s domain.Store, id string)) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

	seed := func(t *testing.T, s domain.Store, id, partner, typ string) {
		u, g := fixture(id, partner, "ext-"+id, now)
		u.Type = typ
		if _, err := s.CreateUser(ctx, u, g, anEvent()); err != nil {
			t.Fatal(err)
		}
	}
	session := func(id, user, partner string, expires time.Time) domain.KYCSession {
		return domain.KYCSession{ID: id, UserID: user, PartnerID: partner, Country: "MX", TemplateID: "mx-basic",
			RedirectURI: "myapp://done", Provider: domain.ProviderHosted, Status: domain.KYCPending, CreatedAt: now, ExpiresAt: expires,
			UpdatedAt: now, RetainUntil: expires.Add(30 * 24 * time.Hour)}
	}

	t.Run("a user holds at most MaxOpenKYCSessions open sessions; a result or CloseOpenKYC frees one; its newest sessions list first", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "kc", "p1", "INDIVIDUAL")
		var ids []string
		for i := range domain.MaxOpenKYCSessions {
			sess := session(fmt.Sprintf("cap-%02d", i), "kc", "p1", now.Add(time.Hour))
			sess.CreatedAt = now.Add(time.Duration(i) * time.Minute)
			if rej, err := s.OpenKYCSession(ctx, sess, sess.CreatedAt, anEvent()); rej != nil || err != nil {
				t.Fatalf("open %d: %+v %v", i, rej, err)
			}
			ids = append(ids, sess.ID)
		}
		one := session("cap-over", "kc", "p1", now.Add(time.Hour))
		one.CreatedAt = now.Add(time.Hour)
		ev := anEvent()
		rej, err := s.OpenKYCSession(ctx, one, one.CreatedAt, ev)
		if err != nil || rej == nil || len(rej.OpenKYC) != domain.MaxOpenKYCSessions || rej.KYCSessionID != ids[len(ids)-1] {
			t.Fatalf("one over the cap: %+v %v", rej, err)
		}
		if _, err := s.GetKYCSession(ctx, one.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a refused session was written: %v", err)
		}
		if _, err := s.OutboxStatus(ctx, ev.Key()); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("a refused session's event was written: %v", err)
		}
		// A result takes its session out of the open set.
		c := domain.KYCStatusChange{SessionID: ids[0], UserID: "kc", From: domain.KYCPending, To: domain.KYCRejected, At: now.Add(2 * time.Hour), Now: now.Add(2 * time.Hour)}
		if err := s.ChangeKYCStatus(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		if u, err := s.GetUser(ctx, "kc"); err != nil || len(u.OpenKYC) != domain.MaxOpenKYCSessions-1 || slices.Contains(u.OpenKYC, ids[0]) {
			t.Fatalf("after a result: %+v %v", u.OpenKYC, err)
		}
		if rej, err := s.OpenKYCSession(ctx, one, one.CreatedAt, ev); rej != nil || err != nil {
			t.Fatalf("room after a result: %+v %v", rej, err)
		}
		if err := s.CloseOpenKYC(ctx, "kc", ids[1:3]); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.GetUser(ctx, "kc"); len(u.OpenKYC) != domain.MaxOpenKYCSessions-2 || slices.Contains(u.OpenKYC, ids[1]) || !slices.Contains(u.OpenKYC, one.ID) {
			t.Fatalf("after CloseOpenKYC: %v", u.OpenKYC)
		}
		if err := s.CloseOpenKYC(ctx, "nobody", ids[:1]); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("CloseOpenKYC of no user: %v", err)
		}
		_, list, err := s.UserKYC(ctx, "kc", 4)
		if err != nil || len(list) != 4 || list[0].ID != one.ID || list[1].ID != ids[9] || list[3].ID != ids[7] {
			t.Fatalf("newest 4: %+v %v", list, err)
		}
	})

	t.Run("open writes the session and moves the user to PENDING", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "k1", "p1", "INDIVIDUAL")
		sess := session("s1", "k1", "p1", now.Add(24*time.Hour))
		if rej, err := s.OpenKYCSession(ctx, sess, now.Add(time.Minute), anEvent()); rej != nil || err != nil {
			t.Fatalf("open: %v %v", rej, err)
		}
		got, err := s.GetKYCSession(ctx, "s1")
		if err != nil || got != sess {
			t.Fatalf("session round trip:\n got %+v %v\nwant %+v", got, err, sess)
		}
		u, _ := s.GetUser(ctx, "k1")
		if u.KYCStatus != domain.KYCPending || u.KYCSessionID != "s1" || !u.KYCExpiresAt.Equal(sess.ExpiresAt) || !u.UpdatedAt.Equal(now.Add(time.Minute)) {
			t.Fatalf("user after open: %+v", u)
		}
	})

	t.Run("open is refused with nothing written", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "k2", "p1", "INDIVIDUAL")
		seed(t, s, "k3", "p1", "BUSINESS")
		if _, err := s.OpenKYCSession(ctx, session("s2", "nobody", "p1", now.Add(time.Hour)), now, anEvent()); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		rej, err := s.OpenKYCSession(ctx, session("s3", "k2", "p2", now.Add(time.Hour)), now, anEvent())
		if err != nil || rej == nil || rej.PartnerID != "p1" {
			t.Fatalf("another partner's user: %+v %v", rej, err)
		}
		rej, err = s.OpenKYCSession(ctx, session("s4", "k3", "p1", now.Add(time.Hour)), now, anEvent())
		if err != nil || rej == nil || rej.Type != "BUSINESS" {
			t.Fatalf("business user: %+v %v", rej, err)
		}
		for _, id := range []string{"s2", "s3", "s4"} {
			if _, err := s.GetKYCSession(ctx, id); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("refused session %s was written: %v", id, err)
			}
		}
		for _, id := range []string{"k2", "k3"} {
			if u, _ := s.GetUser(ctx, id); u.KYCStatus != domain.KYCNotStarted || u.KYCSessionID != "" {
				t.Fatalf("refused open changed user %s: %+v", id, u)
			}
		}
	})

	t.Run("expired sessions are listed across pages and expired once", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "k4", "p1", "INDIVIDUAL")
		var expired []string
		for i := 0; i < 23; i++ {
			id := fmt.Sprintf("sx%02d", i)
			exp := now.Add(time.Duration(i+1) * time.Minute)
			if i%2 == 0 {
				exp = now.Add(-time.Duration(i+1) * time.Minute)
				expired = append(expired, id)
			}
			if rej, err := s.OpenKYCSession(ctx, session(id, "k4", "p1", exp), now.Add(-time.Hour), anEvent()); rej != nil || err != nil {
				t.Fatal(rej, err)
			}
			closeOpen(t, s, "k4", id)
		}
		var listed []string
		cursor, pages, part := "", 0, 0
		for part < s.ExpiryParts() {
			refs, next, err := s.ExpiredKYCSessions(ctx, part, now, cursor, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(refs) > 5 {
				t.Fatalf("page of %d, limit 5", len(refs))
			}
			for _, r := range refs {
				if r.UserID != "k4" || r.PartnerID != "p1" {
					t.Fatalf("ref %+v", r)
				}
				listed = append(listed, r.ID)
			}
			pages++
			if next == "" {
				part++
			}
			cursor = next
		}
		sort.Strings(listed)
		if fmt.Sprint(listed) != fmt.Sprint(expired) || pages < 3 {
			t.Fatalf("listed %v in %d pages, want %v over several pages", listed, pages, expired)
		}
		for _, id := range listed {
			if ok, err := expireOne(ctx, s, id, now); !ok || err != nil {
				t.Fatalf("expire %s: %v %v", id, ok, err)
			}
			if ok, err := expireOne(ctx, s, id, now); ok || err != nil {
				t.Fatalf("second expire of %s: %v %v", id, ok, err)
			}
			if got, _ := s.GetKYCSession(ctx, id); got.Status != domain.KYCExpired {
				t.Fatalf("%s status %s", id, got.Status)
			}
		}
		if refs, err := expiredNow(ctx, s, now); err != nil || len(refs) != 0 {
			t.Fatalf("after expiry: %v %v", refs, err)
		}
		if ok, _ := expireOne(ctx, s, "sx01", now); ok {
			t.Fatal("a session not yet expired was expired")
		}
		if ok, _ := expireOne(ctx, s, "missing", now); ok {
			t.Fatal("a missing session was expired")
		}
	})

	t.Run("a session completed meanwhile is left alone", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "k5", "p1", "INDIVIDUAL")
		if _, err := s.OpenKYCSession(ctx, session("sc", "k5", "p1", now.Add(-time.Minute)), now.Add(-time.Hour), anEvent()); err != nil {
			t.Fatal(err)
		}
		refs, _ := expiredNow(ctx, s, now)
		if len(refs) != 1 {
			t.Fatalf("listed %v", refs)
		}
		complete(t, s, "sc")
		if ok, err := expireOne(ctx, s, "sc", now); ok || err != nil {
			t.Fatalf("completed session expired: %v %v", ok, err)
		}
		if got, _ := s.GetKYCSession(ctx, "sc"); got.Status != domain.KYCApproved {
			t.Fatalf("status %s", got.Status)
		}
	})

	t.Run("a batch expires the rest around sessions whose condition fails", func(t *testing.T) {
		s := newStore(t)
		seed(t, s, "k6", "p1", "INDIVIDUAL")
		var batch []domain.Expiry
		for i := 0; i < 120; i++ {
			id := fmt.Sprintf("sb%03d", i)
			exp := now.Add(-time.Minute)
			if i%40 == 7 {
				exp = now.Add(time.Hour) // not yet expired: its condition fails
			}
			if rej, err := s.OpenKYCSession(ctx, session(id, "k6", "p1", exp), now.Add(-time.Hour), anEvent()); rej != nil || err != nil {
				t.Fatal(rej, err)
			}
			closeOpen(t, s, "k6", id)
			batch = append(batch, domain.Expiry{ID: id, Event: anEvent()})
		}
		complete(t, s, "sb050")
		got, err := s.ExpireKYCSessions(ctx, batch, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 116 {
			t.Fatalf("expired %d, want 116 (120 less 3 unexpired and 1 completed)", len(got))
		}
		for _, id := range []string{"sb007", "sb047", "sb087", "sb050"} {
			if sess, _ := s.GetKYCSession(ctx, id); sess.Status == domain.KYCExpired {
				t.Fatalf("%s was expired", id)
			}
		}
		if sess, _ := s.GetKYCSession(ctx, "sb119"); sess.Status != domain.KYCExpired {
			t.Fatalf("sb119 %s", sess.Status)
		}
	})

	t.Run("reads treat a session past its expiry as expired", func(t *testing.T) {
		sess := session("se", "u", "p", now)
		if sess.EffectiveStatus(now.Add(-time.Second)) != domain.KYCPending || sess.EffectiveStatus(now) != domain.KYCExpired {
			t.Fatal("session effective status")
		}
		u := domain.User{KYCStatus: domain.KYCPending, KYCExpiresAt: now}
		if u.EffectiveKYCStatus(now.Add(-time.Second)) != domain.KYCPending || u.EffectiveKYCStatus(now) != domain.KYCExpired {
			t.Fatal("user effective status")
		}
	})
}

// expireOne expires one session through the batch call.
func expireOne(ctx context.Context, s domain.Store, id string, now time.Time) (bool, error) {
	ids, err := s.ExpireKYCSessions(ctx, []domain.Expiry{{ID: id, Event: anEvent()}}, now)
	return len(ids) == 1, err
}

// expiredNow lists every part's expired sessions, page by page.
func expiredNow(ctx context.Context, s domain.Store, now time.Time) ([]domain.SessionRef, error) {
	var all []domain.SessionRef
	for part := range s.ExpiryParts() {
		cursor := ""
		for {
			refs, next, err := s.ExpiredKYCSessions(ctx, part, now, cursor, 10)
			if err != nil {
				return nil, err
			}
			all = append(all, refs...)
			if next == "" {
				break
			}
			cursor = next
		}
	}
	return all, nil
}

// closeOpen takes a session out of its user's open set, as its result
// would: a test that opens more sessions for one user than it may hold
// open at once (domain.MaxOpenKYCSessions) seeds them so.
func closeOpen(t *testing.T, s domain.Store, userID, sessionID string) {
	t.Helper()
	if err := s.CloseOpenKYC(context.Background(), userID, []string{sessionID}); err != nil {
		t.Fatal(err)
	}
}
