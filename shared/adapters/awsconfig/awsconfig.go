// Package awsconfig builds the SDK configuration of a function from the
// environment Lambda gives it: AWS_REGION and the execution role's
// credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN (static for the life of the execution environment).
// AWS_ENDPOINT_URL points every client at an emulator,
// AWS_ENDPOINT_URL_<SERVICE> one service's client (as the SDK's own
// configuration reads them: AWS_ENDPOINT_URL_DYNAMODB,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SQS).
//
// Every binary of the module (the functions, make run, make invoke) reads
// its configuration here; the SDK's config package, which links SSO, STS,
// IMDS and the shared-config reader (about 3 MB and their initialisation)
// to read files and profiles a function never has, is not a dependency.
package awsconfig

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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

// FromEnv reads the configuration from the environment. Its clients dial
// through conns, which can open a connection ahead of its first use
// (Conns.Preconnect).
func FromEnv() (cfg aws.Config, conns *Conns, err error) {
	cfg, err = from(os.Getenv)
	if err != nil {
		return cfg, nil, err
	}
	conns = newConns()
	cfg.APIOptions = append(cfg.APIOptions, Traced)
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		// Copied with the transport into each service client's own copy.
		tr.DialTLSContext = conns.DialTLSContext
	})
	return cfg, conns, nil
}

// Endpoint is the base URL the client of service (its SDK id: "DynamoDB",
// "Secrets Manager", "SQS") calls, by the SDK's rules for a standard AWS
// region: cfg's AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, else
// https://<prefix>.<region>.amazonaws.com.
func Endpoint(cfg aws.Config, service, prefix string) string {
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(serviceEndpoints); ok {
			if u, ok, _ := p.GetServiceBaseEndpoint(context.Background(), service); ok {
				return u
			}
		}
	}
	if cfg.BaseEndpoint != nil {
		return *cfg.BaseEndpoint
	}
	return "https://" + prefix + "." + cfg.Region + ".amazonaws.com"
}

// serviceEndpoints is the configuration source of AWS_ENDPOINT_URL_<SERVICE>
// (the service's SDK id in upper case, spaces as underscores), which every
// service client asks its configuration sources for.
type serviceEndpoints struct{ getenv func(string) string }

func (s serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	u := s.getenv(envEndpointURL + "_" + strings.ToUpper(strings.ReplaceAll(sdkID, " ", "_")))
	return u, u != "", nil
}

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
	cfg.ConfigSources = []any{serviceEndpoints{getenv}}
	return cfg, nil
}
