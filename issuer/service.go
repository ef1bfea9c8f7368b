package issuer

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/espai/espai/internal/atrest"
	"github.com/espai/espai/internal/did"
	"github.com/espai/espai/internal/jsonld"
	bolt "go.etcd.io/bbolt"
)

// Config configures a Service. The zero value of each field is a documented default.
type Config struct {
	// DIDDomain is the did:web domain of this deployment ("espai.localhost").
	// Required.
	DIDDomain string
	// PublicBase is the base URL status lists and the trust list are published
	// under, embedded in credentials. Empty: "https://" + DIDDomain (with %3A
	// decoded to ':').
	PublicBase string
	// StatusListTTL is the ttl of published status list tokens and how long a
	// verifier may cache them. Zero: 5 minutes.
	StatusListTTL time.Duration
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
}

var domainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(%3A[0-9]{1,5})?$`)

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("issuer config: nil")
	}
	if !domainRE.MatchString(c.DIDDomain) {
		return fmt.Errorf("issuer config: did domain %q is not a lower-case host name", c.DIDDomain)
	}
	if c.StatusListTTL < 0 {
		return errors.New("issuer config: negative status list ttl")
	}
	return nil
}

// Service issues, revokes and publishes credentials for every onboarded
// administration. It is safe for concurrent use.
type Service struct {
	cfg    Config
	db     *bolt.DB
	sealer *atrest.Sealer
	regs   Registers
	ld     *jsonld.Processor
	pub    published

	mu      sync.Mutex
	signers map[string]*signingKey
	docs    map[string]*did.Document

	// adminGen counts committed changes to the administrations; names
	// caches their names for the generation it was read at.
	adminGen atomic.Uint64
	names    atomic.Pointer[namesCache]
}

type namesCache struct {
	gen   uint64
	names map[string]string
}

// Open opens (creating if needed) the issuer database at path.
func Open(path string, cfg Config, sealer *atrest.Sealer, regs Registers) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sealer == nil {
		return nil, errors.New("issuer: nil sealer")
	}
	if cfg.StatusListTTL == 0 {
		cfg.StatusListTTL = 5 * time.Minute
	}
	if cfg.PublicBase == "" {
		cfg.PublicBase = "https://" + regexp.MustCompile(`%3A`).ReplaceAllString(cfg.DIDDomain, ":")
	}
	ld, err := jsonld.NewProcessor()
	if err != nil {
		return nil, err
	}
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, db: db, sealer: sealer, regs: regs, ld: ld, signers: map[string]*signingKey{}}, nil
}

// Close closes the database.
func (s *Service) Close() error { return s.db.Close() }

func (s *Service) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// PublicBase is the base URL this issuer's status lists are published under.
func (s *Service) PublicBase() string { return s.cfg.PublicBase }

// Now is the service's clock (Config.Now, or the system clock).
func (s *Service) Now() time.Time { return s.now() }
