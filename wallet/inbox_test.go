package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

func TestInboxOpenedOnUnlock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 100)
	e.enrol(t, id)
	deliver(t, e, id, DeliveryCredential, []byte("valid:census"))
	deliver(t, e, id, DeliveryCredential, []byte("valid:tax"))
	deliver(t, e, id, DeliveryCredential, []byte("invalid:the issuer is not trusted for tax credentials"))
	deliver(t, e, id, DeliveryCredential, []byte("retry"))
	receipt, _ := json.Marshal(Receipt{Index: 41, Administration: "bcn", Purpose: "padró", Kind: "exchange", Raw: json.RawMessage(`{"version":1}`)})
	deliver(t, e, id, DeliveryReceipt, receipt)
	event, _ := json.Marshal(Event{Kind: EventDataAccessed, Fields: map[string]string{"purpose": "beca"}})
	deliver(t, e, id, DeliveryEvent, event)
	if n, err := e.w.InboxSize(ctx, id); err != nil || n != 6 {
		t.Fatalf("inbox size %d, %v", n, err)
	}

	s := e.unlock(t, id)
	rep := s.InboxReport()
	if len(rep.Credentials) != 2 || len(rep.Rejected) != 1 || len(rep.Receipts) != 1 || rep.Events != 1 || rep.Pending != 1 {
		t.Fatalf("report %+v", rep)
	}
	if n, _ := e.w.InboxSize(ctx, id); n != 1 {
		t.Errorf("inbox size after opening %d, want 1 (retry later)", n)
	}
	creds, bad, err := s.Credentials(ctx)
	if err != nil || len(bad) != 0 || len(creds) != 2 {
		t.Fatalf("credentials %d, damaged %v, %v", len(creds), bad, err)
	}
	rej, _, err := s.RejectedDeliveries(ctx)
	if err != nil || len(rej) != 1 || !strings.Contains(rej[0].Reason, "not trusted") || string(rej[0].Raw) == "" {
		t.Fatalf("rejected %+v, %v", rej, err)
	}
	rcs, _, err := s.Receipts(ctx)
	if err != nil || len(rcs) != 1 || rcs[0].Index != 41 || string(rcs[0].Raw) != `{"version":1}` {
		t.Fatalf("receipts %+v, %v", rcs, err)
	}
	ev, _, _ := s.Activity(ctx, 0)
	kinds := map[EventKind]int{}
	for _, x := range ev {
		kinds[x.Kind]++
	}
	for k, n := range map[EventKind]int{EventCredentialReceived: 2, EventCredentialRejected: 1, EventDataAccessed: 1, EventReceiptAdded: 1} {
		if kinds[k] != n {
			t.Errorf("%d %s events, want %d (feed %v)", kinds[k], k, n, kinds)
		}
	}
	if err := s.DismissRejected(ctx, rej[0].ID); err != nil {
		t.Error(err)
	}
}

func TestCredentialOperations(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 101)
	e.enrol(t, id)
	s := e.unlock(t, id)
	a := storeCredential(t, e, s, "valid:census")
	b := storeCredential(t, e, s, "valid:degree")
	if err := s.SetLabel(ctx, a, "Padró 2026"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFavourite(ctx, b, true); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.Credentials(ctx)
	if err != nil || len(list) != 2 || list[0].ID != b || list[1].Label != "Padró 2026" {
		t.Fatalf("list %+v, %v", list, err)
	}
	if list[1].Claims["municipality"] != "Barcelona" || list[1].Status == nil {
		t.Errorf("checked fields not kept: %+v", list[1])
	}
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"label control char", s.SetLabel(ctx, a, "bad\x00label"), ErrInvalidInput},
		{"label too long", s.SetLabel(ctx, a, strings.Repeat("x", 101)), ErrInvalidInput},
		{"unknown id", s.SetFavourite(ctx, "00112233445566778899aabbccddeeff", true), ErrNotFound},
		{"malformed id", s.DeleteCredential(ctx, "../x"), ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("got %v, want %v", tt.err, tt.want)
			}
		})
	}
	if err := s.DeleteCredential(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credential(ctx, a); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted credential: %v", err)
	}
}

func TestHolderBinding(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 102)
	en := e.enrol(t, id)
	s := e.unlock(t, id)
	storeCredential(t, e, s, "bound:"+en.Keys.HolderDID)
	storeCredential(t, e, s, "bound:"+en.Keys.HolderJWK.KeyID())
	deliver(t, e, id, DeliveryCredential, []byte("bound:did:key:z6MkSomeoneElse"))
	rep, err := s.OpenInbox(ctx)
	if err != nil || len(rep.Rejected) != 1 {
		t.Fatalf("credential bound to another key: %+v, %v", rep, err)
	}
}

func TestNoCheckerLeavesCredentialsPending(t *testing.T) {
	e := newEnv(t)
	e.w.checker = nil
	id := citizenID(t, 103)
	e.enrol(t, id)
	deliver(t, e, id, DeliveryCredential, []byte("valid:census"))
	s := e.unlock(t, id)
	if rep := s.InboxReport(); rep.Pending != 1 || len(rep.Credentials) != 0 {
		t.Fatalf("report %+v", rep)
	}
}

func TestDeliverValidation(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxInboxItems = 3 })
	ctx := context.Background()
	id, other := citizenID(t, 200), citizenID(t, 201)
	en := e.enrol(t, id)
	eo := e.enrol(t, other)
	pub := en.Keys.Delivery
	enc := func(t *testing.T, alg jwa.KeyEncryptionAlgorithm, key any, opts ...jwe.EncryptOption) []byte {
		t.Helper()
		h := jwe.NewHeaders()
		h.Set(jwe.ContentTypeKey, DeliveryContentType)
		pt, _ := json.Marshal(deliveryJSON{V: 1, Kind: DeliveryCredential, Payload: []byte("valid:census")})
		b, err := jwe.Encrypt(pt, append([]jwe.EncryptOption{jwe.WithKey(alg, key), jwe.WithProtectedHeaders(h)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	noKid, _ := pub.Clone()
	noKid.Remove(jwk.KeyIDKey)
	tests := []struct {
		name string
		jwe  func(t *testing.T) []byte
	}{
		{"compressed", func(t *testing.T) []byte {
			return enc(t, jwa.ECDH_ES_A256KW, pub, jwe.WithContentEncryption(jwa.A256GCM), jwe.WithCompress(jwa.Deflate))
		}},
		{"other enc", func(t *testing.T) []byte {
			return enc(t, jwa.ECDH_ES_A256KW, pub, jwe.WithContentEncryption(jwa.A128GCM))
		}},
		{"direct ECDH-ES", func(t *testing.T) []byte {
			return enc(t, jwa.ECDH_ES, pub, jwe.WithContentEncryption(jwa.A256GCM))
		}},
		{"no kid", func(t *testing.T) []byte {
			return enc(t, jwa.ECDH_ES_A256KW, noKid, jwe.WithContentEncryption(jwa.A256GCM))
		}},
		{"other citizen's key", func(t *testing.T) []byte {
			return enc(t, jwa.ECDH_ES_A256KW, eo.Keys.Delivery, jwe.WithContentEncryption(jwa.A256GCM))
		}},
		{"too large", func(t *testing.T) []byte { return []byte(strings.Repeat("a", DefaultMaxDeliverySize+1)) }},
		{"json serialization", func(t *testing.T) []byte { return []byte(`{"protected":"x"}`) }},
		{"empty", func(t *testing.T) []byte { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.w.Deliver(ctx, id, tt.jwe(t)); !errors.Is(err, ErrBadDelivery) {
				t.Errorf("got %v, want ErrBadDelivery", err)
			}
		})
	}
	if n, _ := e.w.InboxSize(ctx, id); n != 0 {
		t.Fatalf("refused deliveries were stored: %d", n)
	}
	for range 3 {
		deliver(t, e, id, DeliveryCredential, []byte("valid:census"))
	}
	good, _ := SealForDelivery(pub, DeliveryCredential, []byte("valid:census"))
	if _, err := e.w.Deliver(ctx, id, good); !errors.Is(err, ErrInboxFull) {
		t.Errorf("over quota: %v, want ErrInboxFull", err)
	}
	if _, err := SealForDelivery(pub, "letter", []byte("x")); err == nil {
		t.Error("SealForDelivery accepted an unknown kind")
	}
}

func TestConcurrentDeliveries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := citizenID(t, 300)
	en := e.enrol(t, id)
	j, _ := SealForDelivery(en.Keys.Delivery, DeliveryCredential, []byte("valid:census"))
	const n = 64
	errs := make(chan error, n)
	ids := make(chan string, n)
	for range n {
		go func() {
			d, err := e.w.Deliver(ctx, id, j)
			errs <- err
			ids <- d
		}()
	}
	seen := map[string]bool{}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		seen[<-ids] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct delivery ids, want %d", len(seen), n)
	}
	s := e.unlock(t, id)
	if rep := s.InboxReport(); len(rep.Credentials) != n {
		t.Errorf("opened %d, want %d", len(rep.Credentials), n)
	}
}
