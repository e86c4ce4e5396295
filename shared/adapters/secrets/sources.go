package secrets

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// GetSecretValueAPI is the one Secrets Manager call the API makes.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// FromSecretsManager loads the current version of secret id.
func FromSecretsManager(client GetSecretValueAPI, id string) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return nil, err
		}
		if out.SecretString != nil {
			return []byte(*out.SecretString), nil
		}
		if out.SecretBinary != nil {
			return out.SecretBinary, nil
		}
		return nil, errors.New("secret has no value")
	}
}

// FromFile loads a local file (for make run and local invokes).
func FromFile(path string) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) { return os.ReadFile(path) }
}

// Parsed turns a raw loader into a loader of the parsed value.
func Parsed[T any](load func(context.Context) ([]byte, error), parse func([]byte) (T, error)) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		raw, err := load(ctx)
		if err != nil {
			var zero T
			return zero, err
		}
		return parse(raw)
	}
}
