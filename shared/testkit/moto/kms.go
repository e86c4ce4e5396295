package moto

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// NewKey creates a symmetric KMS key on the server (as the stack's
// WebhookSigningKey) and returns its id.
func (s *Server) NewKey(t testing.TB) string {
	t.Helper()
	out, err := kms.NewFromConfig(s.Config(nil, nil)).CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("create KMS key: %v", err)
	}
	return *out.KeyMetadata.KeyId
}
