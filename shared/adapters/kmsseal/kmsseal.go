// Package kmsseal seals partners' secrets with AWS KMS: each is encrypted
// under one key with the partner's id as its encryption context, so a
// ciphertext opens only for its partner and only for a role granted
// kms:Decrypt on the key (the webhook functions; the operator's command
// is granted kms:Encrypt).
package kmsseal

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// Client is the part of the KMS client a Sealer uses.
type Client interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, opts ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Sealer is a domain.Sealer over KMS key KeyID (an id, ARN or alias).
type Sealer struct {
	c     Client
	keyID string
}

// New is the sealer of key keyID through c.
func New(c Client, keyID string) *Sealer { return &Sealer{c: c, keyID: keyID} }

// purpose names what the ciphertexts are for in their encryption context,
// so that nothing sealed for another use of the key opens as one.
const purpose = "webhook-signing-secrets"

func encryptionContext(partnerID string) map[string]string {
	return map[string]string{"partnerId": partnerID, "purpose": purpose}
}

// Seal is one Encrypt (KMS takes up to 4 KiB; a partner's secrets are a
// few hundred bytes).
func (s *Sealer) Seal(ctx context.Context, partnerID string, plaintext []byte) ([]byte, error) {
	out, err := s.c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(s.keyID), Plaintext: plaintext,
		EncryptionContext: encryptionContext(partnerID)})
	if err != nil {
		return nil, err
	}
	return out.CiphertextBlob, nil
}

// Open is one Decrypt, which names the key (a ciphertext under another key
// does not open) and the partner's encryption context.
func (s *Sealer) Open(ctx context.Context, partnerID string, sealed []byte) ([]byte, error) {
	out, err := s.c.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String(s.keyID), CiphertextBlob: sealed,
		EncryptionContext: encryptionContext(partnerID)})
	if err != nil {
		return nil, err
	}
	return out.Plaintext, nil
}
