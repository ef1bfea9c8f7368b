package jsonld

import (
	_ "embed" // Espai's JSON-LD context is compiled in: no network, no file at run time.
	"encoding/json"
	"fmt"
	"sort"

	"github.com/hyperledger/aries-framework-go/component/storageutil/mem"
	ariesld "github.com/hyperledger/aries-framework-go/pkg/doc/ld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/ldcontext"
	"github.com/hyperledger/aries-framework-go/pkg/doc/ldcontext/embed"
	ldstore "github.com/hyperledger/aries-framework-go/pkg/store/ld"
	gold "github.com/piprate/json-gold/ld"
)

// Context URLs Espai writes into its documents.
const (
	// ContextCredentialsV1 is the W3C VC Data Model 1.1 base context. It must
	// come first in every credential and presentation.
	ContextCredentialsV1 = "https://www.w3.org/2018/credentials/v1"
	// ContextEd25519Signature2020 defines the proof terms of Ed25519Signature2020.
	ContextEd25519Signature2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
	// ContextEspaiV1 is Espai's own context: credential types, claim terms and
	// the Bitstring Status List terms (see the package doc).
	ContextEspaiV1 = "https://espai.localhost/contexts/espai/v1"
)

//go:embed contexts/espai-v1.jsonld
var espaiV1 []byte

// Loader is an offline JSON-LD document loader: aries' embedded contexts plus
// Espai's, parsed once at construction. It never touches the network; an
// unknown URL is an error wrapping ErrUnknownContext. It implements json-gold's
// ld.DocumentLoader, the interface aries takes, and is safe for concurrent use:
// after NewLoader returns its map is never written again, and json-gold only
// reads the documents it is given.
type Loader struct {
	docs map[string]*gold.RemoteDocument
}

// NewLoader builds the loader. It costs a few milliseconds (aries builds its
// store and every context is parsed once): build one per process and share it.
func NewLoader() (*Loader, error) {
	extra := []ldcontext.Document{
		// WithExtraContexts replaces earlier extra contexts: every Espai
		// context goes in this one call.
		{URL: ContextEspaiV1, DocumentURL: ContextEspaiV1, Content: json.RawMessage(espaiV1)},
	}
	store := mem.NewProvider()
	cs, err := ldstore.NewContextStore(store)
	if err != nil {
		return nil, fmt.Errorf("jsonld: context store: %w", err)
	}
	rs, err := ldstore.NewRemoteProviderStore(store)
	if err != nil {
		return nil, fmt.Errorf("jsonld: remote provider store: %w", err)
	}
	// No WithRemoteDocumentLoader: aries then answers ErrContextNotFound for an
	// unknown URL instead of fetching it.
	base, err := ariesld.NewDocumentLoader(ldProvider{cs, rs}, ariesld.WithExtraContexts(extra...))
	if err != nil {
		return nil, fmt.Errorf("jsonld: document loader: %w", err)
	}
	urls := make([]string, 0, len(embed.Contexts)+len(extra))
	for _, c := range embed.Contexts {
		urls = append(urls, c.URL)
	}
	for _, c := range extra {
		urls = append(urls, c.URL)
	}
	l := &Loader{docs: make(map[string]*gold.RemoteDocument, len(urls))}
	for _, u := range urls {
		rd, err := base.LoadDocument(u)
		if err != nil {
			return nil, fmt.Errorf("jsonld: preload %s: %w", u, err)
		}
		l.docs[u] = rd
	}
	return l, nil
}

// LoadDocument returns the parsed context for u, or an error wrapping
// ErrUnknownContext. It implements ld.DocumentLoader.
func (l *Loader) LoadDocument(u string) (*gold.RemoteDocument, error) {
	rd, ok := l.docs[u]
	if !ok {
		return nil, fmt.Errorf("%w %s", ErrUnknownContext, u)
	}
	return rd, nil
}

// Known reports whether u is a context the loader holds.
func (l *Loader) Known(u string) bool {
	_, ok := l.docs[u]
	return ok
}

// URLs lists the contexts the loader holds, sorted.
func (l *Loader) URLs() []string {
	out := make([]string, 0, len(l.docs))
	for u := range l.docs {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// ldProvider is what ld.NewDocumentLoader needs: two in-memory stores.
type ldProvider struct {
	cs ldstore.ContextStore
	rs ldstore.RemoteProviderStore
}

func (p ldProvider) JSONLDContextStore() ldstore.ContextStore               { return p.cs }
func (p ldProvider) JSONLDRemoteProviderStore() ldstore.RemoteProviderStore { return p.rs }
