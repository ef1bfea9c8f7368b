package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/espai/espai/internal/app"
	"github.com/espai/espai/internal/credential"
	"github.com/espai/espai/internal/demo"
	"github.com/espai/espai/internal/register"
	"github.com/espai/espai/internal/tracking"
	"github.com/espai/espai/issuer"
	"github.com/espai/espai/wallet"
)

// citizen is one citizen who browses: a demo persona or a citizen of the
// demo registers enrolled by the load tool.
type citizen struct {
	ID, Passphrase string
}

// secretFile holds the random key the extra citizens' passphrases are
// derived from, beside the data directory, so a reused directory logs the
// same citizens in without storing their passphrases.
const secretFile = "load-secret"

// loadSecret reads dir's passphrase secret, creating it on first use.
func loadSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, secretFile)
	b, err := os.ReadFile(path)
	if err == nil && len(b) == 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}

// passphraseFor derives a citizen's load-test passphrase: HMAC-SHA256 of the
// id under the directory's secret, 24 hex digits (above the wallet's
// 12-character minimum).
func passphraseFor(secret []byte, id string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	return "load-" + hex.EncodeToString(m.Sum(nil))[:24]
}

// pickCitizens returns n browsing citizens: the demo personas first (their
// spaces are the fullest), then citizens of the census register in a fixed
// pseudo-random order, so a reused directory picks the same ones and a larger
// n only adds citizens.
func pickCitizens(ctx context.Context, a *app.App, secret []byte, n int) ([]citizen, error) {
	var out []citizen
	personas := map[string]bool{}
	for _, p := range demo.Personas() {
		personas[p.ID] = true
		if len(out) < n {
			out = append(out, citizen{ID: p.ID, Passphrase: p.Passphrase})
		}
	}
	if len(out) == n {
		return out, nil
	}
	if a.Registers == nil {
		return nil, errors.New("the data directory has no registers")
	}
	ids, err := a.Registers.IDs(ctx, register.SourceCensus)
	if err != nil {
		return nil, err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool {
		_, err := a.Registers.Census(ctx, id) // quarantined records cannot be issued from
		return personas[id] || err != nil
	})
	mrand.New(mrand.NewPCG(2026, 50)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	if need := n - len(out); need > len(ids) {
		return nil, fmt.Errorf("%d citizens asked for; the registers have %d besides the personas", n, len(ids))
	}
	for _, id := range ids[:n-len(out)] {
		out = append(out, citizen{ID: id, Passphrase: passphraseFor(secret, id)})
	}
	return out, nil
}

// prepare enrols the citizens who have no wallet yet, issues and delivers
// the credentials their register records allow, and gives each a procedure
// and a notification, so every citizen page has something to show. Each
// step is skipped when already done: a reused directory pays only for what
// is new. Demo personas were seeded by app.Open and are left alone.
func prepare(ctx context.Context, log *slog.Logger, a *app.App, cs []citizen, workers int) error {
	personas := map[string]bool{}
	for _, p := range demo.Personas() {
		personas[p.ID] = true
	}
	var todo []citizen
	for _, c := range cs {
		if !personas[c.ID] {
			todo = append(todo, c)
		}
	}
	start := time.Now()
	var (
		wg       sync.WaitGroup
		next     atomic.Int64
		enrolled atomic.Int64
		issued   atomic.Int64
		mu       sync.Mutex
		errs     []error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range max(workers, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(todo) || ctx.Err() != nil {
					return
				}
				e, n, err := prepareOne(ctx, a, todo[i])
				enrolled.Add(e)
				issued.Add(n)
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("citizen %d of %d: %w", i+1, len(todo), err))
					mu.Unlock()
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("citizens ready", "browsing", len(cs), "enrolled_now", enrolled.Load(), "credentials_issued_now", issued.Load(),
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

// prepareOne brings one citizen's space up to date; it returns whether the
// citizen was enrolled now and how many credentials were issued.
func prepareOne(ctx context.Context, a *app.App, c citizen) (enrolled int64, issued int64, err error) {
	ok, err := a.Wallet.Enrolled(ctx, c.ID)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		if _, err := a.Wallet.Enrol(ctx, c.ID, c.Passphrase); err != nil {
			return 0, 0, fmt.Errorf("enrol: %w", err)
		}
		enrolled = 1
	}
	recs, err := a.Issuer.IssuedTo(ctx, c.ID)
	if err != nil {
		return enrolled, 0, err
	}
	for _, t := range credential.Types {
		if slices.ContainsFunc(recs, func(r issuer.Record) bool { return r.Type == t }) {
			continue
		}
		_, err := a.IssueAndDeliver(ctx, issuer.Request{Type: t, Format: credential.SDJWT, Citizen: c.ID})
		if errors.Is(err, issuer.ErrNothingToIssue) {
			continue // no record of this kind (no degree, no working life)
		}
		if err != nil {
			return enrolled, issued, fmt.Errorf("issue %s: %w", t, err)
		}
		issued++
	}
	return enrolled, issued, seedTracking(ctx, a, c.ID)
}

// seedTracking gives a citizen one rent-aid procedure under review and one
// tax notification, as the demo personas have, unless they have some already.
func seedTracking(ctx context.Context, a *app.App, id string) error {
	ps, ns, err := a.Tracking.Of(ctx, id)
	if err != nil {
		return err
	}
	now := time.Now()
	ago := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }
	ref := "LOAD-" + id
	if len(ps) == 0 {
		for _, u := range []app.ProcedureUpdate{
			{Status: tracking.Submitted, Title: "Ajut per al pagament del lloguer 2026", Note: "Sol·licitud registrada.", Time: ago(9)},
			{Status: tracking.InReview, Note: "La sol·licitud està en revisió.", Time: ago(3)},
		} {
			u.Administration, u.Ref, u.Citizen = "ahc", ref, id
			if _, err := a.UpdateProcedure(ctx, u); err != nil {
				return fmt.Errorf("procedure: %w", err)
			}
		}
	}
	if len(ns) == 0 {
		if _, err := a.DepositNotification(ctx, app.NotificationDeposit{Administration: issuer.TaxAdmin, Ref: ref, Citizen: id,
			Subject: "Comunicació d'inici d'un procediment de comprovació",
			Body:    "Us comuniquem l'inici d'un procediment de comprovació limitada de l'impost sobre la renda. Podeu presentar al·legacions en el termini de 10 dies hàbils.",
			Time:    ago(1)}); err != nil {
			return fmt.Errorf("notification: %w", err)
		}
	}
	return nil
}

// walletConfig is the wallet's configuration: production Argon2id unless
// fast, when it is the cheap test setting of internal/apptest.
func walletConfig(fast bool) wallet.Config {
	if !fast {
		return wallet.Config{}
	}
	return wallet.Config{Argon2: wallet.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}}
}
