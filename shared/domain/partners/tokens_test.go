package partners

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/partner-identity/api/shared/adapters/memstore"
	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	tokensPkg "github.com/partner-identity/api/shared/domain/tokens"
)

// TestAccessTokensReadTheirPartner: a token of a key made after the
// container last read its partner is accepted at once (the partner read
// again, once); a revoked key's token is refused after one read at most,
// then from the cache; a removed partner's tokens are refused; one is
// never issued for another partner's id, nor to a suspended partner. On
// both stores, counting the store's partner reads.
func TestAccessTokensReadTheirPartner(t *testing.T) {
	stores(t, func(t *testing.T, s domain.Store) {
		ctx := context.Background()
		clk := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
		admin := NewAdmin(s, clk.now, false)
		_, first, err := admin.Create(ctx, "ops@test", NewPartner{ID: "p_acme", Name: "Acme", Flow: FlowAPI})
		if err != nil {
			t.Fatal(err)
		}
		_, other, err := admin.Create(ctx, "ops@test", NewPartner{ID: "p_beta", Name: "Beta", Flow: FlowAPI})
		if err != nil {
			t.Fatal(err)
		}
		signing, verifying := servicekeys.Generate("k1")
		sk, err := servicekeys.Parse(signing)
		if err != nil {
			t.Fatal(err)
		}
		vk, err := servicekeys.Parse(verifying)
		if err != nil {
			t.Fatal(err)
		}
		c := &counting{Store: s}
		dir := NewDirectory(c, clk.now)
		defer dir.Wait()
		tokens := NewAccessTokens(dir, func(context.Context) (*servicekeys.Keys, error) { return vk, nil },
			func(context.Context) (*servicekeys.Keys, error) { return sk, nil }, clk.now)

		minted, err := tokens.Issue(ctx, "p_acme", first)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if p, digest, err := tokens.Authenticate(ctx, minted.Token); err != nil || p.ID != "p_acme" || digest != KeyDigest(first) {
				t.Fatalf("authenticate: %+v %s %v", p, digest, err)
			}
		}
		if n := c.byID.Load(); n != 1 {
			t.Fatalf("three requests read the partner %d times, want 1", n)
		}

		// A key made after the container read the partner: its token works
		// at once, for one more read.
		clk.add(2 * time.Second)
		_, second, err := admin.IssueKey(ctx, "ops@test", "p_acme", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		clk.add(2 * time.Second)
		fresh, err := tokens.Issue(ctx, "p_acme", second)
		if err != nil {
			t.Fatal(err)
		}
		c.byID.Store(0)
		for range 3 {
			if _, _, err := tokens.Authenticate(ctx, fresh.Token); err != nil {
				t.Fatalf("a new key's token: %v", err)
			}
		}
		if n := c.byID.Load(); n != 1 {
			t.Fatalf("a new key's token read the partner %d times, want 1", n)
		}

		// Revoked: within the minute, then refused; each refusal after the
		// first costs no read.
		d, err := admin.Show(ctx, "p_acme")
		if err != nil {
			t.Fatal(err)
		}
		var secondID string
		for _, k := range d.Keys {
			if k.Hint != "" && second[len(second)-len("_p_acme")-4:len(second)-len("_p_acme")] == k.Hint {
				secondID = k.ID
			}
		}
		if _, err := admin.RevokeKey(ctx, "ops@test", "p_acme", secondID); err != nil {
			t.Fatal(err)
		}
		clk.add(CacheTTL + time.Second)
		c.byID.Store(0)
		for range 5 {
			if _, _, err := tokens.Authenticate(ctx, fresh.Token); !errors.Is(err, errTokenInvalid) {
				t.Fatalf("a revoked key's token: %v", err)
			}
		}
		if n := c.byID.Load(); n != 1 {
			t.Fatalf("five requests with a revoked key's token read the partner %d times, want 1", n)
		}

		// Never for another partner's id; never to a suspended partner.
		if _, err := tokens.Issue(ctx, "p_beta", first); !errors.Is(err, ErrClientInvalid) {
			t.Fatalf("acme's key for beta: %v", err)
		}
		if _, err := tokens.Issue(ctx, "p_acme", "not-a-key"); !errors.Is(err, ErrClientInvalid) {
			t.Fatalf("a malformed key: %v", err)
		}
		if _, err := admin.Suspend(ctx, "ops@test", "p_beta"); err != nil {
			t.Fatal(err)
		}
		clk.add(CacheTTL + time.Second)
		if _, err := tokens.Issue(ctx, "p_beta", other); !errors.Is(err, errFlow) {
			t.Fatalf("a suspended partner: %v", err)
		}

		// Removed: its tokens are invalid.
		live, err := tokens.Issue(ctx, "p_acme", first)
		if err != nil {
			t.Fatal(err)
		}
		if err := admin.Remove(ctx, "ops@test", "p_acme"); err != nil {
			t.Fatal(err)
		}
		clk.add(CacheTTL + time.Second)
		if _, _, err := tokens.Authenticate(ctx, live.Token); !errors.Is(err, errTokenInvalid) {
			t.Fatalf("a removed partner's token: %v", err)
		}
	})
}

// BenchmarkAccessTokens: a grant and a token's check, warm (the key and
// the partner in the container's cache): the grant is one Ed25519
// signature, a token's first check one verification, its next ones none
// (the container remembers it); none is a read.
//
//	go test ./shared/domain/partners -run '^$' -bench AccessTokens -benchmem
func BenchmarkAccessTokens(b *testing.B) {
	s := memstore.New()
	admin := NewAdmin(s, nil, false)
	_, key, err := admin.Create(context.Background(), "bench", NewPartner{ID: "p_bench", Name: "Bench", Flow: FlowAPI})
	if err != nil {
		b.Fatal(err)
	}
	signing, verifying := servicekeys.Generate("k1")
	sk, _ := servicekeys.Parse(signing)
	vk, _ := servicekeys.Parse(verifying)
	tokens := NewAccessTokens(NewDirectoryTouchingAfter(s, nil, TouchInline), func(context.Context) (*servicekeys.Keys, error) { return vk, nil },
		func(context.Context) (*servicekeys.Keys, error) { return sk, nil }, nil)
	minted, err := tokens.Issue(context.Background(), "p_bench", key)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := tokens.Authenticate(context.Background(), minted.Token); err != nil {
		b.Fatal(err)
	}
	b.Run("issue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tokens.Issue(context.Background(), "p_bench", key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("authenticate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := tokens.Authenticate(context.Background(), minted.Token); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestATokenIsVerifiedOncePerContainer: a token's signature is checked on
// its first request in a container, not on the next ones; its key's and
// its partner's standing on every one (a revocation still ends it); an
// expired token is refused whatever the container remembers; another
// token, or other keys, are verified again.
func TestATokenIsVerifiedOncePerContainer(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	s := memstore.New()
	admin := NewAdmin(s, clk.now, false)
	_, key, err := admin.Create(ctx, "ops@test", NewPartner{ID: "p_acme", Name: "Acme", Flow: FlowAPI})
	if err != nil {
		t.Fatal(err)
	}
	signing, verifying := servicekeys.Generate("k1")
	sk, _ := servicekeys.Parse(signing)
	vk, _ := servicekeys.Parse(verifying)
	keys := vk
	tokens := NewAccessTokens(NewDirectory(s, clk.now), func(context.Context) (*servicekeys.Keys, error) { return keys, nil },
		func(context.Context) (*servicekeys.Keys, error) { return sk, nil }, clk.now)
	verifications := 0
	real := tokens.verify
	tokens.verify = func(k *servicekeys.Keys, tok string, now time.Time) (*tokensPkg.PartnerClaims, error) {
		verifications++
		return real(k, tok, now)
	}
	minted, err := tokens.Issue(ctx, "p_acme", key)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, _, err := tokens.Authenticate(ctx, minted.Token); err != nil {
			t.Fatal(err)
		}
	}
	if verifications != 1 {
		t.Fatalf("five requests with one token: %d verifications, want 1", verifications)
	}
	other, _ := tokens.Issue(ctx, "p_acme", key)
	if _, _, err := tokens.Authenticate(ctx, other.Token); err != nil || verifications != 2 {
		t.Fatalf("another token: %v, %d verifications", err, verifications)
	}
	keys, _ = servicekeys.Parse(verifying) // the secret read again
	if _, _, err := tokens.Authenticate(ctx, minted.Token); err != nil || verifications != 3 {
		t.Fatalf("keys read again: %v, %d verifications, want 3", err, verifications)
	}
	clk.add(time.Hour + time.Minute) // past the expiry and the clock skew allowed
	if _, _, err := tokens.Authenticate(ctx, minted.Token); !errors.Is(err, errTokenExpired) {
		t.Fatalf("an hour later: %v", err)
	}
}
