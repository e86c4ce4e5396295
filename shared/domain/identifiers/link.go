package identifiers

import (
	"context"
	"errors"
	"time"

	"github.com/partner-identity/api/shared/domain"
	"github.com/partner-identity/api/shared/domain/outbox"
	"github.com/partner-identity/api/shared/domain/partners"
	"github.com/partner-identity/api/shared/domain/servicekeys"
	"github.com/partner-identity/api/shared/kit/metrics"
)

// Linker links identifiers to users.
type Linker struct {
	store interface {
		domain.Links
		domain.Users
	}
	now  func() time.Time
	keys func(context.Context) (*servicekeys.Keys, error)
}

// NewLinker is the linker of the links and users of s, with now as its
// clock and the identifier pepper of keys.
func NewLinker(s interface {
	domain.Links
	domain.Users
}, now func() time.Time, keys func(context.Context) (*servicekeys.Keys, error)) *Linker {
	return &Linker{store: s, now: now, keys: keys}
}

// Link links partner p's identifier id to user u (the authenticated user,
// never one named by the caller). Linking the identifier u holds already is
// a success that writes nothing; another identifier replaces u's previous
// one in the same transaction, which also writes the outbox event.
//
// A federated identity with the partner's identity provider rests on the
// replaced link and is removed with it.
func (l *Linker) Link(ctx context.Context, u domain.User, p *partners.Partner, id string) error {
	keys, err := l.keys(ctx)
	if err != nil {
		return err
	}
	pepper, err := keys.IdentifierPepper()
	if err != nil {
		return err
	}
	partnerID := p.ID
	hash := Hash(pepper, partnerID, id)
	for attempt := 0; ; attempt++ {
		if u.LinkedIdentifierHash == hash {
			return nil
		}
		now := l.now().UTC()
		ev, err := linkedEvent(partnerID, u.ID, id, now)
		if err != nil {
			return err
		}
		err = l.store.LinkIdentifier(ctx, u.ID, partnerID, hash, u.LinkedIdentifierHash, p.IdentityProvider, ev, now)
		switch {
		case err == nil:
			metrics.Count(ctx, metrics.IdentifiersLinked, 1)
			return nil
		case errors.Is(err, domain.ErrConflict):
			metrics.Count(ctx, metrics.IdentifierConflicts, 1)
			return err // Conflict, ReasonIdentifierTaken: ER706
		case errors.Is(err, domain.ErrNotFound):
			return domain.ErrGone // the authenticated user is no more: ER709
		case errors.Is(err, domain.ErrStale) && attempt < 2:
			// The user's link changed meanwhile: read it again and retry.
			if u, err = l.store.GetUser(ctx, u.ID); errors.Is(err, domain.ErrNotFound) {
				return domain.ErrGone
			} else if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// linkedEvent is the outbox event of a link; it alone carries the raw
// identifier, for the partner's webhook.
func linkedEvent(partnerID, userID, id string, now time.Time) (domain.OutboxEvent, error) {
	return outbox.Personal(outbox.UserIdentifierLinked, partnerID, userID, map[string]string{"userId": userID, "identifier": id}, now)
}
