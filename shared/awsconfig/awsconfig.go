// Package awsconfig builds the SDK configuration of a function from the
// environment Lambda gives it: AWS_REGION and the execution role's
// credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN (static for the life of the execution environment).
// AWS_ENDPOINT_URL points every client at an emulator.
//
// It replaces config.LoadDefaultConfig in the functions: that one links the
// SSO, SSO OIDC, STS, sign-in, IMDS and shared-config code (about 3 MB and
// their package initialisation) to read files and profiles a function
// never has. cmd/local-api, where profiles matter, still uses it.
package awsconfig

import (
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Environment variables read by FromEnv.
const (
	envRegion        = "AWS_REGION"
	envDefaultRegion = "AWS_DEFAULT_REGION"
	envAccessKeyID   = "AWS_ACCESS_KEY_ID"
	envSecretKey     = "AWS_SECRET_ACCESS_KEY"
	envSessionToken  = "AWS_SESSION_TOKEN"
	envEndpointURL   = "AWS_ENDPOINT_URL"
)

// errNoRegion and errNoCredentials say what the environment lacks.
var (
	errNoRegion      = errors.New("awsconfig: AWS_REGION is not set")
	errNoCredentials = errors.New("awsconfig: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
)

// FromEnv reads the configuration from the environment.
func FromEnv() (aws.Config, error) { return from(os.Getenv) }

// from reads the configuration through getenv.
func from(getenv func(string) string) (aws.Config, error) {
	region := getenv(envRegion)
	if region == "" {
		region = getenv(envDefaultRegion)
	}
	if region == "" {
		return aws.Config{}, errNoRegion
	}
	id, secret := getenv(envAccessKeyID), getenv(envSecretKey)
	if id == "" || secret == "" {
		return aws.Config{}, errNoCredentials
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv(envSessionToken))),
	}
	if u := getenv(envEndpointURL); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	return cfg, nil
}
