// Package store is the persistence interface of the API and its records.
// Two implementations: dynamostore (DynamoDB, one table) and memstore (in
// memory, the same semantics), both held to the conformance suite in
// storetest.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("store: not found")

// KYC statuses of a user.
const (
	KYCNotStarted = "NOT_STARTED"
	KYCPending    = "PENDING"
)

// User is a registered user of one partner.
type User struct {
	ID             string
	PartnerID      string
	ExternalUserID string
	Type           string
	Method         string
	Identifier     string // empty for method NONE
	Alias          string // empty when not given
	HasAlias       bool
	KYCStatus      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Guard makes externalUserId unique per partner. It is written with the user
// in one transaction and keeps the hash of the request that created the user
// and the response it got, for replays.
type Guard struct {
	PartnerID      string
	ExternalUserID string
	UserID         string
	RequestHash    string
	Response       []byte
	CreatedAt      time.Time
}

// Users stores users and their externalUserId guards.
type Users interface {
	// CreateUser writes u and g together, or nothing. When a guard for the
	// same partner and externalUserId exists already, it writes nothing and
	// returns that guard. Exactly one of many concurrent calls for one
	// externalUserId writes.
	CreateUser(ctx context.Context, u User, g Guard) (existing *Guard, err error)
	// GetUser returns the user with id, or ErrNotFound.
	GetUser(ctx context.Context, id string) (User, error)
	// GetGuard returns the guard of partnerID's externalUserID, or ErrNotFound.
	GetGuard(ctx context.Context, partnerID, externalUserID string) (Guard, error)
}
