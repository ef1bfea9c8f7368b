package ledger

import (
	"context"
	"testing"
	"time"
)

func TestTallyUsageWithoutConsent(t *testing.T) {
	l, _ := newTestLog(t)
	ctx := context.Background()
	secret := []byte("citizen-secret-0123456789abcdef!")
	day := time.Date(2026, 3, 31, 23, 30, 0, 0, time.UTC) // 1 April in Madrid
	add := func(k Kind, admin, purpose, basis string) {
		t.Helper()
		e := Entry{Kind: k, Time: day, Administration: admin, Purpose: purpose, LegalBasis: basis,
			Pseudonym: Pseudonym(secret, admin), Commitment: Commitment{1}}
		switch k {
		case KindPresentationVerified:
			e.CredentialType, e.Categories, e.Outcome = "CensusCredential", []string{"municipality"}, OutcomeAccepted
		case KindConsentGiven:
			e.Categories = []string{"municipality"}
		}
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	add(KindPresentationVerified, "girona", "padro", "")             // 0: no consent yet: counted
	add(KindConsentGiven, "girona", "padro", "RGPD art. 6.1.a")      // 1
	add(KindPresentationVerified, "girona", "padro", "")             // 2: consent in force
	add(KindPresentationVerified, "salt", "padro", "")               // 3: another administration: counted
	add(KindPresentationVerified, "girona", "beca", "")              // 4: another purpose: counted
	add(KindConsentWithdrawn, "girona", "padro", "")                 // 5
	add(KindPresentationVerified, "girona", "padro", "")             // 6: withdrawn: counted
	add(KindPresentationVerified, "girona", "padro", "Llei 12/2009") // 7: legal basis
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	u, err := TallyUsage(ctx, l.AuditSource(), l.Latest().Size, madrid)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, a := range u.WithoutConsent {
		got = append(got, a.Index)
	}
	if len(got) != 4 || got[0] != 0 || got[1] != 3 || got[2] != 4 || got[3] != 6 {
		t.Fatalf("without consent: %v, want [0 3 4 6]", got)
	}
	if u.Entries != 8 || u.Unparsed != 0 || !u.First.Equal(day) {
		t.Fatalf("usage %+v", u)
	}
	if n := u.Counts[UsageKey{Day: "2026-04-01", Kind: KindPresentationVerified, Administration: "girona", Purpose: "padro"}]; n != 3 {
		t.Fatalf("presentations of girona/padro without basis on 1 April: %d, want 3", n)
	}
}
